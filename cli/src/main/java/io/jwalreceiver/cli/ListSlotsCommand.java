// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code jwalreceiver slot list}: the physical slots of {@code pg_replication_slots}. A walsender
 * refuses SQL, so this opens a plain session (same host, user, TLS and password rules) to the
 * conninfo's database, or {@code postgres} when none is given.
 */
/** {@code jwalreceiver slot list}: lists the physical replication slots. */
@Command(
    name = "list",
    header = "Lists physical replication slots (pg_replication_slots).",
    description = {
      "Lists physical replication slots: name, active, restart_lsn, wal_status and",
      "safe_wal_size (pg_replication_slots). Connects to the database named in -d, else postgres.",
      ""
    })
public final class ListSlotsCommand extends CliCommand {

  static final String QUERY =
      "SELECT slot_name, active, restart_lsn, wal_status, safe_wal_size"
          + " FROM pg_catalog.pg_replication_slots WHERE slot_type = 'physical'"
          + " ORDER BY slot_name";

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    try (ReplicationConnection c =
        ReplicationConnection.open(connection.resolveSql(cli, Cli.PROGRAM), cli::notice)) {
      QueryResult r = c.query(QUERY);
      printTable(r);
    }
    return ExitCodes.OK;
  }

  /** An aligned table like psql's, with NULL shown empty and booleans as yes/no. */
  private void printTable(QueryResult r) {
    TextTable table = new TextTable(r.columns());
    for (List<String> row : r.rows()) {
      table.add(row.stream().map(ListSlotsCommand::show).toList());
    }
    table.print(cli.out());
  }

  private static @Nullable String show(@Nullable String v) {
    if (v == null) {
      return null;
    }
    return v.equals("t") ? "yes" : v.equals("f") ? "no" : v;
  }
}
