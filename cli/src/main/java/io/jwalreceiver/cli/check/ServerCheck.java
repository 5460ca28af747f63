// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import io.jwalreceiver.PgException;
import io.jwalreceiver.session.ReplicationConnection;
import java.util.List;

/** The {@code server} item: did anything answer at the address, and what is it. */
final class ServerCheck {

  private ServerCheck() {}

  /**
   * The item when nothing could be reached (neither connection opened nor was refused by a server).
   */
  static CheckItem unreachable(Connections c) {
    PgException sqlError = c.sqlError;
    PgException e = sqlError != null ? sqlError : c.replError;
    if (e == null) {
      throw new IllegalStateException("no connection and no error");
    }
    String startIt =
        "start the server, or connect to where it listens (-h, -p;"
            + " listen_addresses and port in postgresql.conf)";
    boolean down = Connections.unreachable(e);
    String hint = e.hint();
    return CheckItem.fail(
        Preflight.SERVER,
        (down ? "server not reachable: " : "could not connect to the server: ") + e.getMessage(),
        down || hint == null ? startIt : hint);
  }

  /** The item for a server that answered; reads the client address for later items. */
  static CheckItem check(Connections c) {
    ReplicationConnection sql = c.sql;
    ReplicationConnection any = sql != null ? sql : c.repl;
    String where = "server at " + Connections.describe(c.request.replication());
    if (any == null) {
      return CheckItem.ok(
          Preflight.SERVER, where + " answered (it refused both connections, see below)");
    }
    String role = "";
    if (sql != null) {
      try {
        List<String> row =
            sql.query("SELECT inet_client_addr(), pg_catalog.pg_is_in_recovery()")
                .singleRow("read the session", 2);
        c.clientAddress = row.get(0);
        role = "t".equals(row.get(1)) ? ", a standby (in recovery)" : ", a primary";
      } catch (PgException e) {
        c.verbose.accept("could not read the session: " + e.getMessage());
      }
    }
    return CheckItem.ok(
        Preflight.SERVER, where + " answered: PostgreSQL " + any.serverVersionString() + role);
  }
}
