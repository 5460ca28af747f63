// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.session.ConnInfo;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.Ports;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * libpq's connection options end to end, against real servers and, where it helps, against
 * PostgreSQL 15's pg_receivewal and pg_basebackup on the same inputs: service files, {@code -d} as
 * a connection string, {@code hostaddr}, the password file in {@code $HOME} and its permission
 * warning, {@code -R}'s {@code passfile}, and {@code -D ""}.
 */
@Tag("postgres")
class ConnectionOptionsIT {

  private static final Path PG15 = Path.of("/usr/lib/postgresql/15/bin");
  private static final Path JAR = Path.of("target", "jwalreceiver.jar");

  @TempDir Path dir;

  /** An environment with nothing of the machine's: no PG* variables, HOME and PGSYSCONFDIR here. */
  private Map<String, String> env(String... kv) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", Files.createDirectories(dir.resolve("home")).toString());
    env.put("PGSYSCONFDIR", Files.createDirectories(dir.resolve("etc")).toString());
    env.put("PGCONNECT_TIMEOUT", "20");
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return env;
  }

  /** {@link #env} for the SCRAM replication role over TCP without TLS, then {@code more}. */
  private Map<String, String> scramEnv(PostgresServer server, String... more) throws IOException {
    Map<String, String> env =
        env(
            "PGHOST",
            server.host(),
            "PGPORT",
            Integer.toString(server.port()),
            "PGUSER",
            PostgresServer.REPL_SCRAM,
            "PGSSLMODE",
            "disable");
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  /** A program run with exactly {@code env} (plus PATH), in {@code cwd}. */
  private static Run exec(Map<String, String> env, Path cwd, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PG") || k.equals("HOME"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile("out", ".txt");
    Path err = Files.createTempFile("err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  private record Run(int exitCode, String out, String err) {
    /** The first stderr line without the program's "name: error: " prefix. */
    String error() {
      String line = err.lines().findFirst().orElse("");
      int at = line.indexOf("error: ");
      return at < 0 ? line : line.substring(at + "error: ".length());
    }
  }

  private static String errorOf(CliRun r) {
    String line = r.firstErrorLine();
    return line.substring(line.indexOf("error: ") + "error: ".length());
  }

  /** {@code args} followed by {@code more}. */
  private static String[] withArgs(String[] args, String... more) {
    return Stream.concat(Arrays.stream(args), Arrays.stream(more)).toArray(String[]::new);
  }

  private static List<String> pg15(String tool, String... args) {
    // The oracle, as in VerifyBackupIT: skipped where PostgreSQL 15's client tools are absent.
    assumeTrue(
        Files.isExecutable(PG15.resolve(tool)), "PostgreSQL 15's " + tool + " is not installed");
    List<String> command = new ArrayList<>(List.of(PG15.resolve(tool).toString()));
    command.addAll(List.of(args));
    return command;
  }

  // ---------------------------------------------------------------------------------------------
  // -d is a connection string

  @Test
  void dashDIsAlwaysAConnectionString() throws Exception {
    Path wal = Files.createDirectories(dir.resolve("wal"));
    Run oracle = exec(env(), dir, pg15("pg_receivewal", "-d", "foo", "-D", wal.toString()));
    assertThat(oracle.error()).isEqualTo("missing \"=\" after \"foo\" in connection info string");
    for (String command : List.of("receivewal", "basebackup", "identify", "check", "status")) {
      List<String> args = new ArrayList<>(List.of(command, "-d", "foo"));
      if (!command.equals("identify") && !command.equals("check")) {
        args.addAll(List.of("-D", wal.toString()));
      }
      if (command.equals("receivewal")) {
        args.add("-n"); // fail, not retry, when the connection fails (as it would before the fix)
      }
      CliRun r = CliRun.of(env(), args.toArray(String[]::new));
      assertThat(r.exitCode()).as(command + ": " + r.err()).isEqualTo(1);
      assertThat(errorOf(r)).as(command).isEqualTo(oracle.error());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Service files

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void everyCommandReadsServiceFiles(int major) throws Exception {
    PostgresServer server = PostgresServer.shared(major);
    Path services = dir.resolve("services.conf");
    Files.writeString(
        services,
        "[primary]\nhost="
            + server.host()
            + "\nport="
            + server.port()
            + "\nuser="
            + PostgresServer.REPL_SCRAM
            + "\nsslmode=disable\n");
    Map<String, String> env =
        env("PGSERVICEFILE", services.toString(), "PGPASSWORD", PostgresServer.PASSWORD);

    CliRun byKeyword = CliRun.of(env, "identify", "-d", "service=primary");
    assertThat(byKeyword.exitCode()).as(byKeyword.err()).isZero();
    assertThat(byKeyword.out()).contains("server version:       " + major + ".");

    env.put("PGSERVICE", "primary");
    CliRun byEnvironment = CliRun.of(env, "slot", "create", "svc_slot_" + major);
    assertThat(byEnvironment.exitCode()).as(byEnvironment.err()).isZero();
    CliRun dropped = CliRun.of(env, "slot", "drop", "svc_slot_" + major);
    assertThat(dropped.exitCode()).as(dropped.err()).isZero();

    // The system file, when the user's has no such service.
    Files.writeString(
        dir.resolve("etc/pg_service.conf"),
        Files.readString(services).replace("[primary]", "[sys]"));
    env.remove("PGSERVICE");
    CliRun system = CliRun.of(env, "identify", "-d", "service=sys");
    assertThat(system.exitCode()).as(system.err()).isZero();
  }

  @Test
  void unknownServicesAndFilesFailAsInLibpq() throws Exception {
    Path wal = Files.createDirectories(dir.resolve("wal"));
    Path missing = dir.resolve("missing.conf");
    Path bad = dir.resolve("bad.conf");
    Files.writeString(bad, "[s]\nhost localhost\n");
    List<Map<String, String>> envs =
        List.of(
            env(),
            env("PGSERVICE", "nope"),
            env("PGSERVICEFILE", missing.toString()),
            env("PGSERVICEFILE", bad.toString()));
    List<String> dArgs = List.of("service=nope", "port=5432", "service=s", "service=s");
    for (int i = 0; i < envs.size(); i++) {
      Map<String, String> env = envs.get(i);
      String d = dArgs.get(i);
      Run oracle = exec(env, dir, pg15("pg_receivewal", "-n", "-d", d, "-D", wal.toString()));
      CliRun ours = CliRun.of(env, "receivewal", "-n", "-d", d, "-D", wal.toString());
      assertThat(oracle.exitCode()).as(oracle.err()).isEqualTo(1);
      assertThat(ours.exitCode()).as(ours.err()).isEqualTo(1);
      // libpq 15's nested/too-long texts differ from 18's; these four are the same in both.
      assertThat(errorOf(ours)).as(env.toString()).isEqualTo(oracle.error());
    }
  }

  /** $HOME/.pgpass (mode 0600) with one line: {@code hostPortDb:repl_scram:password}. */
  private Path writePgpass(String hostPortDb) throws IOException {
    Path pgpass = Files.createDirectories(dir.resolve("home")).resolve(".pgpass");
    Files.writeString(
        pgpass,
        hostPortDb + ":" + PostgresServer.REPL_SCRAM + ":" + PostgresServer.PASSWORD + "\n");
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
    return pgpass;
  }

  // ---------------------------------------------------------------------------------------------
  // hostaddr

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void connectsToHostaddrAndKeysThePasswordFileOnHost(int major) throws Exception {
    PostgresServer server = PostgresServer.shared(major);
    writePgpass("db.invalid:" + server.port() + ":*");
    String conninfo =
        "host=db.invalid hostaddr="
            + server.host()
            + " port="
            + server.port()
            + " user="
            + PostgresServer.REPL_SCRAM
            + " sslmode=disable";
    CliRun r = CliRun.of(env(), "identify", "-w", "-d", conninfo);
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("server version:       " + major + ".");

    Run oracle =
        exec(env(), dir, pg15("pg_receivewal", "-d", "hostaddr=localhost", "-D", dir.toString()));
    CliRun bad = CliRun.of(env(), "identify", "-d", "hostaddr=localhost");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(errorOf(bad))
        .isEqualTo(oracle.error())
        .isEqualTo("could not parse network address \"localhost\": Name or service not known");
  }

  // ---------------------------------------------------------------------------------------------
  // Password file: $HOME, permissions, -R

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void readsThePasswordFileInHomeAndWarnsAboutOpenPermissions(int major) throws Exception {
    PostgresServer server = PostgresServer.shared(major);
    Path pgpass = writePgpass("*:*:*");
    Map<String, String> env = scramEnv(server);
    assertThat(env.get("HOME")).isNotEqualTo(System.getProperty("user.home"));

    CliRun ok = CliRun.of(env, "identify", "-w");
    assertThat(ok.exitCode()).as(ok.err()).isZero();

    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
    Path wal = Files.createDirectories(dir.resolve("wal"));
    Run oracle = exec(env, dir, pg15("pg_receivewal", "-n", "-w", "-D", wal.toString()));
    String warning =
        "WARNING: password file \""
            + pgpass
            + "\" has group or world access; permissions should be u=rw (0600) or less";
    assertThat(oracle.err()).contains(warning);
    CliRun ignored = CliRun.of(env, "receivewal", "-n", "-w", "-D", wal.toString());
    assertThat(ignored.exitCode()).isEqualTo(1);
    assertThat(ignored.err().lines().findFirst()).hasValue(warning);
    assertThat(ignored.err()).contains("fe_sendauth: no password supplied");
  }

  /**
   * The keywords libpq 15 adds to primary_conninfo from its compiled-in defaults, which we omit.
   */
  private static final Set<String> LIBPQ_DEFAULTS =
      Set.of(
          "sslcompression",
          "sslsni",
          "ssl_min_protocol_version",
          "gssencmode",
          "krbsrvname",
          "target_session_attrs",
          "sslcertmode",
          "gssdelegation",
          "load_balance_hosts",
          "sslnegotiation");

  private static Map<String, String> primaryConninfo(Path autoConf) throws IOException {
    String line =
        Files.readAllLines(autoConf, StandardCharsets.UTF_8).stream()
            .filter(l -> l.startsWith("primary_conninfo = '"))
            .reduce((a, b) -> b)
            .orElseThrow();
    String value =
        line.substring("primary_conninfo = '".length(), line.length() - 1)
            .replace("''", "'")
            .replace("\\\\", "\\");
    return ConnInfo.parse(value);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void recoveryConfigNamesAPasswordFileOnlyWithoutAPassword(int major) throws Exception {
    // Options beyond the connection's own settings are carried over too.
    Written written =
        recoveryConfigs(
            major, "keepalives_idle=30 options='-c work_mem=64kB' application_name=standby");
    assertThat(written.ours())
        .containsEntry("password", PostgresServer.PASSWORD)
        .containsEntry("keepalives_idle", "30")
        .containsEntry("options", "-c work_mem=64kB")
        .doesNotContainKey("passfile");
    written.assertSameAsPgBasebackup(LIBPQ_DEFAULTS);
  }

  /**
   * A host list (a down host first, so the backup itself goes through the list) is written as
   * given, with its {@code target_session_attrs}: the standby follows the same list.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void recoveryConfigWritesAHostListAsGiven(int major) throws Exception {
    PostgresServer server = PostgresServer.shared(major);
    int down = Ports.unused();
    String hosts = "127.0.0.1," + server.host();
    String ports = down + "," + server.port();
    Written written =
        recoveryConfigs(
            major, "host=" + hosts + " port=" + ports + " target_session_attrs=read-write");
    assertThat(written.ours())
        .containsEntry("host", hosts)
        .containsEntry("port", ports)
        .containsEntry("target_session_attrs", "read-write");
    Set<String> defaults = new HashSet<>(LIBPQ_DEFAULTS);
    defaults.remove("target_session_attrs"); // given, so pg_basebackup's is ours, not a default
    written.assertSameAsPgBasebackup(defaults);
  }

  /** The primary_conninfo our basebackup -R wrote, and pg_basebackup 15's (null above 15). */
  private record Written(Map<String, String> ours, Map<String, String> theirs) {
    void assertSameAsPgBasebackup(Set<String> libpqDefaults) {
      if (theirs == null) {
        return; // pg_basebackup 15 refuses newer servers
      }
      Map<String, String> expected = new HashMap<>(theirs);
      expected.keySet().removeAll(libpqDefaults);
      assertThat(ours).isEqualTo(expected);
    }
  }

  /** The same -R backup of the shared server by both tools, with {@code conninfo} as -d. */
  private Written recoveryConfigs(int major, String conninfo) throws Exception {
    PostgresServer server = PostgresServer.shared(major);
    Map<String, String> env = scramEnv(server, "PGPASSWORD", PostgresServer.PASSWORD);
    Path ours = Files.createTempDirectory(dir, "ours");
    Files.delete(ours);
    // The same backup for both tools: -R with the conninfo, into the directory last.
    String[] backup = {"-R", "-X", "none", "-c", "fast", "--no-manifest", "-d", conninfo, "-D"};
    CliRun r =
        CliRun.of(env, withArgs(withArgs(new String[] {"basebackup"}, backup), ours.toString()));
    assertThat(r.exitCode()).as(r.err()).isZero();
    Map<String, String> actual = primaryConninfo(ours.resolve("postgresql.auto.conf"));
    if (major > 15) {
      return new Written(actual, null);
    }
    Path theirs = Files.createTempDirectory(dir, "theirs");
    Files.delete(theirs);
    Run oracle = exec(env, dir, pg15("pg_basebackup", withArgs(backup, theirs.toString())));
    assertThat(oracle.exitCode()).as(oracle.err()).isZero();
    return new Written(actual, primaryConninfo(theirs.resolve("postgresql.auto.conf")));
  }

  // ---------------------------------------------------------------------------------------------
  // -D ""

  static Stream<String> commands() {
    return Stream.of("basebackup", "receivewal");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("commands")
  void refusesAnEmptyDirectory(String command) throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    PostgresServer server = PostgresServer.shared(PgVersions.highest());
    Map<String, String> env = scramEnv(server, "PGPASSWORD", PostgresServer.PASSWORD);
    Path cwd = Files.createDirectories(dir.resolve("cwd"));
    String tool = command.equals("basebackup") ? "pg_basebackup" : "pg_receivewal";
    Run oracle = exec(env, cwd, pg15(tool, "-D", ""));
    Run ours =
        exec(
            env,
            cwd,
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toAbsolutePath().toString(),
                command,
                "-D",
                ""));
    assertThat(oracle.exitCode()).isEqualTo(1);
    assertThat(ours.exitCode()).as(ours.err()).isEqualTo(1);
    assertThat(ours.error()).isEqualTo(oracle.error());
    try (Stream<Path> left = Files.list(cwd)) {
      assertThat(left).as("nothing written into the current directory").isEmpty();
    }
  }
}
