// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.Commands;
import io.jwalreceiver.embedded.PgCtl;
import io.jwalreceiver.embedded.Poll;
import io.jwalreceiver.embedded.PostgresServerException;
import io.jwalreceiver.embedded.ServerUser;
import io.jwalreceiver.testkit.PostgresServer.Options;
import io.jwalreceiver.testkit.PostgresServer.StopMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The process side of a {@link PostgresServer}: its directories, port and settings, initdb, {@code
 * pg_ctl start}/{@code stop} (on a free port, retried when another process took it meanwhile), the
 * kill when pg_ctl fails, waits that fail with the server log's tail, and the registry the shutdown
 * hook stops. The public methods here are part of {@link PostgresServer}'s API.
 */
abstract class ServerProcess {

  /** How long the waits of the helpers (replication, promotion) take at most. */
  static final Duration WAIT_TIMEOUT = Duration.ofSeconds(60);

  private static final Duration STOP_TIMEOUT = PgCtl.STOP_TIMEOUT;
  private static final int PORT_ATTEMPTS = 5;
  private static final int LOG_TAIL_LINES = 40;

  private static final Set<ServerProcess> LIVE = ConcurrentHashMap.newKeySet();

  final Options options;
  final PgCtl pgCtl;
  final Path serverDir;
  final Path dataDir;
  final Path socketDir;
  final Path logFile;

  /** What {@code postgresql.auto.conf} gets on every start: port, sockets, TLS, standby. */
  final Map<String, String> instanceSettings = new LinkedHashMap<>();

  /** What initdb printed (or where a copied data directory came from), for start failures. */
  String initdbOutput = "";

  volatile boolean running;

  /** Whether this is a JVM-wide {@code PostgresServer.shared} server, which tests must not stop. */
  volatile boolean shared;

  private final ReentrantLock lifecycle = new ReentrantLock();
  private volatile int port;

  ServerProcess(Options options, Path serverDir, Path dataDir) {
    this.options = options;
    this.pgCtl = PgCtl.of(options.major());
    this.serverDir = serverDir;
    this.dataDir = dataDir;
    this.socketDir = serverDir.resolve("sock");
    this.logFile = serverDir.resolve("server.log");
    ServerUser.get().createPrivateDir(socketDir);
    instanceSettings.put("listen_addresses", PostgresServer.HOST);
    instanceSettings.put("unix_socket_directories", socketDir.toString());
  }

  // ---------------------------------------------------------------- accessors

  /**
   * The address the server listens on.
   *
   * @return {@value PostgresServer#HOST}
   */
  public String host() {
    return PostgresServer.HOST;
  }

  /**
   * The TCP port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The Unix-socket directory ({@code .s.PGSQL.<port>} is in it).
   *
   * @return the directory
   */
  public Path socketDir() {
    return socketDir;
  }

  /**
   * The major version.
   *
   * @return 13 to 18
   */
  public int majorVersion() {
    return options.major();
  }

  /**
   * The options the server was created with.
   *
   * @return the options
   */
  public Options options() {
    return options;
  }

  /**
   * The data directory.
   *
   * @return the directory (owned by the server user)
   */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * The directory with {@code initdb}, {@code pg_ctl} and {@code postgres}.
   *
   * @return the directory
   */
  public Path binDir() {
    return pgCtl.binDir();
  }

  /**
   * The server log ({@code pg_ctl -l}).
   *
   * @return the file
   */
  public Path logFile() {
    return logFile;
  }

  /**
   * The last lines of the server log.
   *
   * @param lines how many
   * @return the text, or an empty string if there is no log yet
   */
  public String logTail(int lines) {
    return PgCtl.logTail(logFile, lines);
  }

  /**
   * Whether the postmaster is running (its pid from {@code postmaster.pid} is alive).
   *
   * @return true if running
   */
  public boolean isRunning() {
    return running && PgCtl.postmaster(dataDir).isPresent();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the server again after {@link #stop()}, on the same port. No-op if running. */
  public void start() {
    lifecycle.lock();
    try {
      if (running) {
        return;
      }
      LIVE.add(this);
      Commands.Result result = pgCtl.start(dataDir, logFile, serverDir);
      if (!result.ok()) {
        killPostmaster();
        throw startFailure(result);
      }
      running = true;
    } finally {
      lifecycle.unlock();
    }
  }

  /** Stops the server with {@code pg_ctl stop -m fast}. No-op if stopped. */
  public void stop() {
    stop(StopMode.FAST);
  }

  /**
   * Stops the server. If pg_ctl fails the postmaster is killed.
   *
   * @param mode the shutdown mode
   */
  public void stop(StopMode mode) {
    lifecycle.lock();
    try {
      if (!running) {
        return;
      }
      running = false;
      Commands.Result result = pgCtl.stop(dataDir, mode.argument(), STOP_TIMEOUT, serverDir);
      if (!result.ok()) {
        killPostmaster();
        throw new PostgresServerException(
            "pg_ctl stop failed for " + this + " (killed it): " + result.output() + logSection());
      }
    } finally {
      lifecycle.unlock();
    }
  }

  /** Stops ({@code fast}) and starts again on the same port. */
  public void restart() {
    stop();
    start();
  }

  @Override
  public String toString() {
    return "PostgreSQL "
        + options.major()
        + " on "
        + PostgresServer.HOST
        + ":"
        + port
        + " ("
        + dataDir
        + ")";
  }

  // ---------------------------------------------------------------- internals

  /** Runs initdb into the data directory; throws with its output when it fails. */
  void initdb() {
    List<String> extra = new ArrayList<>();
    if (options.fast()) {
      extra.add("--no-sync");
    }
    extra.addAll(options.initdbArgs());
    Commands.Result result = pgCtl.initdb(dataDir, PostgresServer.SUPERUSER, extra, serverDir);
    initdbOutput = result.output();
    if (!result.ok()) {
      throw new PostgresServerException(
          "initdb failed for PostgreSQL "
              + options.major()
              + " (exit "
              + result.exitCode()
              + "): "
              + String.join(" ", result.command())
              + "\n"
              + result.output());
    }
  }

  /** Picks a free port, writes it, starts; retries with another port if it was taken meanwhile. */
  void startOnFreePort() {
    lifecycle.lock();
    try {
      LIVE.add(this);
      for (int attempt = 1; ; attempt++) {
        port = PgCtl.freePort(PostgresServer.HOST);
        instanceSettings.put("port", Integer.toString(port));
        ServerConfiguration.writeInstanceSettings(dataDir, instanceSettings);
        Commands.Result result = pgCtl.start(dataDir, logFile, serverDir);
        if (result.ok()) {
          running = true;
          return;
        }
        killPostmaster();
        String log = logTail(LOG_TAIL_LINES);
        boolean portClash =
            log.contains("could not bind")
                || log.contains("Address already in use")
                || log.contains("could not create any TCP/IP sockets");
        if (!portClash || attempt >= PORT_ATTEMPTS) {
          throw startFailure(result);
        }
      }
    } finally {
      lifecycle.unlock();
    }
  }

  private PostgresServerException startFailure(Commands.Result result) {
    return new PostgresServerException(
        "PostgreSQL "
            + options.major()
            + " failed to start in "
            + dataDir
            + " (port "
            + port
            + "):\n"
            + result.output()
            + logSection()
            + "\n--- initdb output ---\n"
            + initdbOutput);
  }

  private String logSection() {
    return "\n--- last "
        + LOG_TAIL_LINES
        + " lines of "
        + logFile
        + " ---\n"
        + logTail(LOG_TAIL_LINES);
  }

  /** Kills the postmaster (and with it its children) if one is running from this data dir. */
  void killPostmaster() {
    running = false;
    PgCtl.postmaster(dataDir).ifPresent(PgCtl::kill);
  }

  /**
   * After a failed creation: kill whatever runs and forget the server (its files stay for the
   * post-mortem).
   */
  void abandon() {
    killPostmaster();
    LIVE.remove(this);
  }

  /** Forgets a closed server: the shutdown hook has nothing more to stop. */
  void forget() {
    LIVE.remove(this);
  }

  /** Polls {@code condition}; on timeout throws with the server log's tail. */
  void await(Duration timeout, BooleanSupplier condition, String what) {
    try {
      Poll.until(timeout, condition);
    } catch (Poll.TimedOut e) {
      throw new PostgresServerException(
          "timed out after " + timeout.toSeconds() + " s waiting for " + what + logSection(),
          e.lastFailure());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PostgresServerException("interrupted waiting for " + what, e);
    }
  }

  /** For the shutdown hook: stops every server still registered, killing what does not stop. */
  static void stopAll() {
    for (ServerProcess server : List.copyOf(LIVE)) {
      try {
        server.lifecycle.lock();
        try {
          if (server.running) {
            server.running = false;
            server.pgCtl.stop(
                server.dataDir,
                StopMode.IMMEDIATE.argument(),
                Duration.ofSeconds(15),
                server.serverDir);
          }
        } finally {
          server.lifecycle.unlock();
        }
      } catch (RuntimeException e) {
        // Fall through to the kill.
      }
      server.killPostmaster();
    }
    LIVE.clear();
  }
}
