// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.PostgresServerException;
import io.jwalreceiver.testkit.PostgresServer.Options;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * The SQL side of a {@link PostgresServer}, over JDBC as the superuser: statements and queries, WAL
 * generation and switching, and the waits and actions of replication tests (a standby streaming,
 * replay reaching an LSN, promotion). The public methods here are part of {@link PostgresServer}'s
 * API.
 */
abstract class ServerSql extends ServerProcess {

  ServerSql(Options options, Path serverDir, Path dataDir) {
    super(options, serverDir, dataDir);
  }

  // ---------------------------------------------------------------- SQL

  /**
   * The JDBC URL of database {@code postgres} as the superuser, over TCP. Append parameters with
   * {@code &}, e.g. {@code &sslmode=verify-full&sslrootcert=...}.
   *
   * @return {@code jdbc:postgresql://127.0.0.1:<port>/postgres?user=postgres}
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://"
        + PostgresServer.HOST
        + ":"
        + port()
        + "/postgres?user="
        + PostgresServer.SUPERUSER;
  }

  /**
   * A new connection as the superuser (plain TCP, no TLS). The caller closes it.
   *
   * @return the connection
   * @throws PostgresServerException if it cannot connect
   */
  public Connection sql() {
    Properties props = new Properties();
    props.setProperty("sslmode", "disable");
    props.setProperty("gssEncMode", "disable");
    props.setProperty("connectTimeout", "10");
    props.setProperty("ApplicationName", "jwalreceiver-testkit");
    try {
      return DriverManager.getConnection(jdbcUrl(), props);
    } catch (SQLException e) {
      throw new PostgresServerException("cannot connect to " + this, e);
    }
  }

  /**
   * Runs one or more SQL statements as the superuser.
   *
   * @param sql the statements
   */
  public void execute(String sql) {
    try (Connection c = sql();
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new PostgresServerException("failed on " + this + ": " + sql, e);
    }
  }

  /**
   * The first column of the first row of a query, as text.
   *
   * @param sql the query
   * @return the value (may be {@code null} for SQL NULL)
   * @throws PostgresServerException if the query fails or returns no row
   */
  public @Nullable String queryString(String sql) {
    try (Connection c = sql();
        Statement st = c.createStatement()) {
      return queryString(st, sql);
    } catch (SQLException e) {
      throw new PostgresServerException("failed on " + this + ": " + sql, e);
    }
  }

  /**
   * {@code server_version_num}, e.g. 180002.
   *
   * @return the number
   */
  public int serverVersionNum() {
    return Integer.parseInt(value("SHOW server_version_num"));
  }

  /**
   * Whether the server is in recovery (a standby).
   *
   * @return {@code pg_is_in_recovery()}
   */
  public boolean isInRecovery() {
    return "t".equals(queryString("SELECT pg_is_in_recovery()"));
  }

  /** Re-reads the configuration files ({@code pg_reload_conf()}). */
  public void reload() {
    queryString("SELECT pg_reload_conf()");
  }

  // ---------------------------------------------------------------- WAL

  /**
   * Writes at least {@code bytes} of WAL quickly (non-transactional logical messages of 64 KiB,
   * which need no table and work at {@code wal_level=replica}), then commits a transactional
   * message so that everything written is flushed (and so can be streamed).
   *
   * @param bytes how much WAL to produce
   * @return {@code pg_current_wal_flush_lsn()} afterwards, at or after the end of the new WAL
   */
  public String generateWal(long bytes) {
    final int chunk = 64 * 1024;
    try (Connection c = sql();
        Statement st = c.createStatement()) {
      String start = value(st, "SELECT pg_current_wal_insert_lsn()");
      long written = 0;
      while (written < bytes) {
        long messages = Math.min(256, Math.max(1, (bytes - written + chunk - 1) / chunk));
        st.execute(
            "SELECT count(pg_logical_emit_message(false, 'jwalreceiver-filler', repeat('x', "
                + chunk
                + "))) FROM generate_series(1, "
                + messages
                + ")");
        written =
            Long.parseLong(
                value(
                    st,
                    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '"
                        + start
                        + "')::bigint"));
      }
      // A transaction that wrote WAL itself commits synchronously, flushing everything before
      // its commit record. (One that only took an xid would commit asynchronously.)
      queryString(st, "SELECT pg_logical_emit_message(true, 'jwalreceiver-flush', '')");
      return value(st, "SELECT pg_current_wal_flush_lsn()");
    } catch (SQLException e) {
      throw new PostgresServerException("cannot generate WAL on " + this, e);
    }
  }

  /**
   * Switches to a new WAL segment ({@code pg_switch_wal()}); a no-op on the server's side if
   * nothing was written since the last switch.
   *
   * @return the end of the switch record
   */
  public String switchWal() {
    return value("SELECT pg_switch_wal()");
  }

  /**
   * The current WAL position: {@code pg_current_wal_lsn()}, or on a standby {@code
   * pg_last_wal_replay_lsn()}.
   *
   * @return an LSN such as {@code 0/3000148}
   */
  public String currentWalLsn() {
    return value(
        "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            + " ELSE pg_current_wal_lsn() END");
  }

  // ---------------------------------------------------------------- replication

  /**
   * Waits until {@code pg_stat_replication} on this server shows a standby with the given {@code
   * application_name} in state {@code streaming}.
   *
   * @param applicationName the standby's name
   * @param timeout how long to wait
   * @throws PostgresServerException on timeout (with this server's log tail)
   */
  public void awaitReplication(String applicationName, Duration timeout) {
    String sql =
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name ="
            + " '"
            + applicationName.replace("'", "''")
            + "'";
    await(
        timeout,
        () -> !"0".equals(queryString(sql)),
        "standby '" + applicationName + "' streaming from " + this);
  }

  /**
   * On a standby: waits until WAL up to {@code lsn} has been replayed.
   *
   * @param lsn a position from the primary, e.g. {@link #currentWalLsn()} there
   * @param timeout how long to wait
   */
  public void awaitReplay(String lsn, Duration timeout) {
    String sql = "SELECT pg_last_wal_replay_lsn() >= '" + lsn.replace("'", "''") + "'::pg_lsn";
    await(timeout, () -> "t".equals(queryString(sql)), "replay of " + lsn + " on " + this);
  }

  /**
   * Promotes a standby ({@code pg_ctl promote -w}) and waits until it leaves recovery.
   *
   * @throws PostgresServerException if promotion fails or times out
   */
  public void promote() {
    pgCtl
        .pgCtl(
            List.of(
                "promote",
                "-D",
                dataDir.toString(),
                "-w",
                "-t",
                Long.toString(WAIT_TIMEOUT.toSeconds())),
            serverDir,
            WAIT_TIMEOUT.plusSeconds(10))
        .check();
    await(WAIT_TIMEOUT, () -> !isInRecovery(), "promotion of " + this);
  }

  private static @Nullable String queryString(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) {
        throw new PostgresServerException("no row from: " + sql);
      }
      return rs.getString(1);
    }
  }

  /** {@link #queryString(String)} of a query that cannot return SQL NULL. */
  private String value(String sql) {
    return notNull(sql, queryString(sql));
  }

  private static String value(Statement st, String sql) throws SQLException {
    return notNull(sql, queryString(st, sql));
  }

  private static String notNull(String sql, @Nullable String value) {
    if (value == null) {
      throw new PostgresServerException("NULL from: " + sql);
    }
    return value;
  }
}
