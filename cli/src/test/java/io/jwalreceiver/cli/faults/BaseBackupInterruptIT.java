// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.JAR;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.embedded.FileTrees;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.PostgresServer.StopMode;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * basebackup interrupted by {@code kill -9} of the client and by a server restart (fast and
 * immediate) while the backup and its WAL stream are under way. A connection cut is
 * BaseBackupFailureIT's. Each backup is throttled ({@code -r 32}) so that it is still running when
 * the fault comes; the rerun is not.
 */
class BaseBackupInterruptIT {

  @TempDir Path tmp;

  /**
   * A killed client cannot clean up: the target stays as it was left, the server ends the backup
   * and drops its temporary slot by itself, a rerun into the same directory refuses to touch it
   * (pg_basebackup's "exists but is not empty"), and a rerun after removing it succeeds.
   */
  @FaultTest.On15
  void killedClientLeavesTheServerCleanAndARerunSucceeds(int major) throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    Random random = FaultKit.random("basebackup-kill-" + major);
    PostgresServer server = PostgresServer.shared(major);
    String app = "faults_bb_kill";
    Map<String, String> env = FaultKit.env(server.host(), server.port(), app);
    Path target = tmp.resolve("backup");
    Path log = tmp.resolve("basebackup.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                FaultKit.javaBin(),
                "-XX:TieredStopAtLevel=1",
                "-jar",
                JAR.toAbsolutePath().toString())
            .redirectErrorStream(true)
            .redirectOutput(Redirect.appendTo(log.toFile()));
    pb.command().addAll(slowBackup(target));
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      FaultKit.await(
          TIMEOUT,
          () -> !p.isAlive() || Files.exists(target.resolve("backup_label")),
          () -> "the backup to begin");
      assertThat(p.isAlive())
          .as("backup still running: %s", Files.exists(log) ? Files.readString(log) : "")
          .isTrue();
      Waits.sleep(200 + random.nextInt(800));
    } finally {
      p.destroyForcibly();
      assertThat(p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
    // The server notices, ends the backup and the WAL stream, and drops the temporary slot.
    FaultKit.await(
        TIMEOUT,
        () ->
            "0"
                    .equals(
                        server.queryString(
                            "SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
                                + app
                                + "'"))
                && "0"
                    .equals(
                        server.queryString(
                            "SELECT count(*) FROM pg_replication_slots WHERE temporary")),
        () -> "the server to end the killed backup's connections");
    List<String> left = listing(target);
    assertThat(left).as("what the killed client left").contains("backup_label");

    FaultKit.Run refused =
        FaultKit.cli(env, "basebackup", "-D", target.toString(), "-c", "fast", "--no-sync");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.firstLine())
        .isEqualTo("jwalreceiver: error: directory \"" + target + "\" exists but is not empty");
    assertThat(listing(target)).as("a refused rerun touches nothing").isEqualTo(left);

    FileTrees.deleteTree(target);
    FaultKit.Run rerun =
        FaultKit.cli(
            env, "basebackup", "-D", target.toString(), "-c", "fast", "-X", "stream", "--no-sync");
    assertThat(rerun.exitCode()).as(rerun.err()).isZero();
    assertThat(target.resolve("backup_manifest")).exists();
    FaultKit.report(
        "basebackup kill -9, PostgreSQL " + major,
        "kills",
        1,
        "files left by the killed client",
        left.size(),
        "rerun",
        "ok");
  }

  /**
   * The server restarts mid-backup: a clear error, the target removed (a new directory) or emptied
   * (an existing empty one), and a rerun succeeds.
   */
  @FaultTest.On15
  void serverRestartMidBackupIsAClearErrorAndCleanedUp(int major) throws Exception {
    int restarts = 0;
    try (PostgresServer server = PostgresServer.start(PostgresServer.Options.of(major))) {
      Map<String, String> env = FaultKit.env(server.host(), server.port(), "faults_bb_restart");
      for (StopMode mode : List.of(StopMode.FAST, StopMode.IMMEDIATE)) {
        boolean existing = mode == StopMode.IMMEDIATE;
        Path target = tmp.resolve("backup-" + mode);
        if (existing) {
          Files.createDirectory(target);
        }
        CompletableFuture<FaultKit.Run> run =
            CompletableFuture.supplyAsync(
                () -> FaultKit.cli(env, slowBackup(target).toArray(String[]::new)));
        FaultKit.await(
            TIMEOUT,
            () -> run.isDone() || Files.exists(target.resolve("backup_label")),
            () -> "the backup to begin");
        assertThat(run.isDone())
            .as(() -> "the backup ended before the restart: " + run.join().err())
            .isFalse();
        Waits.sleep(500);
        server.stop(mode);
        server.start();
        restarts++;
        FaultKit.Run r = run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        System.out.printf(
            "[%s restart mid-backup, exit %d]%n%s", mode, r.exitCode(), r.err().indent(4));
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.firstLine()).startsWith("jwalreceiver: error: ");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        if (existing) {
          assertThat(target).isEmptyDirectory();
        } else {
          assertThat(target).doesNotExist();
        }
        FaultKit.Run rerun =
            FaultKit.cli(
                env,
                "basebackup",
                "-D",
                target.toString(),
                "-c",
                "fast",
                "-X",
                "stream",
                "--no-sync");
        assertThat(rerun.exitCode()).as(rerun.err()).isZero();
        assertThat(target.resolve("backup_manifest")).exists();
      }
    }
    FaultKit.report(
        "basebackup server restarts, PostgreSQL " + major,
        "restarts",
        restarts,
        "modes",
        "fast (new target removed), immediate (existing empty target emptied)",
        "reruns",
        "ok");
  }

  private static List<String> listing(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.map(p -> dir.relativize(p).toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code basebackup -D target -X stream -c fast -r 32 --no-sync}: a backup slowed to 32 kB/s, so
   * that it is still running when the fault comes.
   */
  private static List<String> slowBackup(Path target) {
    return List.of(
        "basebackup",
        "-D",
        target.toString(),
        "-X",
        "stream",
        "-c",
        "fast",
        "-r",
        "32",
        "--no-sync");
  }
}
