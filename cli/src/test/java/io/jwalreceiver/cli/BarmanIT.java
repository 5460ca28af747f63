// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Barman end to end with our tools in place of PostgreSQL's (issue #13): Debian's barman ({@code
 * .ci/run} installs it), {@code backup_method = postgres}, the streaming archiver on a slot, and
 * {@code path_prefix} naming a directory that holds only the links {@code jwalreceiver
 * install-links} makes. Barman runs as its own {@code barman} user with its own configuration
 * ({@code -c}), since it refuses to run as root. On 13, 15 and 18 ({@link PgVersions#spread()}):
 * about a minute a version, and what differs between versions for Barman (the backup functions'
 * names, WAL and slot behaviour) is covered by the oldest, the middle and the newest.
 */
@Tag("postgres")
class BarmanIT {

  private static final Duration STEP = Duration.ofMinutes(3);
  private static final String BARMAN_USER = "barman";

  private final Cleanups cleanups = new Cleanups();
  private Path base;
  private Path config;

  @AfterEach
  void cleanUp() {
    cleanups.runAll();
  }

  private Tools.Result barman(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of("runuser", "-u", BARMAN_USER, "--", "barman", "-c", config.toString()));
    command.addAll(List.of(args));
    Tools.Result r = Tools.run(STEP, command);
    System.out.printf(
        "[exit %d] barman %s%n%s", r.exitCode(), String.join(" ", args), r.all().indent(4));
    return r;
  }

  private Tools.Result barmanOk(String... args) {
    Tools.Result r = barman(args);
    assertThat(r.exitCode())
        .as("barman %s: %s\nlog:\n%s", String.join(" ", args), r.all(), barmanLog())
        .isZero();
    return r;
  }

  private String barmanLog() {
    try {
      return Files.readString(base.resolve("barman/barman.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void run(String... command) {
    Tools.Result r = Tools.run(STEP, command);
    assertThat(r.exitCode()).as(String.join(" ", command) + ": " + r.all()).isZero();
  }

  /**
   * A copy of the launcher and the jar the build made, as an installation elsewhere would hold
   * them; the checkout itself may not be readable by the barman user.
   */
  private Path installCopy() throws IOException {
    Path checkout = Path.of("").toAbsolutePath().getParent();
    Path jar = checkout.resolve("cli/target/jwalreceiver.jar");
    assertThat(jar).as("the cli module's package phase builds it before the ITs").isRegularFile();
    Path home = Files.createDirectories(base.resolve("jwalreceiver"));
    Files.copy(checkout.resolve("pom.xml"), home.resolve("pom.xml"));
    Files.createDirectories(home.resolve("cli/target"));
    Files.copy(
        checkout.resolve("jwalreceiver"),
        home.resolve("jwalreceiver"),
        StandardCopyOption.COPY_ATTRIBUTES);
    // The installed launcher, which the checkout's runs once the jar is built.
    Path launcher = Path.of("dist/src/main/bin/jwalreceiver");
    Files.createDirectories(home.resolve(launcher).getParent());
    Files.copy(
        checkout.resolve(launcher), home.resolve(launcher), StandardCopyOption.COPY_ATTRIBUTES);
    // After the pom, so that the launcher finds the jar up to date and does not try to build.
    Files.copy(jar, home.resolve("cli/target/jwalreceiver.jar"));
    return home.resolve("jwalreceiver");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SPREAD)
  void backsUpAndRecoversThroughOurLinks(int major) throws IOException {
    if (!Tools.installed("barman")) {
      // CI must run it (.ci/run installs the package); elsewhere the README's test command works
      // with only a JDK and Maven, so the test is skipped, as the PostgreSQL 15 oracles are.
      assertThat(System.getenv("CI"))
          .as("Debian's barman package is missing: .ci/run installs it (apt-get install barman)")
          .isNotEqualTo("true");
      assumeTrue(false, "barman is not installed (apt-get install barman)");
    }
    base =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "barman-it-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    cleanups.add(() -> run("rm", "-rf", base.toString()));
    Path launcher = installCopy();
    Path links = base.resolve("links");
    run(launcher.toString(), "install-links", links.toString());
    try (Stream<Path> entries = Files.list(links)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("pg_basebackup", "pg_receivewal");
    }

    PostgresServer server = PostgresServer.start(PostgresServer.Options.of(major));
    cleanups.add(server::close);
    String conninfo =
        "host=" + server.host() + " port=" + server.port() + " user=" + PostgresServer.SUPERUSER;
    Path barmanDir = Files.createDirectories(base.resolve("barman"));
    Files.createDirectories(barmanDir.resolve("home"));
    Files.createDirectories(barmanDir.resolve("conf.d"));
    config = barmanDir.resolve("barman.conf");
    Files.writeString(
        config,
        String.join(
            "\n",
            "[barman]",
            "barman_user = " + BARMAN_USER,
            "barman_home = " + barmanDir.resolve("home"),
            "log_file = " + barmanDir.resolve("barman.log"),
            "log_level = INFO",
            "configuration_files_directory = " + barmanDir.resolve("conf.d"),
            "",
            "[pg]",
            "description = \"jwalreceiver in place of pg_basebackup and pg_receivewal\"",
            "conninfo = " + conninfo + " dbname=postgres",
            "streaming_conninfo = " + conninfo,
            "backup_method = postgres",
            "streaming_archiver = on",
            "slot_name = barman",
            "create_slot = auto",
            "path_prefix = \"" + links + "\"",
            ""));
    Path recoveries = Files.createDirectories(base.resolve("recoveries"));
    run("chown", "-R", BARMAN_USER, barmanDir.toString(), recoveries.toString());
    cleanups.add(() -> barman("receive-wal", "--stop", "pg"));

    // cron creates the slot and starts receive-wal (our pg_receivewal) in the background.
    barmanOk("cron");
    Path streaming = barmanDir.resolve("home/pg/streaming");
    awaitPartial(streaming);
    // The first WAL file, so that check's "WAL archive" item passes.
    barmanOk("switch-wal", "--force", "--archive", "pg");
    Tools.Result check = barmanOk("check", "pg");
    assertThat(check.stdout())
        .contains("pg_basebackup compatible: OK")
        .contains("pg_receivexlog compatible: OK")
        .contains("receive-wal running: OK")
        .doesNotContain("FAILED");

    server.execute(
        "CREATE TABLE barman_rows (n integer, at timestamptz DEFAULT clock_timestamp())");
    server.execute("CREATE TABLE barman_ticks (n integer)");
    server.execute("INSERT INTO barman_rows (n) SELECT generate_series(1, 100)");
    backupWhileWalMoves(server);

    server.execute("INSERT INTO barman_rows (n) SELECT generate_series(101, 200)");
    String lsnAfter200 = server.queryString("SELECT pg_current_wal_insert_lsn()");
    server.execute("SELECT pg_sleep(1.1)");
    String timeAfter200 = server.queryString("SELECT clock_timestamp()");
    server.execute("SELECT pg_sleep(1.1)");
    server.execute("INSERT INTO barman_rows (n) SELECT generate_series(201, 300)");
    String lsnAfter300 = server.queryString("SELECT pg_current_wal_insert_lsn()");
    server.execute("SELECT pg_sleep(1.1)");
    String timeAfter300 = server.queryString("SELECT clock_timestamp()");
    server.execute("INSERT INTO barman_rows (n) SELECT generate_series(301, 400)");
    barmanOk("switch-wal", "--force", "--archive", "pg");
    // The directory receive-wal writes into holds only WAL names; our spare is hidden.
    try (Stream<Path> entries = Files.list(streaming)) {
      assertThat(entries.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")))
          .allMatch(n -> n.matches("[0-9A-F]{24}(\\.partial)?|[0-9A-F]{8}\\.history"));
    }
    assertThat(barmanDir.resolve("home/pg/errors"))
        .satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());

    assertThat(recover(major, recoveries.resolve("latest"))).isEqualTo("400");
    assertThat(recover(major, recoveries.resolve("lsn"), "--target-lsn", lsnAfter200))
        .isEqualTo("200");
    assertThat(recover(major, recoveries.resolve("time"), "--target-time", timeAfter300))
        .isEqualTo("300");
    assertThat(recover(major, recoveries.resolve("time200"), "--target-time", timeAfter200))
        .isEqualTo("200");
    assertThat(lsnAfter300).isNotEmpty();
  }

  /**
   * {@code barman backup --wait}, while the server keeps switching WAL files as a live one would.
   * When the backup ends exactly at a segment boundary, PostgreSQL 17's pg_walfile_name_offset
   * names the segment that starts there (older servers named the one before), and Barman waits for
   * that segment to be archived, which on an idle server never happens.
   */
  private void backupWhileWalMoves(PostgresServer server) {
    java.util.concurrent.CompletableFuture<Tools.Result> backup =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> barman("backup", "--wait", "pg"));
    while (!backup.isDone()) {
      io.jwalreceiver.testkit.Waits.sleep(3000);
      if (!backup.isDone()) {
        server.execute("INSERT INTO barman_ticks VALUES (1)");
        server.switchWal();
      }
    }
    Tools.Result r = backup.join();
    assertThat(r.exitCode())
        .as("barman backup --wait: %s\nlog:\n%s", r.all(), barmanLog())
        .isZero();
  }

  /** Recovers the latest backup into {@code dir}, starts it, returns its row count. */
  private String recover(int major, Path dir, String... target) {
    List<String> args = new ArrayList<>(List.of("recover"));
    args.addAll(List.of(target));
    args.addAll(List.of("pg", "latest", dir.toString()));
    barmanOk(args.toArray(String[]::new));
    PostgresServer recovered =
        PostgresServer.startFromDataDir(dir, PostgresServer.Options.of(major));
    try {
      awaitRecovered(recovered);
      return recovered.queryString("SELECT count(*) FROM barman_rows");
    } finally {
      recovered.close();
    }
  }

  /**
   * Waits until recovery is over: promoted (no target: recovered to the end of the archive) or
   * paused at its target. Read-only connections are accepted earlier, at the consistent point,
   * while WAL up to the target may still be replaying.
   */
  private static void awaitRecovered(PostgresServer server) {
    long deadline = System.nanoTime() + STEP.toNanos();
    while (true) {
      try {
        if (server
            .queryString("SELECT NOT pg_is_in_recovery() OR pg_is_wal_replay_paused()")
            .equals("t")) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "recovery neither ended nor paused within " + STEP + "; log:\n" + server.logTail(40));
        }
        io.jwalreceiver.testkit.Waits.sleep(200);
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        io.jwalreceiver.testkit.Waits.sleep(200);
      }
    }
  }

  private void awaitPartial(Path streaming) {
    io.jwalreceiver.testkit.Waits.await(
        STEP,
        () -> {
          try (Stream<Path> entries = Files.list(streaming)) {
            return entries.anyMatch(p -> p.getFileName().toString().endsWith(".partial"));
          } catch (IOException e) {
            return false;
          }
        },
        () -> "receive-wal's first .partial in " + streaming + "; log:\n" + barmanLog());
  }
}
