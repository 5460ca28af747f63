// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.embedded.Commands;
import io.jwalreceiver.embedded.PgCtl;
import io.jwalreceiver.embedded.Poll;
import io.jwalreceiver.embedded.ServerUser;
import io.jwalreceiver.session.QueryResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The demo's steps once the binaries are found and its directory exists: the primary, the
 * replication role, the slot, the standby from our base backup, the replicated row, the WAL
 * archived by our receiver, and how to stop what {@code --keep} leaves running. Each step prints
 * the manual command that does the same; the servers it starts are listed for the clean-up.
 */
final class DemoSteps {

  private static final String MASK = "********";

  private final DemoHost host;
  private final Transcript say;
  private final PgCtl pgCtl;
  private final ServerUser user;
  private final Path dir;
  private final Path passFile;
  private final Path archive;
  private final Duration wait;
  private final List<DemoServer> servers = new CopyOnWriteArrayList<>();
  private final DemoArchiver archiver;
  private volatile @Nullable DemoObjectStorage objectStorage;

  /**
   * @param dir the demo directory (exists, handed over to the server user)
   * @param wait how long each wait for a server may take
   */
  DemoSteps(DemoHost host, Transcript say, PgCtl pgCtl, ServerUser user, Path dir, Duration wait) {
    this.host = host;
    this.say = say;
    this.pgCtl = pgCtl;
    this.user = user;
    this.dir = dir;
    this.passFile = dir.resolve("pgpass");
    this.wait = wait;
    this.archive = dir.resolve("wal-archive");
    this.archiver = new DemoArchiver(say, host, archive, wait);
  }

  /** The servers started so far, in the order they were started. */
  List<DemoServer> servers() {
    return servers;
  }

  /** Stops the WAL archiver and the S3 server if they run (clean-up, Ctrl-C). */
  void stopArchiver() {
    archiver.requestStop();
    DemoObjectStorage storage = objectStorage;
    if (storage != null) {
      storage.stop();
    }
  }

  /**
   * {@code --s3}: a backup and WAL into an embedded S3 server with our commands, then {@code
   * archive verify}; see {@link DemoObjectStorage}.
   */
  void objectStorage(DemoServer primary) {
    DemoObjectStorage storage = new DemoObjectStorage(host, say, dir, passFile, connectionArgs());
    objectStorage = storage;
    storage.run(primary);
  }

  DemoServer createPrimary(int port) {
    DemoServer primary = new DemoServer("primary", pgCtl, dir.resolve("primary"), dir, port);
    say.step("Creating the primary's data directory");
    say.command(
        asServerUser(
            "initdb -D "
                + primary.dataDir()
                + " -U "
                + DemoServer.SUPERUSER
                + " --auth=trust -E UTF8 --locale=C"));
    Commands.Result initdb = pgCtl.initdb(primary.dataDir(), DemoServer.SUPERUSER, List.of(), dir);
    if (!initdb.ok()) {
      throw new Demo.Failure(
          "initdb failed (exit " + initdb.exitCode() + "):\n" + initdb.output().strip());
    }

    say.step("Configuring the primary for replication");
    List<String> settings =
        List.of(
            "listen_addresses = '" + DemoServer.HOST + "'",
            "port = " + port,
            "unix_socket_directories = '" + dir + "'",
            "wal_level = replica                       # the default: enough WAL for a standby",
            "max_wal_senders = 10                      # the default: one per standby or archiver",
            "password_encryption = 'scram-sha-256'     # the default since 14");
    say.heredoc("cat >> " + primary.dataDir().resolve("postgresql.conf"), settings);
    primary.appendConf(settings);
    List<String> hba =
        List.of(
            "# TYPE  DATABASE     USER        ADDRESS        METHOD",
            "local   all          all                        trust",
            "host    all          "
                + DemoServer.SUPERUSER
                + "    "
                + DemoServer.HOST
                + "/32   trust",
            "host    replication  " + Demo.ROLE + "  " + DemoServer.HOST + "/32   scram-sha-256");
    Path hbaFile = primary.dataDir().resolve("pg_hba.conf");
    say.heredoc("cat > " + hbaFile, hba);
    user.writeFile(hbaFile, String.join("\n", hba) + "\n", false);

    startServer(primary);
    return primary;
  }

  void createReplicationRole(DemoServer primary) {
    say.step("Creating the replication role \"" + Demo.ROLE + "\" with a SCRAM-SHA-256 password");
    String password = randomPassword();
    say.command(
        "psql "
            + primary.connect("postgres")
            + " -c \"CREATE ROLE "
            + Demo.ROLE
            + " WITH REPLICATION LOGIN PASSWORD '"
            + MASK
            + "'\"");
    primary.sql(
        "postgres",
        "SET password_encryption = 'scram-sha-256'",
        "CREATE ROLE " + Demo.ROLE + " WITH REPLICATION LOGIN PASSWORD '" + password + "'");
    String check =
        "SELECT rolname, rolreplication, left(rolpassword, 14) AS stored_as"
            + " FROM pg_authid WHERE rolname = '"
            + Demo.ROLE
            + "'";
    say.command("psql " + primary.connect("postgres") + " -c \"" + check + "\"");
    say.table(primary.sql("postgres", check));

    String line = DemoServer.HOST + ":" + primary.port() + ":*:" + Demo.ROLE + ":";
    say.say(
        "the password is random and never printed; it goes into a password file, which the"
            + " demo's commands use:");
    say.command("echo '" + line + MASK + "' > " + passFile + " && chmod 600 " + passFile);
    say.command("export PGPASSFILE=" + passFile);
    // Owned by the server user: -R names the file in primary_conninfo, and the standby reads it.
    user.writeFile(passFile, line + password + "\n", true);
  }

  void createSlot(DemoServer primary) {
    tool(
        "Creating the physical replication slot " + Demo.SLOT,
        "psql "
            + primary.connect("postgres")
            + " -c \"SELECT pg_create_physical_replication_slot('"
            + Demo.SLOT
            + "', true)\"",
        "slot",
        "create",
        Demo.SLOT);
  }

  DemoServer createStandby(int port) {
    DemoServer standby = new DemoServer("standby", pgCtl, dir.resolve("standby"), dir, port);
    tool(
        "Taking a base backup into the standby's directory, with its standby configuration (-R)",
        null,
        "basebackup",
        "-D",
        standby.dataDir().toString(),
        "-R",
        "-S",
        Demo.SLOT,
        "-X",
        "stream",
        "-c",
        "fast",
        "-P",
        "-v");
    Path auto = standby.dataDir().resolve("postgresql.auto.conf");
    say.say(
        "-R wrote "
            + standby.dataDir().resolve("standby.signal")
            + " (empty) and, in "
            + auto.getFileName()
            + ":");
    for (String l : readLines(auto)) {
      if (l.startsWith("primary_")) {
        say.say("  " + l.replaceAll("password=('[^']*'|\\S+)", "password=" + MASK));
      }
    }

    say.step("Configuring the standby");
    List<String> settings = List.of("port = " + port);
    say.heredoc("cat >> " + standby.dataDir().resolve("postgresql.conf"), settings);
    standby.appendConf(settings);
    if (user.switchesUser()) {
      say.command("chown -R " + user.name() + ": " + standby.dataDir());
    }
    say.command("chmod 700 " + standby.dataDir());
    user.handOver(standby.dataDir());

    startServer(standby);
    say.say("in recovery (a standby): " + standby.value("SELECT pg_is_in_recovery()"));
    return standby;
  }

  void awaitStreaming(DemoServer primary) {
    say.step("Waiting until the primary shows the standby streaming");
    String replication =
        "SELECT application_name, client_addr, state, sent_lsn, replay_lsn,"
            + " sync_state FROM pg_stat_replication";
    await(
        "the standby to stream",
        () ->
            !primary.sql("postgres", replication + " WHERE state = 'streaming'").rows().isEmpty());
    say.command("psql " + primary.connect("postgres") + " -c \"" + replication + "\"");
    say.table(primary.sql("postgres", replication));
    String slots =
        "SELECT slot_name, slot_type, active, restart_lsn, wal_status"
            + " FROM pg_replication_slots";
    say.command("psql " + primary.connect("postgres") + " -c \"" + slots + "\"");
    say.table(primary.sql("postgres", slots));
  }

  String writeOnPrimary(DemoServer primary) {
    say.step("Writing a database, a table and a row on the primary");
    String create = "CREATE DATABASE demo";
    String table = "CREATE TABLE t(id int, msg text)";
    String insert = "INSERT INTO t VALUES (1, '" + Demo.MESSAGE + "')";
    say.command("psql " + primary.connect("postgres") + " -c \"" + create + "\"");
    say.command("psql " + primary.connect("demo") + " -c \"" + table + "; " + insert + "\"");
    primary.sql("postgres", create);
    primary.sql("demo", table, insert);
    String lsn = primary.value("SELECT pg_current_wal_lsn()");
    say.say("committed; the primary's WAL is now at " + lsn);
    return lsn;
  }

  void readBackOnStandby(DemoServer primary, DemoServer standby, String lsn) {
    say.step("Reading the row back from the standby");
    String replayed = "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn";
    await("the standby to replay up to " + lsn, () -> "t".equals(standby.value(replayed)));
    String select = "SELECT id, msg, pg_is_in_recovery() AS on_standby FROM t";
    say.command("psql " + standby.connect("demo") + " -c \"" + select + "\"");
    QueryResult rows = standby.sql("demo", select);
    say.table(rows);
    if (rows.rows().isEmpty() || !Demo.MESSAGE.equals(rows.rows().get(0).get(1))) {
      throw new Demo.Failure("the standby does not have the row written on the primary");
    }
    say.say(
        "written on the primary (port "
            + primary.port()
            + "), read back from the standby"
            + " (port "
            + standby.port()
            + ")");
  }

  void archiveWal(DemoServer primary) {
    try {
      Files.createDirectories(archive);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + archive, e);
    }
    tool(
        "Creating the WAL archiver's own slot " + Demo.ARCHIVE_SLOT,
        null,
        "receivewal",
        "-D",
        archive.toString(),
        "-S",
        Demo.ARCHIVE_SLOT,
        "--create-slot");

    say.step("Archiving WAL into " + archive + " for a moment");
    List<String> args = new ArrayList<>(connectionArgs());
    args.addAll(List.of("-D", archive.toString(), "-S", Demo.ARCHIVE_SLOT, "-v"));
    say.command("mkdir " + archive);
    say.command("pg_receivewal " + String.join(" ", args));
    say.say("the same with jwalreceiver (running here in the background):");
    say.command(host.program() + " receivewal " + String.join(" ", args));
    archiver.archive(primary, Demo.ARCHIVE_SLOT, Demo.ROLE, passFile);
    archiver.list();
    tool(
        "Dropping the archiver's slot (an unused slot keeps WAL on the primary forever)",
        "pg_receivewal -S "
            + Demo.ARCHIVE_SLOT
            + " --drop-slot "
            + String.join(" ", connectionArgs()),
        "slot",
        "drop",
        Demo.ARCHIVE_SLOT);
  }

  void printHowToStop(DemoServer primary, DemoServer standby) {
    say.step("Leaving both servers running (--keep)");
    say.say(
        "primary: psql "
            + primary.connect("postgres")
            + "     (data "
            + primary.dataDir()
            + ", log "
            + primary.logFile()
            + ")");
    say.say(
        "standby: psql "
            + standby.connect("demo")
            + "   (data "
            + standby.dataDir()
            + ", log "
            + standby.logFile()
            + ")");
    say.say(
        "replication: PGPASSFILE="
            + passFile
            + " "
            + host.program()
            + " identify "
            + String.join(" ", connectionArgs()));
    say.say("to stop both servers and remove everything:");
    Path pgCtlPath = pgCtl.binDir().resolve("pg_ctl");
    say.command(
        asServerUser(pgCtlPath + " -D " + standby.dataDir() + " stop")
            + " && "
            + asServerUser(pgCtlPath + " -D " + primary.dataDir() + " stop")
            + " && rm -rf "
            + dir);
  }

  /** A command line as the server user runs it ({@code runuser -u postgres -- …} as root). */
  String asServerUser(String command) {
    return user.switchesUser() ? "runuser -u " + user.name() + " -- " + command : command;
  }

  private void startServer(DemoServer server) {
    say.step("Starting the " + server.role() + " on " + DemoServer.HOST + ":" + server.port());
    say.command(
        asServerUser("pg_ctl -D " + server.dataDir() + " -l " + server.logFile() + " -w start"));
    servers.add(server);
    server.start();
    say.say(server.value("SELECT version()"));
  }

  /**
   * A step done by one of our own commands, run in-process exactly as printed.
   *
   * @param what the step, e.g. {@code Taking a base backup}
   * @param manual the equivalent with the PostgreSQL tools, or null for {@code pg_<command>} with
   *     the same arguments
   * @param args the command and its arguments, without the connection options
   */
  private void tool(String what, @Nullable String manual, String... args) {
    List<String> line = new ArrayList<>(List.of(args));
    line.addAll(connectionArgs());
    say.step(what);
    say.command(
        manual != null
            ? manual
            : "pg_" + args[0] + " " + String.join(" ", line.subList(1, line.size())));
    say.say("the same with jwalreceiver (this is what runs):");
    say.command(host.program() + " " + String.join(" ", line));
    host.out().flush();
    int code = host.run(line, Map.of("PGPASSFILE", passFile.toString()));
    if (code != 0) {
      throw new Demo.Failure(host.program() + " " + args[0] + " failed (exit " + code + ")");
    }
  }

  private List<String> connectionArgs() {
    DemoServer primary = servers.get(0);
    return List.of("-h", DemoServer.HOST, "-p", Integer.toString(primary.port()), "-U", Demo.ROLE);
  }

  private void await(String what, BooleanSupplier condition) {
    try {
      Poll.until(wait, condition);
    } catch (Poll.TimedOut e) {
      RuntimeException last = e.lastFailure();
      String logs =
          servers.stream()
              .map(s -> "\n--- " + s.logFile() + " ---\n" + s.logTail())
              .reduce("", String::concat);
      throw new Demo.Failure(
          "timed out after "
              + wait.toSeconds()
              + " s waiting for "
              + what
              + (last == null ? "" : " (last error: " + last.getMessage() + ")")
              + logs,
          last);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Demo.Failure("interrupted while waiting for " + what, e);
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
