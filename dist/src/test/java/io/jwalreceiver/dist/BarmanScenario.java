// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Barman end to end with our tools in place of PostgreSQL's (issues #13 and #15): Debian's barman
 * ({@code .ci/run} installs it), {@code backup_method = postgres}, the streaming archiver on a
 * slot, and {@code path_prefix} naming a directory that holds only our {@code pg_basebackup} and
 * {@code pg_receivewal} links: the installed package's {@code /usr/lib/jwalreceiver/bin} ({@link
 * DebianPackageIT} runs it once the package is installed). Barman runs as its own {@code barman}
 * user with its own configuration ({@code -c}), since it refuses to run as root. About a minute a
 * version; run on 13, 15 and 18, what differs between versions for Barman (the backup functions'
 * names, WAL and slot behaviour) is covered by the oldest, the middle and the newest.
 */
final class BarmanScenario implements AutoCloseable {

  private static final Duration STEP = Duration.ofMinutes(3);
  private static final String BARMAN_USER = "barman";

  /** What to undo (the server, receive-wal, the directory), run last first by {@link #close}. */
  private final Deque<Runnable> undo = new ArrayDeque<>();

  private final Path pathPrefix;
  private @Nullable Path base;
  private @Nullable Path config;

  /**
   * A scenario whose Barman runs our tools from {@code pathPrefix}.
   *
   * @param pathPrefix the directory Barman's {@code path_prefix} names
   */
  BarmanScenario(Path pathPrefix) {
    this.pathPrefix = pathPrefix;
  }

  /** Stops receive-wal and the servers, removes the scenario's directory. */
  @Override
  public void close() {
    while (!undo.isEmpty()) {
      try {
        undo.pop().run();
      } catch (RuntimeException | AssertionError e) {
        System.out.println("cleanup: " + e);
      }
    }
  }

  private Tools.Result barman(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of("runuser", "-u", BARMAN_USER, "--", "barman", "-c", String.valueOf(config)));
    command.addAll(List.of(args));
    long start = System.nanoTime();
    Tools.Result r = Tools.run(STEP, command);
    System.out.printf(
        "[exit %d, %.1f s] barman %s%n%s",
        r.exitCode(), (System.nanoTime() - start) / 1e9, String.join(" ", args), r.all().indent(4));
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
      return Files.readString(Path.of(String.valueOf(base), "barman/barman.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void run(String... command) {
    Tools.Result r = Tools.run(STEP, command);
    assertThat(r.exitCode()).as(String.join(" ", command) + ": " + r.all()).isZero();
  }

  /**
   * Backs up with Barman through our links, then recovers to the end of the archive, to an LSN and
   * to two times, each checked by the rows the recovered server holds.
   *
   * @param major the PostgreSQL major version of the server to back up
   * @throws IOException when the scenario's files cannot be written
   */
  void backsUpAndRecovers(int major) throws IOException {
    if (!Tools.installed("barman")) {
      // CI must run it (.ci/run installs the package); elsewhere the README's test command works
      // with only a JDK and Maven, so the test is skipped, as the PostgreSQL 15 oracles are.
      assertThat(System.getenv("CI"))
          .as("Debian's barman package is missing: .ci/run installs it (apt-get install barman)")
          .isNotEqualTo("true");
      assumeTrue(false, "barman is not installed (apt-get install barman)");
    }
    Path base =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "barman-it-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    this.base = base;
    undo.push(() -> run("rm", "-rf", base.toString()));
    try (Stream<Path> entries = Files.list(pathPrefix)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("pg_basebackup", "pg_receivewal");
    }

    PostgresServer server = PostgresServer.start(PostgresServer.Options.of(major));
    undo.push(server::close);
    String conninfo =
        "host=" + server.host() + " port=" + server.port() + " user=" + PostgresServer.SUPERUSER;
    Path barmanDir = Files.createDirectories(base.resolve("barman"));
    Files.createDirectories(barmanDir.resolve("home"));
    Files.createDirectories(barmanDir.resolve("conf.d"));
    Path config = barmanDir.resolve("barman.conf");
    this.config = config;
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
            "path_prefix = \"" + pathPrefix + "\"",
            ""));
    Path recoveries = Files.createDirectories(base.resolve("recoveries"));
    run("chown", "-R", BARMAN_USER, barmanDir.toString(), recoveries.toString());
    undo.push(() -> barman("receive-wal", "--stop", "pg"));

    // cron creates the slot and starts receive-wal (our pg_receivewal) in the background.
    barmanOk("cron");
    Path streaming = barmanDir.resolve("home/pg/streaming");
    awaitPartial(streaming);
    server.execute(
        "CREATE TABLE barman_rows (n integer, at timestamptz DEFAULT clock_timestamp())");
    server.execute("CREATE TABLE barman_ticks (n integer)");
    // The first WAL file, so that check's "WAL archive" item (which backup checks too) passes.
    barmanWhileWalMoves(server, false, "switch-wal", "--force", "--archive", "pg");
    Tools.Result check = barmanOk("check", "pg");
    assertThat(check.stdout())
        .contains("pg_basebackup compatible: OK")
        .contains("pg_receivexlog compatible: OK")
        .contains("receive-wal running: OK")
        .doesNotContain("FAILED");

    server.execute("INSERT INTO barman_rows (n) SELECT generate_series(1, 100)");
    barmanWhileWalMoves(server, true, "backup", "--wait", "pg");

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
    barmanWhileWalMoves(server, false, "switch-wal", "--force", "--archive", "pg");
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
   * A barman command that waits for WAL to be archived, run while the server keeps writing WAL as a
   * live one would: a row every 0.5 s, and with {@code switchEach} a WAL switch after it.
   *
   * <p>Barman's streaming archiver keeps the newest complete segment in its streaming directory
   * until a {@code .partial} follows it, and receive-wal (as pg_receivewal) opens the next segment
   * only when WAL for it arrives: on an idle server, after {@code switch-wal}, that is the
   * checkpointer's or background writer's next record, up to 15 s later. When a backup ends exactly
   * at a segment boundary, PostgreSQL 17's pg_walfile_name_offset names the segment that starts
   * there (older servers named the one before), and {@code backup --wait} waits for that segment,
   * hence the switches.
   */
  private void barmanWhileWalMoves(PostgresServer server, boolean switchEach, String... args) {
    java.util.concurrent.CompletableFuture<Tools.Result> run =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> barman(args));
    while (!run.isDone()) {
      io.jwalreceiver.testkit.Waits.sleep(500);
      if (!run.isDone()) {
        server.execute("INSERT INTO barman_ticks VALUES (1)");
        if (switchEach) {
          server.switchWal();
        }
      }
    }
    Tools.Result r = run.join();
    assertThat(r.exitCode())
        .as("barman %s: %s\nlog:\n%s", String.join(" ", args), r.all(), barmanLog())
        .isZero();
  }

  /** Recovers the latest backup into {@code dir}, starts it, returns its row count. */
  private String recover(int major, Path dir, String... target) {
    List<String> args = new ArrayList<>(List.of("recover"));
    args.addAll(List.of(target));
    args.addAll(List.of("pg", "latest", dir.toString()));
    barmanOk(args.toArray(String[]::new));
    long start = System.nanoTime();
    PostgresServer recovered =
        PostgresServer.startFromDataDir(dir, PostgresServer.Options.of(major));
    try {
      awaitRecovered(recovered);
      return recovered.queryString("SELECT count(*) FROM barman_rows");
    } finally {
      recovered.close();
      System.out.printf(
          "[%.1f s] recovered server %s%n", (System.nanoTime() - start) / 1e9, dir.getFileName());
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
