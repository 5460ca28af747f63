// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.embedded.ServerUser;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pg_basebackup command lines that Patroni and repmgr build, run through a {@code
 * pg_basebackup} link to the launcher, each followed by a standby started from the result that must
 * stream from the primary (issue #13).
 *
 * <p>Where the lists come from (read in the projects' sources; our own summary):
 *
 * <ul>
 *   <li><b>Patroni</b>, {@code patroni/postgresql/bootstrap.py}, {@code Bootstrap.basebackup} (the
 *       built-in {@code basebackup} replica method, tried twice): the program is {@code
 *       pg_basebackup} from {@code bin_dir}, then {@code --pgdata=<data_dir>}, {@code -X}, {@code
 *       stream}, {@code --dbname=<dsn>} as separate arguments (no shell), then the user's {@code
 *       basebackup:} options, each turned into {@code --key=value} (a map, or list items that are
 *       one-key maps) or {@code --flag} (list items that are strings) by {@code
 *       process_user_options}; {@code pgdata}, {@code format}, {@code wal-method}, {@code dbname},
 *       {@code host}, {@code port}, {@code username}, {@code password}, {@code compress} and a few
 *       more are refused there. The dsn comes from {@code format_dsn} of the clone member's
 *       connection parameters with the replication user: {@code dbname=… user=… host=… port=…}
 *       (password left out); the password goes into a pgpass file that Patroni writes and names in
 *       {@code PGPASSFILE}. Patroni's documentation shows {@code max-rate: '100M'} and {@code
 *       checkpoint: 'fast'} as the options. It writes the standby's settings itself afterwards:
 *       {@code primary_conninfo} ({@code user}, {@code passfile}, {@code host}, {@code port},
 *       {@code sslmode=prefer}, {@code application_name=<member>}, {@code gssencmode=prefer} from
 *       12, {@code channel_binding=prefer} from 13) and {@code standby.signal}.
 *   <li><b>repmgr</b>, {@code repmgr-action-standby.c}, {@code run_basebackup} ({@code repmgr
 *       standby clone}): one string run by {@code system()}, so through {@code sh -c}: {@code
 *       <pg_bindir>/pg_basebackup -l "repmgr base backup" -D <data>}, then either {@code -d
 *       '<conninfo>'} (when clone was given a conninfo; its {@code user} replaced by the
 *       replication user) or {@code -h HOST -p PORT -U REPLUSER}, then {@code -c fast} only with
 *       {@code --fast-checkpoint}, {@code -T old=new} per tablespace mapping, {@code -X stream}
 *       unless {@code pg_basebackup_options} has {@code -X}/{@code --wal-method}, {@code -S
 *       repmgr_slot_<node id>} when {@code use_replication_slots} (the slot created beforehand with
 *       its LSN reserved) unless the options name a slot or a non-stream WAL method, and last
 *       {@code pg_basebackup_options} verbatim. {@code configfile.c}'s {@code
 *       parse_pg_basebackup_options} only reads {@code -S}, {@code -X}, {@code --waldir} (must be
 *       absolute) and {@code --no-slot} (refused with {@code -S}) out of them. repmgr never passes
 *       {@code --write-recovery-conf}: it writes {@code primary_conninfo} (with {@code
 *       application_name} and {@code connect_timeout=2} from its conninfo), {@code
 *       primary_slot_name} with slots, and {@code standby.signal} itself.
 * </ul>
 *
 * <p>Each run must exit 0, the server must have received what each option asks for (its log, with
 * {@code log_replication_commands}, shows the {@code BASE_BACKUP} options and any slot use), and
 * the standby must stream rows written on the primary after it started.
 */
@Tag("postgres")
class ReplicaToolCommandLinesIT {

  private static final Duration STEP = Duration.ofMinutes(3);
  private static final Map<Integer, PostgresServer> PRIMARIES = new HashMap<>();
  private static Path base;
  private static Path links;

  private final Cleanups cleanups = new Cleanups();

  @BeforeAll
  static void installLinks() throws IOException {
    // Readable by the server user: the standby's pgpass file lives here.
    base =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "replica-tools-it-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Path checkout = Path.of("").toAbsolutePath().getParent();
    links = base.resolve("bin");
    Ran r =
        run(
            Map.of(),
            List.of(
                checkout.resolve("jwalreceiver").toString(), "install-links", links.toString()));
    assertThat(r.code).as(r.all()).isZero();
    assertThat(links.resolve("pg_basebackup")).isSymbolicLink();
  }

  @AfterAll
  static void stopPrimaries() {
    PRIMARIES.values().forEach(PostgresServer::close);
    PRIMARIES.clear();
    run(Map.of(), List.of("rm", "-rf", base.toString()));
  }

  @AfterEach
  void cleanUp() {
    cleanups.runAll();
  }

  private static synchronized PostgresServer primary(int major) {
    return PRIMARIES.computeIfAbsent(
        major,
        m ->
            PostgresServer.start(
                PostgresServer.Options.of(m).withSetting("log_replication_commands", "on")));
  }

  private record Ran(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  /** Runs a program with the PG* variables of this JVM removed and {@code env} added. */
  private static Ran run(Map<String, String> env, List<String> command) {
    try {
      Path out = Files.createTempFile("replica-tools-out", ".txt");
      Path err = Files.createTempFile("replica-tools-err", ".txt");
      try {
        ProcessBuilder pb =
            new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(STEP.toSeconds(), TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          throw new AssertionError("did not end within " + STEP + ": " + command);
        }
        Ran r = new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
        System.out.printf("[exit %d] %s%n%s", r.code, String.join(" ", command), r.all().indent(4));
        return r;
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** What the server logged from here on: {@link #since} reads it after a run. */
  private static long logSize(PostgresServer server) throws IOException {
    return Files.size(server.logFile());
  }

  private static String since(PostgresServer server, long offset) throws IOException {
    byte[] all = Files.readAllBytes(server.logFile());
    return new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8);
  }

  /** The BASE_BACKUP command the server received in {@code log}, as one line. */
  private static String baseBackupCommand(String log) {
    return log.lines()
        .filter(l -> l.contains("received replication command: BASE_BACKUP"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no BASE_BACKUP in the log:\n" + log));
  }

  private static String conninfoValue(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /**
   * Writes what Patroni or repmgr write after the backup (standby.signal and the standby's
   * settings), starts the standby, and proves it streams: the primary lists it as {@code streaming}
   * and rows written afterwards show on it.
   */
  private void startStandbyAndAwaitRows(
      int major,
      PostgresServer primary,
      Path data,
      Map<String, String> settings,
      String applicationName,
      String table)
      throws IOException {
    if (settings != null) {
      Files.writeString(data.resolve("standby.signal"), "");
      StringBuilder auto = new StringBuilder();
      settings.forEach(
          (k, v) -> auto.append(k).append(" = ").append(conninfoValue(v)).append('\n'));
      Files.writeString(
          data.resolve("postgresql.auto.conf"), auto.toString(), StandardOpenOption.APPEND);
    }
    PostgresServer standby =
        PostgresServer.startFromDataDir(data, PostgresServer.Options.of(major));
    cleanups.add(standby::close);
    primary.awaitReplication(applicationName, STEP);
    primary.execute("CREATE TABLE " + table + " AS SELECT generate_series(1, 1234) AS n");
    standby.awaitReplay(primary.currentWalLsn(), STEP);
    assertThat(standby.isInRecovery()).isTrue();
    assertThat(standby.queryString("SELECT count(*) FROM " + table)).isEqualTo("1234");
    primary.execute("DROP TABLE " + table);
  }

  /** The primary_conninfo repmgr writes for a standby of {@code primary} (its node name, 2 s). */
  private static Map<String, String> repmgrStandbySettings(PostgresServer primary, String app) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put(
        "primary_conninfo",
        "host="
            + primary.host()
            + " port="
            + primary.port()
            + " user="
            + PostgresServer.REPL_TRUST
            + " application_name="
            + app
            + " connect_timeout=2");
    return settings;
  }

  /**
   * {@code --waldir}: pg_wal is a link to it and the streamed segments are there; then hands it to
   * the server user (a data directory's hand-over does not follow links).
   */
  private static void assertWalDirLinked(Path data, Path waldir) throws IOException {
    assertThat(data.resolve("pg_wal")).isSymbolicLink();
    assertThat(Files.readSymbolicLink(data.resolve("pg_wal"))).isEqualTo(waldir);
    try (Stream<Path> wal = Files.list(waldir)) {
      assertThat(wal.map(p -> p.getFileName().toString())).anyMatch(n -> n.matches("[0-9A-F]{24}"));
    }
    PostgresServer.handOver(waldir);
  }

  private Path freshDir(String name) throws IOException {
    Path dir = base.resolve(name);
    cleanups.add(() -> run(Map.of(), List.of("rm", "-rf", dir.toString())));
    return dir;
  }

  /**
   * Patroni's built-in {@code basebackup} replica method with the options its documentation shows
   * ({@code max-rate: '100M'}, {@code checkpoint: 'fast'}): a password role, its password in the
   * pgpass file named by {@code PGPASSFILE}, as Patroni arranges it.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void patroniBasebackupMethod(int major) throws IOException {
    PostgresServer primary = primary(major);
    Path data = freshDir("patroni_" + major);
    Path pgpass = base.resolve("pgpass_" + major);
    ServerUser.get()
        .writeFile(
            pgpass,
            primary.host()
                + ":"
                + primary.port()
                + ":*:"
                + PostgresServer.REPL_SCRAM
                + ":"
                + PostgresServer.PASSWORD
                + "\n",
            true);
    String dsn =
        "dbname=postgres user="
            + PostgresServer.REPL_SCRAM
            + " host="
            + primary.host()
            + " port="
            + primary.port();
    long offset = logSize(primary);

    Ran r =
        run(
            Map.of("PGPASSFILE", pgpass.toString()),
            List.of(
                links.resolve("pg_basebackup").toString(),
                "--pgdata=" + data,
                "-X",
                "stream",
                "--dbname=" + dsn,
                "--max-rate=100M",
                "--checkpoint=fast"));

    assertThat(r.code).as(r.all()).isZero();
    assertThat(r.err).isEmpty();
    String log = since(primary, offset);
    String command = baseBackupCommand(log);
    assertThat(command).as("100M is 102400 kB/s").contains("MAX_RATE 102400");
    assertThat(command).containsAnyOf("FAST", "CHECKPOINT 'fast'");
    // No slot given: pg_basebackup's temporary slot for the WAL stream.
    assertThat(log).contains("TEMPORARY");

    String app = "patroni_member_" + major;
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put(
        "primary_conninfo",
        "user="
            + PostgresServer.REPL_SCRAM
            + " passfile="
            + pgpass
            + " host="
            + primary.host()
            + " port="
            + primary.port()
            + " sslmode=prefer"
            + " application_name="
            + app
            + " gssencmode=prefer channel_binding=prefer");
    startStandbyAndAwaitRows(major, primary, data, settings, app, "patroni_rows");
  }

  /**
   * Patroni's list form of {@code basebackup:} options ({@code - verbose}, {@code - waldir: …}, …),
   * with the other long options the issue names: {@code --label}, {@code --no-password}, {@code
   * --write-recovery-conf}. Here the standby starts from the settings our {@code -R} wrote, so they
   * must carry the connection string's {@code application_name}.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void patroniListOptionsWithRecoveryConf(int major) throws IOException {
    PostgresServer primary = primary(major);
    Path data = freshDir("patroni_list_" + major);
    Path waldir = freshDir("patroni_list_wal_" + major);
    String app = "patroni_list_" + major;
    String dsn =
        "dbname=postgres user="
            + PostgresServer.REPL_TRUST
            + " host="
            + primary.host()
            + " port="
            + primary.port()
            + " application_name="
            + app;
    long offset = logSize(primary);

    Ran r =
        run(
            Map.of(),
            List.of(
                links.resolve("pg_basebackup").toString(),
                "--pgdata=" + data,
                "-X",
                "stream",
                "--dbname=" + dsn,
                "--verbose",
                "--waldir=" + waldir,
                "--label=patroni replica",
                "--no-password",
                "--write-recovery-conf",
                "--checkpoint=spread",
                "--max-rate=500M"));

    assertThat(r.code).as(r.all()).isZero();
    assertThat(r.err).contains("pg_basebackup: base backup completed");
    String command = baseBackupCommand(since(primary, offset));
    assertThat(command)
        .contains("'patroni replica'")
        .contains("MAX_RATE 512000")
        .doesNotContain("FAST")
        .doesNotContain("'fast'");
    assertWalDirLinked(data, waldir);
    assertThat(Files.readString(data.resolve("backup_label"))).contains("LABEL: patroni replica");
    assertThat(data.resolve("standby.signal")).isRegularFile();
    assertThat(Files.readString(data.resolve("postgresql.auto.conf")))
        .contains("primary_conninfo = '")
        .contains("application_name=" + app);

    startStandbyAndAwaitRows(major, primary, data, null, app, "patroni_list_rows");
  }

  /**
   * {@code repmgr standby clone --fast-checkpoint} with {@code use_replication_slots=true} and
   * host, port and user given separately, {@code pg_basebackup_options='--waldir=<absolute>'}: the
   * whole string through {@code sh -c}, as {@code system()} runs it.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void repmgrCloneWithSlot(int major) throws IOException {
    PostgresServer primary = primary(major);
    Path data = freshDir("repmgr_" + major);
    Path waldir = freshDir("repmgr_wal_" + major);
    String slot = "repmgr_slot_2";
    primary.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    cleanups.add(() -> primary.execute("SELECT pg_drop_replication_slot('" + slot + "')"));
    long offset = logSize(primary);

    String script =
        links.resolve("pg_basebackup")
            + " -l \"repmgr base backup\"  -D "
            + data
            + " -h "
            + primary.host()
            + " -p "
            + primary.port()
            + " -U "
            + PostgresServer.REPL_TRUST
            + " -c fast -X stream -S "
            + slot
            + " --waldir="
            + waldir;
    Ran r = run(Map.of(), List.of("sh", "-c", script));

    assertThat(r.code).as(r.all()).isZero();
    String log = since(primary, offset);
    String command = baseBackupCommand(log);
    assertThat(command).contains("'repmgr base backup'").containsAnyOf("FAST", "CHECKPOINT 'fast'");
    assertThat(log).contains("START_REPLICATION SLOT \"" + slot + "\"").doesNotContain("TEMPORARY");
    assertWalDirLinked(data, waldir);
    assertThat(data.resolve("standby.signal")).doesNotExist();

    String app = "node2_" + major;
    Map<String, String> settings = repmgrStandbySettings(primary, app);
    settings.put("primary_slot_name", slot);
    startStandbyAndAwaitRows(major, primary, data, settings, app, "repmgr_rows");
    assertThat(
            primary.queryString(
                "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
        .isEqualTo("t");
  }

  /**
   * {@code repmgr standby clone} given a conninfo ({@code -d 'host=… dbname=repmgr user=…'}: the
   * database does not exist, and a physical replication connection must not need it), slots off and
   * {@code pg_basebackup_options='--no-slot --max-rate=100M'}.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void repmgrCloneWithConninfoNoSlot(int major) throws IOException {
    PostgresServer primary = primary(major);
    Path data = freshDir("repmgr_conninfo_" + major);
    long offset = logSize(primary);

    String script =
        links.resolve("pg_basebackup")
            + " -l \"repmgr base backup\"  -D "
            + data
            + " -d 'host="
            + primary.host()
            + " port="
            + primary.port()
            + " dbname=repmgr user="
            + PostgresServer.REPL_TRUST
            + "' -X stream --no-slot --max-rate=100M";
    Ran r = run(Map.of(), List.of("sh", "-c", script));

    assertThat(r.code).as(r.all()).isZero();
    String log = since(primary, offset);
    assertThat(baseBackupCommand(log))
        .contains("'repmgr base backup'")
        .contains("MAX_RATE 102400")
        .doesNotContain("FAST")
        .doesNotContain("'fast'");
    assertThat(log).doesNotContain("CREATE_REPLICATION_SLOT");

    String app = "node3_" + major;
    startStandbyAndAwaitRows(
        major, primary, data, repmgrStandbySettings(primary, app), app, "repmgr_conninfo_rows");
  }
}
