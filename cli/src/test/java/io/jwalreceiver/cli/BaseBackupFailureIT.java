// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertFails;
import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.env;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.TcpProxy;
import io.jwalreceiver.testkit.Tools;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How {@code jwalreceiver basebackup} fails: the server refusing walsenders, a non-empty target,
 * the connection cut mid-backup, a full disk, and data-page checksum failures (upstream
 * 010_pg_basebackup.pl items 8–11 and 93–96). After a failure the target is removed if we created
 * it, emptied if it existed empty, untouched if it was not empty, and kept after a checksum
 * failure, as pg_basebackup does.
 */
@Tag("postgres")
class BaseBackupFailureIT {

  private static final int BLCKSZ = 8192;

  @TempDir Path tmp;

  private static String s(Path p) {
    return p.toString();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusedNonEmptyAndChecksumFailures(int major) throws IOException {
    PostgresServer.Options options =
        PostgresServer.Options.of(major)
            .withInitdbArgs("--data-checksums")
            .withSetting("max_wal_senders", "0")
            .withSetting("autovacuum", "off");
    try (PostgresServer server = PostgresServer.start(options)) {
      Map<String, String> env = env(server);
      Path backup = tmp.resolve("backup");

      // 8, 9: the server refuses the walsender; nothing is left behind.
      CliRun refused = bb(env, "-D", s(backup));
      assertFails(refused, "max_wal_senders");
      assertThat(backup).doesNotExist();

      // 10, 11: a non-empty target is left as it was.
      Files.createDirectories(backup);
      Files.writeString(backup.resolve("dir-not-empty.txt"), "x");
      assertThat(bb(env, "-D", s(backup), "-n").exitCode()).isEqualTo(1);
      assertThat(names(backup)).containsExactly("dir-not-empty.txt");

      // Fixture B: streaming allowed.
      server.execute("ALTER SYSTEM SET max_wal_senders = 10");
      server.restart();

      // The issue: a non-empty -D is refused and untouched.
      CliRun notEmpty = bb(env, "-D", s(backup));
      assertFails(notEmpty, "directory \"" + backup + "\" exists but is not empty");
      assertThat(notEmpty.err().strip().lines()).hasSize(1);
      assertThat(names(backup)).containsExactly("dir-not-empty.txt");

      // Fixture E: page checksum failures (corrupted with the server stopped).
      server.execute(
          "CREATE TABLE corrupt1 AS SELECT a FROM generate_series(1, 10000) AS a;"
              + "CREATE TABLE corrupt2 AS SELECT b FROM generate_series(1, 2) AS b");
      Path file1 =
          server.dataDir().resolve(server.queryString("SELECT pg_relation_filepath('corrupt1')"));
      Path file2 =
          server.dataDir().resolve(server.queryString("SELECT pg_relation_filepath('corrupt2')"));
      server.stop();
      corrupt(file1, 0);
      server.start();

      // 93
      Path corrupt = tmp.resolve("backup_corrupt");
      CliRun one = bb(env, "-D", s(corrupt));
      assertChecksumFailure(one, "(?s)^WARNING:  checksum verification failed in file .*");
      assertThat(one.err()).doesNotContain("further").doesNotContain("total checksum");
      // Kept, as pg_basebackup keeps it.
      assertThat(corrupt.resolve("PG_VERSION")).exists();
      assertThat(corrupt.resolve("global").resolve("pg_control")).exists();

      // 94
      server.stop();
      for (int block = 1; block <= 5; block++) {
        corrupt(file1, block);
      }
      server.start();
      CliRun six = bb(env, "-D", s(tmp.resolve("backup_corrupt2")));
      assertChecksumFailure(six, "(?s)^WARNING.*further.*failures.*will.not.be.reported.*");

      // 95
      server.stop();
      corrupt(file2, 0);
      server.start();
      CliRun seven = bb(env, "-D", s(tmp.resolve("backup_corrupt3")));
      assertChecksumFailure(seven, "(?s)^WARNING.*7 total checksum verification failures.*");

      // 96
      assertOk(bb(env, "-D", s(tmp.resolve("backup_corrupt4")), "--no-verify-checksums"));
      server.execute("DROP TABLE corrupt1; DROP TABLE corrupt2");
    }
  }

  private static void assertChecksumFailure(CliRun r, String stderrPattern) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).matches(stderrPattern);
    assertThat(r.err().strip().lines().reduce((a, b) -> b).orElse(""))
        .isEqualTo("jwalreceiver: error: checksum error occurred");
    assertThat(r.err()).doesNotContain("Exception");
  }

  /** Overwrites 9 bytes after the page header of one block, as the upstream test does. */
  private static void corrupt(Path relation, int block) throws IOException {
    try (FileChannel ch = FileChannel.open(relation, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(9), (long) block * BLCKSZ + 24);
      ch.force(true);
    }
  }

  // ------------------------------------------------------------------ connection cut

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void connectionCutMidBackupRemovesWhatWasCreated(int major) throws Exception {
    PostgresServer server = PostgresServer.shared(major);
    Path target = tmp.resolve("cut").resolve("backup");
    CliRun r = cutMidBackup(server, target);
    assertThat(target).doesNotExist();
    assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void connectionCutMidBackupEmptiesAPreExistingEmptyTarget(int major) throws Exception {
    PostgresServer server = PostgresServer.shared(major);
    Path target = Files.createDirectories(tmp.resolve("empty"));
    cutMidBackup(server, target);
    assertThat(target).isEmptyDirectory();
  }

  /** A throttled backup (-r 32) through a proxy that is cut once the backup has begun. */
  private static CliRun cutMidBackup(PostgresServer server, Path target) throws Exception {
    try (TcpProxy proxy = TcpProxy.to(server)) {
      Map<String, String> env = env(proxy.host(), proxy.port());
      CompletableFuture<CliRun> run =
          CompletableFuture.supplyAsync(
              () ->
                  CliRun.of(
                      env, "basebackup", "--no-sync", "-c", "fast", "-r", "32", "-D", s(target)));
      Waits.await(
          Duration.ofSeconds(60),
          () -> run.isDone() || Files.exists(target.resolve("backup_label")),
          "the backup to begin");
      assertThat(run.isDone())
          .as(() -> "the throttled backup ended before the cut: " + run.join().err())
          .isFalse();
      Waits.sleep(500);
      proxy.cutAll();
      CliRun r = run.get(60, TimeUnit.SECONDS);
      System.out.printf("[cut, exit %d]%n%s", r.exitCode(), r.err().indent(4));
      assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
      assertThat(r.firstErrorLine()).startsWith("jwalreceiver: error: ");
      assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
      return r;
    }
  }

  // ------------------------------------------------------------------ disk full

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void diskFullIsReportedAndCleanedUp(int major) throws IOException {
    Path mnt = Files.createDirectories(tmp.resolve("small"));
    Tools.Result mount =
        Tools.run(List.of("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", s(mnt)));
    assumeTrue(mount.exitCode() == 0, () -> "cannot mount a tmpfs: " + mount.all());
    try {
      PostgresServer server = PostgresServer.shared(major);
      Path target = mnt.resolve("backup");
      CliRun r = bb(env(server), "-D", s(target), "-X", "fetch");
      assertFails(r, "No space left on device");
      assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
      assertThat(target).doesNotExist();
      assertThat(names(mnt)).isEmpty();
    } finally {
      Tools.Result umount = Tools.run(List.of("umount", s(mnt)));
      assertThat(umount.exitCode()).as(umount.all()).isZero();
    }
  }
}
