// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * libpq's {@code CONNECTION_CHECK_TARGET}: whether a server just connected to qualifies under
 * {@code target_session_attrs}.
 *
 * <p>As libpq, it reads the server's state from the {@code in_hot_standby} and {@code
 * default_transaction_read_only} ParameterStatus reports (PostgreSQL 14+), and asks only when they
 * are missing: {@code SHOW transaction_read_only} for {@code read-write} and {@code read-only} (a
 * walsender answers SHOW), {@code SELECT pg_catalog.pg_is_in_recovery()} for {@code primary},
 * {@code standby} and {@code prefer-standby}. A physical walsender runs no SQL, so there the query
 * goes over a short plain SQL connection to the same address (database {@code postgres} unless the
 * conninfo named one): libpq would send it on the replication connection and fail.
 */
final class TargetCheck {

  private static final String SHOW_READ_ONLY = "SHOW transaction_read_only";
  private static final String IN_RECOVERY = "SELECT pg_catalog.pg_is_in_recovery()";

  private TargetCheck() {}

  /**
   * Why {@code c} does not qualify, in libpq's words ({@code session is read-only}, {@code server
   * is in hot standby mode}, {@code "SHOW transaction_read_only" failed}, ...), or null when it
   * does.
   *
   * @param t the address connected to, for the check connection
   * @param target the attributes asked for ({@link TargetSessionAttrs#ANY} on prefer-standby's
   *     second pass)
   */
  static @Nullable String rejects(
      ReplicationConnection c,
      Connector.Target t,
      TargetSessionAttrs target,
      Consumer<ServerError> notices) {
    switch (target) {
      case ANY -> {
        return null;
      }
      case READ_WRITE, READ_ONLY -> {
        Boolean readOnly;
        String defaultReadOnly = c.parameters().get("default_transaction_read_only");
        String hotStandby = c.parameters().get("in_hot_standby");
        if (defaultReadOnly != null && hotStandby != null) {
          readOnly = "on".equals(defaultReadOnly) || "on".equals(hotStandby);
        } else {
          String value = ask(c, SHOW_READ_ONLY);
          if (value == null) {
            return failed(SHOW_READ_ONLY, t, null);
          }
          readOnly = value.startsWith("on");
        }
        if (target == TargetSessionAttrs.READ_WRITE) {
          return readOnly ? "session is read-only" : null;
        }
        return readOnly ? null : "session is not read-only";
      }
      default -> {
        String hotStandby = c.parameters().get("in_hot_standby");
        boolean standby;
        if (hotStandby != null) {
          standby = "on".equals(hotStandby);
        } else {
          String value;
          try {
            value = inRecovery(c, t, notices);
          } catch (PgException e) {
            return failed("SELECT pg_is_in_recovery()", t, e);
          }
          if (value == null) {
            return failed("SELECT pg_is_in_recovery()", t, null);
          }
          standby = value.startsWith("t");
        }
        if (target == TargetSessionAttrs.PRIMARY) {
          return standby ? "server is in hot standby mode" : null;
        }
        return standby ? null : "server is not in hot standby mode";
      }
    }
  }

  /** {@code pg_is_in_recovery()}, over a plain SQL connection when {@code c} is a walsender's. */
  private static @Nullable String inRecovery(
      ReplicationConnection c, Connector.Target t, Consumer<ServerError> notices) {
    ConnectionConfig cfg = t.cfg();
    if (!"true".equals(cfg.replication())) {
      return ask(c, IN_RECOVERY);
    }
    String database = cfg.explicitDatabase() != null ? cfg.explicitDatabase() : "postgres";
    ConnectionConfig sql = cfg.toBuilder().replication(null).database(database).build();
    try (ReplicationConnection check = Connector.connectAddress(t.with(sql), notices)) {
      return ask(check, IN_RECOVERY);
    }
  }

  /**
   * The single value of a one-row answer, or null when the query failed or answered otherwise
   * (libpq: anything but one row is a failure).
   */
  private static @Nullable String ask(ReplicationConnection c, String query) {
    SimpleQuery.RawResult r;
    try {
      r = SimpleQuery.run(c, query);
    } catch (PgException e) {
      if (!e.fromServer()) {
        throw e; // the connection broke: not a failed check
      }
      return null;
    }
    List<List<byte @Nullable []>> rows = r.rows();
    if (rows.size() != 1 || rows.get(0).isEmpty() || rows.get(0).get(0) == null) {
      return null;
    }
    return new String(rows.get(0).get(0), StandardCharsets.UTF_8);
  }

  /**
   * libpq's {@code "%s" failed}, after why the check connection failed, if it did (without its
   * {@code connection to server at ...} prefix: it is the same server's).
   */
  private static String failed(String query, Connector.Target t, @Nullable PgException cause) {
    String text = "\"" + query + "\" failed";
    if (cause == null) {
      return text;
    }
    ServerError server = cause.serverError();
    String reason = server != null ? server.render() : String.valueOf(cause.getMessage());
    String where = t.where();
    if (reason.startsWith(where)) {
      reason = reason.substring(where.length());
    }
    return reason + "\n" + text;
  }
}
