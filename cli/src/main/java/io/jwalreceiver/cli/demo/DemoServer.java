// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.embedded.Commands;
import io.jwalreceiver.embedded.PgCtl;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

/** One server the demo runs: its data directory, port and log, started and stopped with pg_ctl. */
final class DemoServer {

  /** The address both servers listen on. */
  static final String HOST = "127.0.0.1";

  /** The database superuser initdb creates (trusted from {@value #HOST}). */
  static final String SUPERUSER = "postgres";

  private static final Duration STOP_WAIT = Duration.ofSeconds(30);
  private static final int LOG_TAIL_LINES = 20;

  private final String role;
  private final PgCtl pgCtl;
  private final Path dataDir;
  private final Path logFile;
  private final Path workDir;
  private final int port;
  private volatile boolean started;

  /**
   * @param role {@code primary} or {@code standby}, for messages
   * @param workDir the demo directory (also the socket directory and where the log goes)
   */
  DemoServer(String role, PgCtl pgCtl, Path dataDir, Path workDir, int port) {
    this.role = role;
    this.pgCtl = pgCtl;
    this.dataDir = dataDir;
    this.logFile = workDir.resolve(role + ".log");
    this.workDir = workDir;
    this.port = port;
  }

  String role() {
    return role;
  }

  Path dataDir() {
    return dataDir;
  }

  Path logFile() {
    return logFile;
  }

  int port() {
    return port;
  }

  /** {@code pg_ctl start -w}; throws with the log's tail when the server does not come up. */
  void start() {
    started = true;
    Commands.Result result = pgCtl.start(dataDir, logFile, workDir);
    if (!result.ok()) {
      throw new Demo.Failure(
          "the "
              + role
              + " did not start (pg_ctl exit "
              + result.exitCode()
              + "):\n"
              + result.output().strip()
              + "\n--- "
              + logFile
              + " ---\n"
              + logTail());
    }
  }

  /**
   * Stops the server ({@code pg_ctl stop -m fast}), killing its postmaster if pg_ctl fails. Does
   * nothing for a server never started.
   *
   * @return true when pg_ctl stopped it cleanly
   */
  boolean stop() {
    if (!started) {
      return true;
    }
    started = false;
    boolean clean = pgCtl.stop(dataDir, "fast", STOP_WAIT, workDir).ok();
    PgCtl.postmaster(dataDir).ifPresent(PgCtl::kill);
    return clean;
  }

  /** Runs SQL statements, one simple query each, as the superuser; returns the last result. */
  QueryResult sql(String database, String statement, String... more) {
    ConnectionConfig config =
        ConnectionConfig.of(HOST, port, SUPERUSER).toBuilder()
            .replication(null)
            .database(database)
            .fallbackApplicationName("jwalreceiver demo")
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    try (ReplicationConnection c = ReplicationConnection.open(config)) {
      QueryResult last = c.query(statement);
      for (String sql : more) {
        last = c.query(sql);
      }
      return last;
    }
  }

  /** psql's connection options for this server as the superuser, as the transcript shows them. */
  String connect(String database) {
    return "-h "
        + HOST
        + " -p "
        + port
        + " -U "
        + SUPERUSER
        + (database.equals("postgres") ? "" : " -d " + database);
  }

  /** Appends settings to the server's {@code postgresql.conf}, under a comment naming the demo. */
  void appendConf(List<String> lines) {
    Path file = dataDir.resolve("postgresql.conf");
    StringBuilder text = new StringBuilder("\n# added by jwalreceiver demo\n");
    lines.forEach(l -> text.append(l).append('\n'));
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The first column of the first row of a query on database {@code postgres}. */
  String value(String sql) {
    return sql("postgres", sql).rows().get(0).get(0);
  }

  /** The end of the server log. */
  String logTail() {
    return PgCtl.logTail(logFile, LOG_TAIL_LINES);
  }
}
