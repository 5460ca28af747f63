// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import static io.jwalreceiver.cli.check.Fixes.RELOAD;
import static io.jwalreceiver.cli.check.Fixes.RESTART;
import static io.jwalreceiver.cli.check.Fixes.roomFor;
import static io.jwalreceiver.cli.check.Fixes.sqlIdentifier;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.cli.check.Connections.Setting;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The access items: may the role stream WAL ({@code role}), and was its replication connection
 * accepted from here ({@code replication_connection}); a refusal becomes the {@code pg_hba.conf}
 * line, the {@code ALTER ROLE} or the setting that lets it in.
 */
final class AccessChecks {

  private static final Pattern HBA_HOST = Pattern.compile("from host \"([^\"]+)\"");

  private AccessChecks() {}

  static CheckItem role(Connections c) {
    String user = c.request.replication().user();
    String alter = "SQL (as a superuser): ALTER ROLE " + sqlIdentifier(user) + " REPLICATION;";
    ReplicationConnection sql = c.sql;
    if (sql != null) {
      try {
        QueryResult r =
            sql.query(
                "SELECT rolreplication, rolsuper FROM pg_catalog.pg_roles"
                    + " WHERE rolname = current_user");
        List<String> row = r.singleRow("read role attributes", 2);
        if ("t".equals(row.get(1))) {
          return CheckItem.ok(
              Preflight.ROLE,
              "role \""
                  + user
                  + "\" is a superuser (a role"
                  + " with only LOGIN REPLICATION is enough)");
        }
        if ("t".equals(row.get(0))) {
          return CheckItem.ok(Preflight.ROLE, "role \"" + user + "\" has REPLICATION");
        }
        return CheckItem.fail(
            Preflight.ROLE, "role \"" + user + "\" lacks the REPLICATION attribute", alter);
      } catch (PgException e) {
        c.verbose.accept("could not read pg_roles: " + e.getMessage());
      }
    }
    if (c.repl != null) {
      return CheckItem.ok(
          Preflight.ROLE,
          "role \"" + user + "\" may stream WAL (its" + " replication connection was accepted)");
    }
    PgException replError = c.replError;
    if (replError != null && lacksReplication(replError)) {
      return CheckItem.fail(
          Preflight.ROLE,
          "role \""
              + user
              + "\" lacks the REPLICATION"
              + " attribute ("
              + Objects.requireNonNull(replError.serverError()).message()
              + ")",
          alter);
    }
    return CheckItem.notChecked(Preflight.ROLE, c.noSql());
  }

  static CheckItem replicationConnection(Connections c) {
    String item = Preflight.REPLICATION_CONNECTION;
    String user = c.request.replication().user();
    ReplicationConnection repl = c.repl;
    if (repl != null) {
      String clientAddress = c.clientAddress;
      String from =
          clientAddress != null
              ? " from " + clientAddress
              : c.request.replication().isUnixSocket() ? " over the Unix socket" : "";
      return CheckItem.ok(
          item,
          "replication connection accepted for user \""
              + user
              + "\""
              + from
              + (repl.isTls() ? " (TLS)" : ""));
    }
    PgException replError = c.replError;
    if (replError == null) {
      throw new IllegalStateException("no replication connection and no error");
    }
    String refused = "replication connection for user \"" + user + "\" refused: ";
    if (!replError.fromServer()) {
      String hint = replError.hint();
      return CheckItem.fail(
          item,
          refused + replError.getMessage(),
          hint != null
              ? hint
              : "connect with the options that work for psql (-h, -p, sslmode in -d)");
    }
    String serverText = Objects.requireNonNull(replError.serverError()).message();
    SqlState state = replError.sqlState();
    if (state.equals(SqlState.INVALID_AUTHORIZATION) && serverText.contains("pg_hba.conf")) {
      return CheckItem.fail(
          item,
          refused + serverText,
          "pg_hba.conf: "
              + hbaLine(c, user, serverText)
              + "\n(above any line that matches it first), "
              + RELOAD);
    }
    if (lacksReplication(replError)) {
      return CheckItem.fail(
          item,
          refused + serverText,
          "SQL (as a superuser): ALTER ROLE " + sqlIdentifier(user) + " REPLICATION;");
    }
    if (state.equals(SqlState.INVALID_PASSWORD)) {
      return CheckItem.fail(
          item,
          refused + serverText,
          "give the password of \""
              + user
              + "\" (PGPASSWORD, ~/.pgpass or -W), or set it:"
              + "\nSQL (as a superuser): ALTER ROLE "
              + sqlIdentifier(user)
              + " PASSWORD 'new password';");
    }
    if (state.equals(SqlState.TOO_MANY_CONNECTIONS)) {
      // "number of requested standby connections exceeds max_wal_senders" (or max_connections).
      Setting s = c.settings.get("max_wal_senders");
      int now = s == null ? 0 : Integer.parseInt(s.value());
      return CheckItem.fail(
          item,
          refused + serverText,
          "postgresql.conf: max_wal_senders = " + roomFor(now) + "\n" + RESTART);
    }
    return CheckItem.fail(item, refused + serverText, replError.hint());
  }

  private static boolean lacksReplication(@Nullable PgException e) {
    // 42501: "must be superuser or replication role to start walsender" (13-15), "permission
    // denied to start WAL sender" (16+).
    return e != null && e.fromServer() && e.sqlState().equals(SqlState.INSUFFICIENT_PRIVILEGE);
  }

  /** The pg_hba.conf line that admits this user's replication connection from where it came. */
  private static String hbaLine(Connections c, String user, String serverText) {
    String role = Fixes.hbaName(user);
    if (c.request.replication().isUnixSocket()) {
      return "local replication " + role + " scram-sha-256";
    }
    String address = c.clientAddress;
    if (address == null) {
      Matcher m = HBA_HOST.matcher(serverText);
      address = m.find() ? m.group(1) : c.request.replication().host();
    }
    String mask = address.contains(":") ? "/128" : "/32";
    return "host replication " + role + " " + address + mask + " scram-sha-256";
  }
}
