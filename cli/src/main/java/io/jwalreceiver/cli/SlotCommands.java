// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.ReplicationConnection;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** Runs one slot command the way the PostgreSQL tools report it; shared by the slot commands. */
final class SlotCommands {

  private SlotCommands() {}

  /**
   * Connects, runs {@code command} (one typed call such as {@link
   * ReplicationConnection#createPhysicalSlot}), and reports a failure as {@code could not send
   * replication command "…": ERROR: …}.
   *
   * @param tolerated a SQLSTATE that is not a failure (42710 for --if-not-exists, 42704 for
   *     --if-exists), or null
   * @param toleratedMessage what to print (as an info line) when the tolerated error happens, or
   *     null for nothing
   */
  static int run(
      Cli cli,
      ConnectionConfig config,
      Consumer<ReplicationConnection> command,
      @Nullable SqlState tolerated,
      @Nullable String toleratedMessage) {
    try (ReplicationConnection c = ReplicationConnection.open(config, cli::notice)) {
      try {
        command.accept(c);
      } catch (PgException e) {
        if (tolerated != null && e.sqlState().equals(tolerated)) {
          if (toleratedMessage != null) {
            cli.info(toleratedMessage);
          }
          return ExitCodes.OK;
        }
        cli.error("could not send replication command \"" + c.lastCommand() + "\"", e);
        return ExitCodes.ERROR;
      }
    }
    return ExitCodes.OK;
  }
}
