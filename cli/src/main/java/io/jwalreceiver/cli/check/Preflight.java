// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SlotPosition;
import io.jwalreceiver.session.SystemIdentity;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.SegmentName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * The preflight of a primary behind {@code jwalreceiver check}: can this user, from this host,
 * stream WAL from this server into this directory through this slot, and if not, what exactly to
 * change.
 *
 * <p>It opens two connections: a plain SQL session for the catalogs ({@code pg_settings}, {@code
 * pg_roles}, {@code pg_stat_replication}, {@code pg_replication_slots}, {@code pg_ls_waldir()}) and
 * a replication connection, because actually being accepted for replication is the only way to see
 * a missing {@code pg_hba.conf} line. Either may be refused; items that needed the missing one
 * become WARN "could not check", and settings fall back to {@code SHOW} over whichever connection
 * exists. Nothing is changed on the server.
 */
public final class Preflight {

  /** The items, in report order. */
  static final String SERVER = "server";
  static final String WAL_LEVEL = "wal_level";
  static final String MAX_WAL_SENDERS = "max_wal_senders";
  static final String MAX_REPLICATION_SLOTS = "max_replication_slots";
  static final String ROLE = "role";
  static final String REPLICATION_CONNECTION = "replication_connection";
  static final String SLOT = "slot";
  static final String MAX_SLOT_WAL_KEEP_SIZE = "max_slot_wal_keep_size";
  static final String ARCHIVE = "archive";

  private static final List<String> SETTINGS =
      List.of(
          "wal_level",
          "max_wal_senders",
          "max_replication_slots",
          "max_slot_wal_keep_size",
          "wal_segment_size");

  /** A default-sized setting to suggest when a limit is zero or exhausted (PostgreSQL's own). */
  private static final int DEFAULT_LIMIT = 10;

  /** WAL senders {@code basebackup -X stream} needs: the backup and the WAL streamer. */
  private static final int SENDERS_FOR_BASEBACKUP = 2;

  private static final String RESTART = "then restart the server";
  private static final String RELOAD = "then SQL: SELECT pg_reload_conf();";
  private static final String NEW_DIRECTORY = "receive into a new, empty directory (-D)";

  /** Words that cannot be a bare role name in SQL, limited to those plausible as role names. */
  private static final Set<String> RESERVED =
      Set.of("all", "user", "current_user", "session_user", "group", "role", "none", "default",
          "public", "analyse", "analyze", "order", "table", "select", "grant", "check", "column");

  private static final Pattern HBA_HOST = Pattern.compile("from host \"([^\"]+)\"");

  /**
   * What to check.
   *
   * @param replication the replication connection (user, host, TLS, password) as the tools would
   *     open it
   * @param sql the same server as a plain SQL session
   * @param slotName the slot to check ({@code -S}), or null
   * @param directory the archive directory to check resuming from ({@code -D}), or null
   */
  public record Request(
      ConnectionConfig replication, ConnectionConfig sql, String slotName, Path directory) {}

  /** A setting as SHOW prints it, and whether a changed value waits for a restart. */
  private record Setting(String value, boolean pendingRestart) {}

  /** The named slot as pg_replication_slots (or READ_REPLICATION_SLOT) shows it. */
  private record Slot(
      String type,
      boolean active,
      String activePid,
      Lsn restartLsn,
      String walStatus,
      String safeWalSize) {}

  private final Request request;
  private final Consumer<String> verbose;
  private final Consumer<String> warnings;
  private final List<CheckItem> items = new ArrayList<>();

  private ReplicationConnection sql;
  private PgException sqlError;
  private ReplicationConnection repl;
  private PgException replError;
  private Map<String, Setting> settings = Map.of();
  private String clientAddress;
  private Optional<Slot> slot;
  private PgException slotError;

  private Preflight(Request request, Consumer<String> verbose, Consumer<String> warnings) {
    this.request = request;
    this.verbose = verbose;
    this.warnings = warnings;
  }

  /**
   * Runs every check.
   *
   * @param request what to check
   * @param verbose receives progress lines (for {@code -v})
   * @param warnings receives the archive scan's warnings (skipped files), in pg_receivewal's words
   * @return the report; never throws for what it finds on the server
   */
  public static CheckReport run(
      Request request, Consumer<String> verbose, Consumer<String> warnings) {
    Preflight p = new Preflight(request, verbose, warnings);
    try {
      p.connect();
      p.checkAll();
    } finally {
      p.closeAll();
    }
    return new CheckReport(p.items);
  }

  // ---------------------------------------------------------------- connections

  private void connect() {
    verbose.accept("opening a SQL session to " + describe(request.sql())
        + ", database \"" + request.sql().database() + "\"");
    try {
      sql = ReplicationConnection.open(request.sql());
    } catch (PgException e) {
      sqlError = e;
      verbose.accept("SQL session refused: " + e.getMessage());
    }
    if (sqlError != null && unreachable(sqlError)) {
      // The same address, port and TLS settings: the replication connection cannot get further,
      // and trying again would only double a connect timeout.
      replError = sqlError;
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
  private static boolean unreachable(PgException e) {
    return !e.fromServer()
        && e.getCause() instanceof IOException
        && !(e.getCause() instanceof SSLException);
  }

  private boolean reachable() {
    return sql != null
        || repl != null
        || (sqlError != null && sqlError.fromServer())
        || (replError != null && replError.fromServer());
  }

  private void closeAll() {
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

  // ---------------------------------------------------------------- the items

  private void checkAll() {
    if (!reachable()) {
      PgException e = sqlError != null ? sqlError : replError;
      String startIt = "start the server, or connect to where it listens (-h, -p;"
          + " listen_addresses and port in postgresql.conf)";
      boolean down = unreachable(e);
      items.add(CheckItem.fail(SERVER,
          (down ? "server not reachable: " : "could not connect to the server: ")
              + e.getMessage(),
          down || e.hint() == null ? startIt : e.hint()));
      for (String name : laterItems()) {
        items.add(CheckItem.notChecked(name, "no connection to the server"));
      }
      return;
    }
    items.add(server());
    settings = readSettings();
    items.add(walLevel());
    items.add(maxWalSenders());
    items.add(maxReplicationSlots());
    items.add(role());
    items.add(replicationConnection());
    items.add(slotItem());
    items.add(maxSlotWalKeepSize());
    if (request.directory() != null) {
      items.add(archive());
    }
  }

  private List<String> laterItems() {
    List<String> names = new ArrayList<>(List.of(WAL_LEVEL, MAX_WAL_SENDERS,
        MAX_REPLICATION_SLOTS, ROLE, REPLICATION_CONNECTION, SLOT, MAX_SLOT_WAL_KEEP_SIZE));
    if (request.directory() != null) {
      names.add(ARCHIVE);
    }
    return names;
  }

  private CheckItem server() {
    ReplicationConnection any = sql != null ? sql : repl;
    String where = "server at " + describe(request.replication());
    if (any == null) {
      return CheckItem.ok(SERVER, where + " answered (it refused both connections, see below)");
    }
    String role = "";
    if (sql != null) {
      try {
        List<String> row = sql.query(
                "SELECT inet_client_addr(), pg_catalog.pg_is_in_recovery()")
            .singleRow("read the session", 2);
        clientAddress = row.get(0);
        role = "t".equals(row.get(1)) ? ", a standby (in recovery)" : ", a primary";
      } catch (PgException e) {
        verbose.accept("could not read the session: " + e.getMessage());
      }
    }
    return CheckItem.ok(SERVER, where + " answered: PostgreSQL " + any.serverVersionString()
        + role);
  }

  /** The settings from pg_settings, else SHOW over the replication connection. */
  private Map<String, Setting> readSettings() {
    Map<String, Setting> found = new HashMap<>();
    if (sql != null) {
      try {
        StringBuilder names = new StringBuilder();
        for (String s : SETTINGS) {
          names.append(names.length() == 0 ? "" : ", ").append(SqlText.literal(s));
        }
        QueryResult r = sql.query("SELECT name, pg_catalog.current_setting(name), pending_restart"
            + " FROM pg_catalog.pg_settings WHERE name IN (" + names + ")");
        for (List<String> row : r.rows()) {
          found.put(row.get(0), new Setting(row.get(1), "t".equals(row.get(2))));
        }
        return found;
      } catch (PgException e) {
        verbose.accept("could not read pg_settings: " + e.getMessage());
      }
    }
    if (repl != null) {
      for (String s : SETTINGS) {
        try {
          found.put(s, new Setting(repl.show(s), false));
        } catch (PgException e) {
          // max_slot_wal_keep_size is unknown before 13; the item says so.
          verbose.accept("could not SHOW " + s + ": " + e.getMessage());
        }
      }
    }
    return found;
  }

  private CheckItem walLevel() {
    Setting s = settings.get("wal_level");
    if (s == null) {
      return CheckItem.notChecked(WAL_LEVEL, noSettings());
    }
    String shown = "wal_level = " + s.value() + pending(s);
    if (s.value().equals("minimal")) {
      return CheckItem.fail(WAL_LEVEL, shown + ": the server writes too little WAL to stream",
          "postgresql.conf: wal_level = replica\n" + RESTART);
    }
    return CheckItem.ok(WAL_LEVEL, shown);
  }

  private CheckItem maxWalSenders() {
    Setting s = settings.get("max_wal_senders");
    if (s == null) {
      return CheckItem.notChecked(MAX_WAL_SENDERS, noSettings());
    }
    int max = Integer.parseInt(s.value());
    String shown = "max_wal_senders = " + s.value() + pending(s);
    if (max == 0) {
      Setting level = settings.get("wal_level");
      boolean minimal = level != null && level.value().equals("minimal");
      // Every "postgresql.conf:" line is pasteable as it stands; reasons go on the last line.
      return CheckItem.fail(MAX_WAL_SENDERS, shown + ": the server accepts no replication"
          + " connections", "postgresql.conf: max_wal_senders = " + DEFAULT_LIMIT
          + (minimal ? "\npostgresql.conf: wal_level = replica" : "") + "\n" + RESTART
          + (minimal ? " (wal_level = minimal allows no WAL senders)" : ""));
    }
    if (sql == null) {
      return CheckItem.warn(MAX_WAL_SENDERS, shown + "; could not check free senders: "
          + noSql());
    }
    // pg_stat_replication has one row per WAL sender slot in use (pg_stat_get_wal_senders()),
    // the very array max_wal_senders sizes; a walsender holds its slot from connection on,
    // streaming or not. Our own replication connection is one of them and leaves with us.
    int ours = repl != null ? repl.backendPid() : 0;
    int inUse;
    try {
      inUse = count("pg_catalog.pg_stat_replication WHERE pid <> " + ours);
    } catch (PgException e) {
      return CheckItem.warn(MAX_WAL_SENDERS, shown + "; could not check free senders: "
          + e.getMessage());
    }
    int free = max - inUse;
    String counted = shown + ", " + inUse + " in use by other clients, " + Math.max(free, 0)
        + " free";
    if (free <= 0) {
      return CheckItem.fail(MAX_WAL_SENDERS, counted, "postgresql.conf: max_wal_senders = "
          + roomFor(inUse) + "\n" + RESTART
          + "\nor stop an unused client: SELECT pid, application_name, client_addr"
          + " FROM pg_stat_replication;");
    }
    if (free < SENDERS_FOR_BASEBACKUP) {
      return CheckItem.warn(MAX_WAL_SENDERS, counted + ": enough for receivewal, not for"
          + " basebackup -X stream (needs " + SENDERS_FOR_BASEBACKUP + ")",
          "postgresql.conf: max_wal_senders = " + roomFor(inUse) + "\n" + RESTART);
    }
    return CheckItem.ok(MAX_WAL_SENDERS, counted);
  }

  private CheckItem maxReplicationSlots() {
    Setting s = settings.get("max_replication_slots");
    if (s == null) {
      return CheckItem.notChecked(MAX_REPLICATION_SLOTS, noSettings());
    }
    int max = Integer.parseInt(s.value());
    String shown = "max_replication_slots = " + s.value() + pending(s);
    String raise = "postgresql.conf: max_replication_slots = ";
    if (max == 0) {
      String message = shown + ": the server keeps no replication slots";
      String fix = raise + DEFAULT_LIMIT + "\n" + RESTART;
      return request.slotName() != null
          ? CheckItem.fail(MAX_REPLICATION_SLOTS, message, fix)
          : CheckItem.warn(MAX_REPLICATION_SLOTS, message, fix);
    }
    if (sql == null) {
      return CheckItem.ok(MAX_REPLICATION_SLOTS, shown + " (slots in use not counted: "
          + noSql() + ")");
    }
    int inUse;
    try {
      inUse = count("pg_catalog.pg_replication_slots");
    } catch (PgException e) {
      return CheckItem.warn(MAX_REPLICATION_SLOTS, shown + "; could not count slots in use: "
          + e.getMessage());
    }
    String counted = shown + ", " + inUse + " in use";
    boolean slotMissing = request.slotName() != null && readSlot().isEmpty()
        && slotError == null;
    if (inUse >= max && slotMissing) {
      return CheckItem.fail(MAX_REPLICATION_SLOTS, counted + ": slot \"" + request.slotName()
          + "\" cannot be created", raise + roomFor(inUse) + "\n" + RESTART);
    }
    return CheckItem.ok(MAX_REPLICATION_SLOTS, counted);
  }

  private CheckItem role() {
    String user = request.replication().user();
    String alter = "SQL (as a superuser): ALTER ROLE " + sqlIdentifier(user) + " REPLICATION;";
    if (sql != null) {
      try {
        QueryResult r = sql.query("SELECT rolreplication, rolsuper FROM pg_catalog.pg_roles"
            + " WHERE rolname = current_user");
        List<String> row = r.singleRow("read role attributes", 2);
        if ("t".equals(row.get(1))) {
          return CheckItem.ok(ROLE, "role \"" + user + "\" is a superuser (a role with only"
              + " LOGIN REPLICATION is enough)");
        }
        if ("t".equals(row.get(0))) {
          return CheckItem.ok(ROLE, "role \"" + user + "\" has REPLICATION");
        }
        return CheckItem.fail(ROLE, "role \"" + user + "\" lacks the REPLICATION attribute",
            alter);
      } catch (PgException e) {
        verbose.accept("could not read pg_roles: " + e.getMessage());
      }
    }
    if (repl != null) {
      return CheckItem.ok(ROLE, "role \"" + user + "\" may stream WAL (its replication"
          + " connection was accepted)");
    }
    if (lacksReplication(replError)) {
      return CheckItem.fail(ROLE, "role \"" + user + "\" lacks the REPLICATION attribute ("
          + replError.serverError().message() + ")", alter);
    }
    return CheckItem.notChecked(ROLE, noSql());
  }

  private CheckItem replicationConnection() {
    String user = request.replication().user();
    if (repl != null) {
      String from = clientAddress != null ? " from " + clientAddress
          : request.replication().isUnixSocket() ? " over the Unix socket" : "";
      return CheckItem.ok(REPLICATION_CONNECTION, "replication connection accepted for user \""
          + user + "\"" + from + (repl.isTls() ? " (TLS)" : ""));
    }
    String refused = "replication connection for user \"" + user + "\" refused: ";
    if (!replError.fromServer()) {
      return CheckItem.fail(REPLICATION_CONNECTION, refused + replError.getMessage(),
          replError.hint() != null ? replError.hint()
              : "connect with the options that work for psql (-h, -p, sslmode in -d)");
    }
    String serverText = replError.serverError().message();
    SqlState state = replError.sqlState();
    if (state.equals(SqlState.INVALID_AUTHORIZATION) && serverText.contains("pg_hba.conf")) {
      return CheckItem.fail(REPLICATION_CONNECTION, refused + serverText,
          "pg_hba.conf: " + hbaLine(user, serverText)
              + "\n(above any line that matches it first), " + RELOAD);
    }
    if (lacksReplication(replError)) {
      return CheckItem.fail(REPLICATION_CONNECTION, refused + serverText,
          "SQL (as a superuser): ALTER ROLE " + sqlIdentifier(user) + " REPLICATION;");
    }
    if (state.equals(SqlState.INVALID_PASSWORD)) {
      return CheckItem.fail(REPLICATION_CONNECTION, refused + serverText,
          "give the password of \"" + user + "\" (PGPASSWORD, ~/.pgpass or -W), or set it:"
              + "\nSQL (as a superuser): ALTER ROLE " + sqlIdentifier(user)
              + " PASSWORD 'new password';");
    }
    if (state.code().equals("53300")) {
      // "number of requested standby connections exceeds max_wal_senders" (or max_connections).
      Setting s = settings.get("max_wal_senders");
      int now = s == null ? 0 : Integer.parseInt(s.value());
      return CheckItem.fail(REPLICATION_CONNECTION, refused + serverText,
          "postgresql.conf: max_wal_senders = " + roomFor(now) + "\n" + RESTART);
    }
    return CheckItem.fail(REPLICATION_CONNECTION, refused + serverText, replError.hint());
  }

  private CheckItem slotItem() {
    String name = request.slotName();
    if (name == null) {
      return CheckItem.warn(SLOT, "no slot given (-S): without one the server may remove WAL"
          + " before it is received", "jwalreceiver slot create NAME, then pass -S NAME here"
          + " and to receivewal");
    }
    String quoted = "replication slot \"" + name + "\"";
    Optional<Slot> found = readSlot();
    if (slotError != null) {
      return CheckItem.notChecked(SLOT, slotError.getMessage());
    }
    String create = "SQL: SELECT pg_create_physical_replication_slot(" + SqlText.literal(name)
        + ", true);\nor: jwalreceiver slot create " + name;
    if (found.isEmpty()) {
      return CheckItem.fail(SLOT, quoted + " does not exist", create);
    }
    Slot s = found.get();
    if (!s.type().equals("physical")) {
      return CheckItem.fail(SLOT, quoted + " is a " + s.type() + " slot; streaming WAL needs a"
          + " physical one", "choose another name for a physical slot: SQL: SELECT"
          + " pg_create_physical_replication_slot('" + name + "_physical', true);");
    }
    if ("lost".equals(s.walStatus())) {
      return CheckItem.fail(SLOT, quoted + " is invalidated (wal_status lost): the server"
          + " removed WAL the slot still needed",
          "SQL: SELECT pg_drop_replication_slot(" + SqlText.literal(name) + ");\n" + create
              + "\nthe missing WAL is gone: take a new base backup; to keep it from happening"
              + " again raise max_slot_wal_keep_size in postgresql.conf and reload");
    }
    StringBuilder shown = new StringBuilder(quoted).append(": restart_lsn ")
        .append(s.restartLsn() == null ? "NULL" : s.restartLsn().toString());
    if (s.walStatus() != null) {
      shown.append(", wal_status ").append(s.walStatus());
    }
    if (s.safeWalSize() != null) {
      shown.append(", safe_wal_size ").append(s.safeWalSize());
    }
    if (s.active()) {
      return CheckItem.warn(SLOT, shown + "; in use by PID " + s.activePid()
          + ": a second client on it is refused");
    }
    if ("unreserved".equals(s.walStatus())) {
      return CheckItem.warn(SLOT, shown + ": past max_slot_wal_keep_size, the next checkpoint"
          + " may remove WAL it needs", "start receiving from it now, or raise the limit:"
          + " postgresql.conf: max_slot_wal_keep_size = <larger>\n" + RELOAD);
    }
    if (s.restartLsn() == null) {
      return CheckItem.warn(SLOT, shown + ": it reserves no WAL until a client first streams"
          + " from it", "start receiving from it now, or recreate it reserving WAL:\nSQL:"
          + " SELECT pg_drop_replication_slot(" + SqlText.literal(name) + ");\nSQL: SELECT"
          + " pg_create_physical_replication_slot(" + SqlText.literal(name) + ", true);");
    }
    if (s.walStatus() == null) {
      return CheckItem.warn(SLOT, shown + "; could not check wal_status: " + noSql());
    }
    return CheckItem.ok(SLOT, shown.toString());
  }

  /** The named slot, read once: pg_replication_slots, else READ_REPLICATION_SLOT (15+). */
  private Optional<Slot> readSlot() {
    if (slot != null || slotError != null) {
      return slot == null ? Optional.empty() : slot;
    }
    String name = request.slotName();
    if (sql != null) {
      boolean has13 = sql.serverVersionNum() >= 130000;
      try {
        QueryResult r = sql.query("SELECT slot_type, active, active_pid, restart_lsn, "
            + (has13 ? "wal_status, pg_catalog.pg_size_pretty(safe_wal_size)" : "NULL, NULL")
            + " FROM pg_catalog.pg_replication_slots WHERE slot_name = "
            + SqlText.literal(name));
        slot = r.rows().stream().findFirst().map(row -> new Slot(row.get(0),
            "t".equals(row.get(1)), row.get(2), row.get(3) == null ? null
                : Lsn.parse(row.get(3)), row.get(4), row.get(5)));
        return slot;
      } catch (PgException e) {
        verbose.accept("could not read pg_replication_slots: " + e.getMessage());
      }
    }
    if (repl != null && repl.serverVersionNum() >= 150000) {
      try {
        Optional<SlotPosition> p = repl.readReplicationSlot(name);
        slot = p.map(s -> new Slot(s.slotType(), false, null, s.restartLsn(), null, null));
        return slot;
      } catch (PgException e) {
        slotError = e;
        return Optional.empty();
      }
    }
    slotError = new PgException(SqlState.CONNECTION_UNABLE, noSql()
        + (repl != null ? " (READ_REPLICATION_SLOT needs PostgreSQL 15)" : ""));
    return Optional.empty();
  }

  private CheckItem maxSlotWalKeepSize() {
    Setting s = settings.get("max_slot_wal_keep_size");
    if (s == null) {
      return settings.isEmpty()
          ? CheckItem.notChecked(MAX_SLOT_WAL_KEEP_SIZE, noSettings())
          : CheckItem.ok(MAX_SLOT_WAL_KEEP_SIZE, "max_slot_wal_keep_size does not exist before"
              + " PostgreSQL 13: slots keep WAL without limit");
    }
    String shown = "max_slot_wal_keep_size = " + s.value() + pending(s);
    if (s.value().equals("-1")) {
      return CheckItem.ok(MAX_SLOT_WAL_KEEP_SIZE, shown + ": slots keep WAL without limit"
          + " (a stopped receiver fills the server's pg_wal)");
    }
    return CheckItem.ok(MAX_SLOT_WAL_KEEP_SIZE, shown + ": a slot further behind than this"
        + " loses its WAL");
  }

  private CheckItem archive() {
    Path dir = request.directory();
    WalSegmentSize size;
    SystemIdentity id = null;
    try {
      Setting shown = settings.get("wal_segment_size");
      size = shown != null ? WalSegmentSize.parseShow(shown.value())
          : repl != null ? repl.walSegmentSize() : null;
      if (repl != null) {
        id = repl.identifySystem();
      }
    } catch (PgException e) {
      return CheckItem.notChecked(ARCHIVE, e.getMessage());
    }
    if (size == null) {
      return CheckItem.notChecked(ARCHIVE, "the WAL segment size is unknown: " + noSql());
    }
    Optional<ResumePoint> resume;
    try {
      resume = ResumePoint.scan(dir, size, warnings);
    } catch (PgException e) {
      return CheckItem.fail(ARCHIVE, e.getMessage(), "make the directory readable, or "
          + NEW_DIRECTORY);
    }
    Optional<Slot> s = request.slotName() == null ? Optional.empty() : readSlot();
    if (resume.isEmpty()) {
      String from = s.isPresent() && s.get().restartLsn() != null
          ? "the slot's restart_lsn " + s.get().restartLsn()
          : "the server's current position";
      return CheckItem.ok(ARCHIVE, "\"" + dir + "\" holds no WAL yet: receivewal starts at "
          + from);
    }
    ResumePoint r = resume.get();
    String at = "resuming \"" + dir + "\" at " + r.start() + " (timeline " + r.timeline()
        + ", after " + r.fromFile() + ")";
    if (id != null) {
      if (r.timeline().compareTo(id.timeline()) > 0) {
        return CheckItem.fail(ARCHIVE, at + ": the server is only on timeline " + id.timeline()
            + " (another cluster?)", NEW_DIRECTORY);
      }
      if (r.timeline().equals(id.timeline()) && r.start().isAfter(id.xlogPosition())) {
        return CheckItem.fail(ARCHIVE, at + ": ahead of the server's WAL at "
            + id.xlogPosition() + " (another cluster, or a restored one?)", NEW_DIRECTORY);
      }
    }
    if (s.isPresent() && "physical".equals(s.get().type())) {
      Slot sl = s.get();
      String named = "slot \"" + request.slotName() + "\"";
      if ("lost".equals(sl.walStatus())) {
        return CheckItem.fail(ARCHIVE, at + " would leave a gap: " + named + " lost its WAL",
            NEW_DIRECTORY + " and take a new base backup");
      }
      if (sl.restartLsn() != null) {
        if (r.start().isBefore(sl.restartLsn().segmentStart(size))) {
          return CheckItem.fail(ARCHIVE, at + " would leave a gap: " + named
              + " only keeps WAL from " + sl.restartLsn() + " (receivewal refuses to resume)",
              NEW_DIRECTORY + " and take a new base backup");
        }
        return CheckItem.ok(ARCHIVE, at + ": " + named + " keeps WAL from "
            + sl.restartLsn() + ", no gap");
      }
    }
    return oldestOnServer(at, r, size);
  }

  /** Without a slot's reservation, the gap question is whether the server still has the WAL. */
  private CheckItem oldestOnServer(String at, ResumePoint r, WalSegmentSize size) {
    if (sql == null) {
      return CheckItem.notChecked(ARCHIVE, at + ": whether the server still has that WAL needs"
          + " pg_ls_waldir(): " + noSql());
    }
    List<String> names;
    try {
      names = sql.query("SELECT name FROM pg_catalog.pg_ls_waldir()").rows().stream()
          .map(row -> row.get(0)).toList();
    } catch (PgException e) {
      String user = request.replication().user();
      return CheckItem.warn(ARCHIVE, at + ": could not check whether the server still has"
          + " that WAL: " + shortMessage(e),
          "SQL (as a superuser): GRANT pg_monitor TO " + sqlIdentifier(user) + ";");
    }
    long oldest = -1;
    for (String n : names) {
      if (SegmentName.isSegmentFileName(n)) {
        long number = SegmentName.parse(n, size).segmentNumber();
        if (oldest < 0 || Long.compareUnsigned(number, oldest) < 0) {
          oldest = number;
        }
      }
    }
    long wanted = size.segmentNumber(r.start());
    if (oldest < 0 || Long.compareUnsigned(wanted, oldest) >= 0) {
      return CheckItem.ok(ARCHIVE, at + ": the server still has that WAL, no gap (without a slot"
          + " it may remove it before receivewal starts)");
    }
    return CheckItem.fail(ARCHIVE, at + " would leave a gap: the server's oldest WAL starts at "
        + size.segmentStart(oldest), NEW_DIRECTORY + " and take a new base backup; use a slot"
        + " (-S) so the server keeps WAL for it");
  }

  // ---------------------------------------------------------------- helpers

  /** {@code SELECT count(*) FROM <from>} on the SQL session. */
  private int count(String from) {
    return Integer.parseInt(
        sql.query("SELECT count(*) FROM " + from).singleRow("count " + from, 1).get(0));
  }

  private static boolean lacksReplication(PgException e) {
    // 42501: "must be superuser or replication role to start walsender" (13-15), "permission
    // denied to start WAL sender" (16+).
    return e != null && e.fromServer() && e.sqlState().code().equals("42501");
  }

  /** The pg_hba.conf line that admits this user's replication connection from where it came. */
  private String hbaLine(String user, String serverText) {
    String role = hbaName(user);
    if (request.replication().isUnixSocket()) {
      return "local replication " + role + " scram-sha-256";
    }
    String address = clientAddress;
    if (address == null) {
      Matcher m = HBA_HOST.matcher(serverText);
      address = m.find() ? m.group(1) : request.replication().host();
    }
    String mask = address.contains(":") ? "/128" : "/32";
    return "host replication " + role + " " + address + mask + " scram-sha-256";
  }

  private static String hbaName(String user) {
    return isPlainName(user) && !user.equals("all") ? user : '"' + user + '"';
  }

  private static String sqlIdentifier(String user) {
    return isPlainName(user) && !RESERVED.contains(user) ? user : SqlText.identifier(user);
  }

  private static boolean isPlainName(String s) {
    if (s.isEmpty() || !(Character.isLowerCase(s.charAt(0)) || s.charAt(0) == '_')) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        return false;
      }
    }
    return true;
  }

  /** Room for what is in use now plus a receiver and a backup's streamer. */
  private static int roomFor(int inUse) {
    return Math.max(DEFAULT_LIMIT, inUse + SENDERS_FOR_BASEBACKUP);
  }

  private static String pending(Setting s) {
    return s.pendingRestart() ? " (postgresql.conf was changed: a restart is pending)" : "";
  }

  private String noSql() {
    return "no SQL session (" + shortMessage(sqlError) + ")";
  }

  private String noSettings() {
    return "no connection could read the settings (" + shortMessage(sqlError) + ")";
  }

  private static String shortMessage(PgException e) {
    if (e == null) {
      return "query failed";
    }
    return e.fromServer() ? e.serverError().message() : e.getMessage();
  }

  private static String describe(ConnectionConfig c) {
    return c.isUnixSocket()
        ? String.format(Locale.ROOT, "socket \"%s/.s.PGSQL.%d\"", c.host(), c.port())
        : c.host() + ":" + c.port();
  }
}
