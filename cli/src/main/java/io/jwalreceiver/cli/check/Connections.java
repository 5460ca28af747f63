// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SlotPosition;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * The two connections of a preflight and what is read once through them for several checks.
 *
 * <p>A plain SQL session for the catalogs ({@code pg_settings}, {@code pg_roles}, {@code
 * pg_stat_replication}, {@code pg_replication_slots}, {@code pg_ls_waldir()}) and a replication
 * connection, because actually being accepted for replication is the only way to see a missing
 * {@code pg_hba.conf} line. Either may be refused (the error is kept for the checks to explain);
 * settings fall back to {@code SHOW} over whichever connection exists.
 */
final class Connections {

  private static final List<String> SETTINGS =
      List.of(
          "wal_level",
          "max_wal_senders",
          "max_replication_slots",
          "max_slot_wal_keep_size",
          "wal_segment_size");

  /** A setting as SHOW prints it, and whether a changed value waits for a restart. */
  record Setting(String value, boolean pendingRestart) {}

  /** The named slot as pg_replication_slots (or READ_REPLICATION_SLOT) shows it. */
  record Slot(
      String type,
      boolean active,
      @Nullable String activePid,
      @Nullable Lsn restartLsn,
      @Nullable String walStatus,
      @Nullable String safeWalSize) {}

  final Preflight.Request request;
  final Consumer<String> verbose;
  final Consumer<String> warnings;

  @Nullable ReplicationConnection sql;
  @Nullable PgException sqlError;
  @Nullable ReplicationConnection repl;
  @Nullable PgException replError;

  /** The settings, once {@link #readSettings()} ran. */
  Map<String, Setting> settings = Map.of();

  /** {@code inet_client_addr()} of the SQL session, when the server check read it. */
  @Nullable String clientAddress;

  // null: not read yet; empty: read, no such slot.
  @SuppressWarnings("NullableOptional")
  private @Nullable Optional<Slot> slot;

  private @Nullable PgException slotError;

  Connections(Preflight.Request request, Consumer<String> verbose, Consumer<String> warnings) {
    this.request = request;
    this.verbose = verbose;
    this.warnings = warnings;
  }

  /** Opens the SQL session, then (unless nothing answered) the replication connection. */
  void connect() {
    verbose.accept(
        "opening a SQL session to "
            + describe(request.sql())
            + ", database \""
            + request.sql().database()
            + "\"");
    PgException refused = null;
    try {
      sql = ReplicationConnection.open(request.sql());
    } catch (PgException e) {
      sqlError = e;
      refused = e;
      verbose.accept("SQL session refused: " + e.getMessage());
    }
    if (refused != null && unreachable(refused)) {
      // The same address, port and TLS settings: the replication connection cannot get further,
      // and trying again would only double a connect timeout.
      replError = refused;
      return;
    }
    verbose.accept("opening a replication connection to " + describe(request.replication()));
    try {
      repl = ReplicationConnection.open(request.replication());
    } catch (PgException e) {
      replError = e;
      verbose.accept("replication connection refused: " + e.getMessage());
    }
  }

  /**
   * Nothing answered at the address: the socket itself failed (refused, timed out, no route, no
   * such host or socket file), as opposed to a TLS or authentication failure after it connected.
   */
  static boolean unreachable(PgException e) {
    return !e.fromServer()
        && e.getCause() instanceof IOException
        && !(e.getCause() instanceof SSLException);
  }

  /** Whether a server answered at all: a connection opened, or one was refused by the server. */
  boolean reachable() {
    PgException s = sqlError;
    PgException r = replError;
    return sql != null
        || repl != null
        || (s != null && s.fromServer())
        || (r != null && r.fromServer());
  }

  void closeAll() {
    for (ReplicationConnection c : new ReplicationConnection[] {repl, sql}) {
      if (c != null) {
        try {
          c.close();
        } catch (PgException e) {
          verbose.accept("could not close a connection: " + e.getMessage());
        }
      }
    }
  }

  /** Reads the settings from pg_settings, else SHOW over the replication connection. */
  void readSettings() {
    settings = settingsFromServer();
  }

  private Map<String, Setting> settingsFromServer() {
    Map<String, Setting> found = new HashMap<>();
    ReplicationConnection s = sql;
    if (s != null) {
      try {
        StringBuilder names = new StringBuilder();
        for (String name : SETTINGS) {
          names.append(names.length() == 0 ? "" : ", ").append(SqlText.literal(name));
        }
        QueryResult r =
            s.query(
                "SELECT name, pg_catalog.current_setting(name), pending_restart"
                    + " FROM pg_catalog.pg_settings WHERE name IN ("
                    + names
                    + ")");
        for (List<String> row : r.rows()) {
          found.put(row.get(0), new Setting(row.get(1), "t".equals(row.get(2))));
        }
        return found;
      } catch (PgException e) {
        verbose.accept("could not read pg_settings: " + e.getMessage());
      }
    }
    ReplicationConnection r = repl;
    if (r != null) {
      for (String name : SETTINGS) {
        try {
          found.put(name, new Setting(r.show(name), false));
        } catch (PgException e) {
          // max_slot_wal_keep_size is unknown before 13; the item says so.
          verbose.accept("could not SHOW " + name + ": " + e.getMessage());
        }
      }
    }
    return found;
  }

  /** Why the slot could not be read, once {@link #readSlot(String)} ran; null when it could. */
  @Nullable PgException slotError() {
    return slotError;
  }

  /**
   * The named slot, read once: pg_replication_slots, else READ_REPLICATION_SLOT (15+).
   *
   * @param name the request's slot name
   */
  Optional<Slot> readSlot(String name) {
    Optional<Slot> known = slot;
    if (known != null || slotError != null) {
      return known == null ? Optional.empty() : known;
    }
    ReplicationConnection s = sql;
    if (s != null) {
      boolean has13 = s.serverVersionNum() >= 130000;
      try {
        QueryResult r =
            s.query(
                "SELECT slot_type, active, active_pid, restart_lsn, "
                    + (has13
                        ? "wal_status, pg_catalog.pg_size_pretty(safe_wal_size)"
                        : "NULL, NULL")
                    + " FROM pg_catalog.pg_replication_slots WHERE slot_name = "
                    + SqlText.literal(name));
        Optional<Slot> found =
            r.rows().stream()
                .findFirst()
                .map(
                    row ->
                        new Slot(
                            row.get(0),
                            "t".equals(row.get(1)),
                            row.get(2),
                            row.get(3) == null ? null : Lsn.parse(row.get(3)),
                            row.get(4),
                            row.get(5)));
        slot = found;
        return found;
      } catch (PgException e) {
        verbose.accept("could not read pg_replication_slots: " + e.getMessage());
      }
    }
    ReplicationConnection r = repl;
    if (r != null && r.serverVersionNum() >= 150000) {
      try {
        Optional<SlotPosition> p = r.readReplicationSlot(name);
        Optional<Slot> found =
            p.map(sp -> new Slot(sp.slotType(), false, null, sp.restartLsn(), null, null));
        slot = found;
        return found;
      } catch (PgException e) {
        slotError = e;
        return Optional.empty();
      }
    }
    slotError =
        new PgException(
            SqlState.CONNECTION_UNABLE,
            noSql() + (r != null ? " (READ_REPLICATION_SLOT needs PostgreSQL 15)" : ""));
    return Optional.empty();
  }

  /** {@code SELECT count(*) FROM <from>} on the SQL session (which the caller knows is open). */
  static int count(ReplicationConnection sql, String from) {
    return Integer.parseInt(
        sql.query("SELECT count(*) FROM " + from).singleRow("count " + from, 1).get(0));
  }

  String noSql() {
    return "no SQL session (" + shortMessage(sqlError) + ")";
  }

  String noSettings() {
    return "no connection could read the settings (" + shortMessage(sqlError) + ")";
  }

  static String shortMessage(@Nullable PgException e) {
    if (e == null) {
      return "query failed";
    }
    return e.fromServer()
        ? Objects.requireNonNull(e.serverError()).message()
        : String.valueOf(e.getMessage());
  }

  static String describe(ConnectionConfig c) {
    return c.isUnixSocket()
        ? String.format(Locale.ROOT, "socket \"%s/.s.PGSQL.%d\"", c.host(), c.port())
        : c.host() + ":" + c.port();
  }
}
