// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A real archive with a timeline switch, staged for the archive commands' tests: the WAL and two
 * tar-format base backups a real cluster made, on disk, and their upload into a store in the
 * archive layout.
 *
 * <p>The cluster's history is made once per test JVM and {@link #upload uploaded} into each archive
 * under test (an S3 bucket, a directory), so that both kinds verify the same objects; that the
 * {@code --target} options lay an archive out exactly so is {@code RestoreIT}'s and {@code
 * ReceiveWalUploadIT}'s business.
 *
 * <p>What it does: a primary (timeline 1, 1 MiB segments) and a streaming standby with a physical
 * slot; backup 1 ({@code basebackup -Ft -X none}) of the primary; more WAL; the standby is promoted
 * (timeline 2); backup 2 of the promoted standby; more WAL; then {@code receivewal} from the slot
 * up to an end position collects timeline 1's segments (its last one a {@code .partial}), {@code
 * 00000002.history} and timeline 2's segments.
 */
final class ArchiveStaging {

  static final WalSegmentSize SEGMENT = new WalSegmentSize(1 << 20);

  private static final Map<Integer, ArchiveStaging> STAGED = new ConcurrentHashMap<>();

  final Path wal;
  final List<Path> backups;
  final List<String> backupIds;

  private ArchiveStaging(Path wal, List<Path> backups, List<String> backupIds) {
    this.wal = wal;
    this.backups = List.copyOf(backups);
    this.backupIds = List.copyOf(backupIds);
  }

  /** The staged archive of a server version, made once per test run. */
  static ArchiveStaging of(int major) {
    return STAGED.computeIfAbsent(
        major,
        m -> {
          try {
            Path root = Files.createTempDirectory("archive-staging-" + m);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
            return fromServer(m, root);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** Runs the clusters and the commands; leaves the files under {@code root}. */
  static ArchiveStaging fromServer(int major, Path root) throws IOException {
    Path wal = Files.createDirectory(root.resolve("wal"));
    Path b1 = root.resolve("backup1");
    Path b2 = root.resolve("backup2");
    Instant t1;
    Instant t2;
    try (PostgresServer primary =
            PostgresServer.start(
                PostgresServer.Options.of(major).withInitdbArgs("--wal-segsize=1"));
        PostgresServer standby = primary.createStandby()) {
      try (ReplicationConnection c =
          ReplicationConnection.open(BackupTestSupport.replicationConfig(standby))) {
        c.createPhysicalSlot("archive_slot", false, true);
      }
      primary.generateWal(SEGMENT.bytes() * 2L);
      t1 = Instant.now();
      assertOk(bb(BackupTestSupport.env(primary), "-D", b1.toString(), "-Ft", "-X", "none"));
      primary.generateWal(SEGMENT.bytes() * 2L);
      standby.awaitReplay(primary.currentWalLsn(), BackupTestSupport.RUN_TIMEOUT);
      standby.promote();
      standby.generateWal(SEGMENT.bytes());
      t2 = Instant.now();
      if (!t2.isAfter(t1.plusSeconds(1))) {
        t2 = t1.plusSeconds(1);
      }
      assertOk(bb(BackupTestSupport.env(standby), "-D", b2.toString(), "-Ft", "-X", "none"));
      standby.generateWal(SEGMENT.bytes() * 2L);
      standby.execute("CREATE TABLE test_table (x integer)");
      String end = ReceiveWalIT.nextEndPosition(standby);
      assertOk(
          ReceiveWalIT.receivewal(
              standby, wal, "--endpos", end, "--slot", "archive_slot", "--no-sync", "--no-loop"));
    }
    return new ArchiveStaging(
        wal, List.of(b1, b2), List.of(ArchiveLayout.backupId(t1), ArchiveLayout.backupId(t2)));
  }

  /**
   * Puts everything into {@code store}: the WAL under {@code wal/} (completed segments, history
   * files and the {@code .partial} of the ended timeline 1; not the newest timeline's {@code
   * .partial}, which an archiver would not upload), then each backup's files under {@code
   * basebackups/ID/}, its {@code backup_manifest} last.
   */
  void upload(ObjectStore store) throws IOException {
    for (Path f : files(wal)) {
      String name = f.getFileName().toString();
      if (name.endsWith(".partial") && !name.startsWith("00000001")) {
        continue;
      }
      store.put(ArchiveLayout.STORE.walKey(name), f);
    }
    for (int i = 0; i < backups.size(); i++) {
      Path manifest = null;
      for (Path f : files(backups.get(i))) {
        String name = f.getFileName().toString();
        if (name.equals(ArchiveLayout.MANIFEST)) {
          manifest = f;
        } else {
          store.put(ArchiveLayout.STORE.backupKey(backupIds.get(i), name), f);
        }
      }
      if (manifest != null) {
        store.put(
            ArchiveLayout.STORE.backupKey(backupIds.get(i), ArchiveLayout.MANIFEST), manifest);
      }
    }
  }

  /** The staged copy of a WAL file. */
  Path walFile(String name) {
    return wal.resolve(name);
  }

  /** The complete segments staged for a timeline, oldest first. */
  List<String> segments(int timeline) throws IOException {
    List<String> names = new ArrayList<>();
    for (Path f : files(wal)) {
      String name = f.getFileName().toString();
      if (SegmentName.isSegmentFileName(name)
          && SegmentName.parse(name, SEGMENT).timeline().value() == timeline) {
        names.add(name);
      }
    }
    return names;
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** Removes the staged files (at the end of the test JVM). */
  private static void deleteTree(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("could not remove " + root + ": " + e);
    }
  }
}
