// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.archive.verify.BackupManifestSummary;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.S3Server;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code archive verify} and {@code archive cleanup} on a real archive (two base backups and WAL
 * across a timeline switch, {@link ArchiveStaging}), in an S3 bucket on a real S3 server and in a
 * local directory: a sound archive verifies; a missing segment, a missing history file and
 * corrupted bytes are each named; cleanup removes exactly the older backup and the WAL before the
 * kept backup's start, and the archive still verifies.
 */
@Tag("postgres")
class ArchiveVerifyIT {

  @TempDir Path tmp;

  /** READ_REPLICATION_SLOT (receivewal starting from the slot) needs a 15+ server. */
  static Stream<Arguments> cases() {
    return PgVersions.selected().stream()
        .filter(v -> v >= 15)
        .flatMap(v -> Stream.of(Arguments.of(v, "s3"), Arguments.of(v, "directory")));
  }

  /** An empty archive of a kind: its location, environment and the file behind a key. */
  private record Archive(String location, Map<String, String> env, Path files) {

    ObjectStore open() {
      return Stores.open(StoreLocation.parse(location), env);
    }

    Path file(String key) {
      return files.resolve(key);
    }

    CliRun run(String... args) {
      List<String> all = new ArrayList<>(List.of("archive", args[0], "--archive", location));
      all.addAll(List.of(args).subList(1, args.length));
      return BackupTestSupport.run(env, all.toArray(String[]::new));
    }

    TreeSet<String> keys() throws IOException {
      try (ObjectStore store = open()) {
        TreeSet<String> keys = new TreeSet<>();
        store.list("").forEach(o -> keys.add(o.key()));
        return keys;
      }
    }
  }

  private Archive archive(String kind) throws IOException {
    if (kind.equals("s3")) {
      S3Server server = S3Server.shared();
      String bucket = server.newBucket();
      return new Archive(
          "s3://" + bucket + "/cluster1",
          server.environment(),
          server.bucketDirectory(bucket).resolve("cluster1"));
    }
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    return new Archive(dir.toString(), Map.of(), dir);
  }

  @ParameterizedTest(name = "PostgreSQL {0}, {1}")
  @MethodSource("cases")
  void verifiesNamesWhatIsWrongAndCleansUp(int major, String kind) throws Exception {
    ArchiveStaging staged = ArchiveStaging.of(major);
    Archive archive = archive(kind);
    try (ObjectStore store = archive.open()) {
      staged.upload(store);
    }
    String id1 = staged.backupIds.get(0);
    String id2 = staged.backupIds.get(1);

    // A sound archive: both backups, their chains across the switch to timeline 2.
    CliRun ok = archive.run("verify");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(ok.err()).isEmpty();
    assertThat(ok.out())
        .contains("segment size 1.0 MiB", "newest timeline 2", "backup " + id1, "backup " + id2)
        .contains("on timeline 1, end", "on timeline 2, end", "archive verified: no problems");
    assertThat(ok.out().lines().filter(l -> l.startsWith("  timeline 1: "))).hasSize(1);
    assertThat(ok.out().lines().filter(l -> l.startsWith("  timeline 2: "))).hasSize(2);
    CliRun json = archive.run("verify", "--json", "--backup", id2);
    assertThat(json.exitCode()).as(json.err()).isZero();
    assertThat(json.out())
        .contains("\"ok\" : true", "\"id\" : \"" + id2 + "\"")
        .doesNotContain(id1);

    // One segment of timeline 2 missing: the chain breaks there.
    List<String> tl2 = staged.segments(2);
    String gone = tl2.get(tl2.size() - 2);
    try (ObjectStore store = archive.open()) {
      store.delete(List.of("wal/" + gone));
    }
    CliRun missing = archive.run("verify");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err())
        .contains("wal/" + gone + ": missing: the WAL chain of timeline 2 breaks here");
    assertThat(missing.out()).contains("archive verification failed");
    putBack(archive, "wal/" + gone, staged.walFile(gone));

    // The history file of timeline 2 missing.
    try (ObjectStore store = archive.open()) {
      store.delete(List.of("wal/00000002.history"));
    }
    CliRun history = archive.run("verify");
    assertThat(history.exitCode()).isEqualTo(1);
    assertThat(history.err()).contains("wal/00000002.history: missing: timeline 2's history file");
    putBack(archive, "wal/00000002.history", staged.walFile("00000002.history"));

    // Corrupted bytes in a segment of timeline 1 (its page header's timeline field).
    String corrupt = staged.segments(1).get(staged.segments(1).size() - 1);
    try (FileChannel ch =
        FileChannel.open(archive.file("wal/" + corrupt), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {9, 9, 9, 9}), 4);
    }
    CliRun corrupted = archive.run("verify");
    assertThat(corrupted.exitCode()).isEqualTo(1);
    assertThat(corrupted.err())
        .contains("wal/" + corrupt + ": page header names timeline 151587081, not 1");
    if (kind.equals("s3")) {
      assertThat(corrupted.err())
          .contains("wal/" + corrupt + ": SHA-256 ")
          .contains("differs from the one recorded at upload");
    }
    putBack(archive, "wal/" + corrupt, staged.walFile(corrupt));
    assertThat(archive.run("verify").exitCode()).isZero();

    // Cleanup keeping one backup: exactly backup 1 and the WAL before backup 2's start go.
    TreeSet<String> before = archive.keys();
    TreeSet<String> expectedGone = new TreeSet<>();
    SegmentName keepFrom;
    try (ObjectStore store = archive.open()) {
      BackupManifestSummary m =
          BackupManifestSummary.read(store, "basebackups/" + id2 + "/backup_manifest");
      keepFrom = SegmentName.of(m.startTimeline(), m.start(), ArchiveStaging.SEGMENT);
      for (StoredObject o : store.list("")) {
        String key = o.key();
        String name = key.substring(key.indexOf('/') + 1);
        if (key.startsWith("basebackups/" + id1 + "/")) {
          expectedGone.add(key);
        } else if (key.startsWith("wal/") && !name.endsWith(".history")) {
          SegmentName s = SegmentName.parse(name.substring(0, 24), ArchiveStaging.SEGMENT);
          if (s.timeline().value() <= keepFrom.timeline().value()
              && s.segmentNumber() < keepFrom.segmentNumber()) {
            expectedGone.add(key);
          }
        }
      }
    }
    assertThat(expectedGone)
        .anyMatch(k -> k.startsWith("wal/00000001"))
        .contains("basebackups/" + id1 + "/backup_manifest", "basebackups/" + id1 + "/base.tar");

    CliRun dry = archive.run("cleanup", "--keep", "1", "--dry-run");
    assertThat(dry.exitCode()).as(dry.err()).isZero();
    assertThat(dry.out())
        .contains("would remove backup " + id1)
        .contains("would remove " + expectedGone.size() + " objects");
    assertThat(archive.keys()).isEqualTo(before);

    CliRun clean = archive.run("cleanup", "--keep", "1");
    assertThat(clean.exitCode()).as(clean.err()).isZero();
    assertThat(clean.out())
        .contains("keeping 1 backup: " + id2 + "; WAL from " + keepFrom + " on")
        .contains("removing backup " + id1)
        .contains("removed " + expectedGone.size() + " objects");
    TreeSet<String> after = new TreeSet<>(before);
    after.removeAll(expectedGone);
    assertThat(archive.keys()).isEqualTo(after).contains("wal/00000002.history");

    CliRun still = archive.run("verify");
    assertThat(still.exitCode()).as(still.err()).isZero();
    assertThat(still.out()).contains("backup " + id2).doesNotContain("backup " + id1);

    // Nothing more to remove with the same rule; keep 0 is refused.
    CliRun again = archive.run("cleanup", "--keep", "1");
    assertThat(again.out()).contains("removed 0 objects");
    CliRun zero = archive.run("cleanup", "--keep", "0");
    assertThat(zero.exitCode()).isEqualTo(1);
    assertThat(zero.firstErrorLine())
        .isEqualTo("jwalreceiver: error: --keep must be at least 1, not 0");
    assertThat(archive.keys()).isEqualTo(after);

    // An incomplete backup (a failed upload) older than the kept one: kept unless asked.
    String failed = "basebackups/20000101T000000Z/base.tar";
    try (ObjectStore store = archive.open()) {
      store.put(failed, "cut short".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    CliRun keepsIt = archive.run("cleanup", "--keep", "1");
    assertThat(keepsIt.out())
        .contains("keeping incomplete backup 20000101T000000Z")
        .contains("removed 0 objects");
    CliRun removesIt = archive.run("cleanup", "--keep", "1", "--remove-incomplete");
    assertThat(removesIt.exitCode()).as(removesIt.err()).isZero();
    assertThat(removesIt.out())
        .contains("removing incomplete backup 20000101T000000Z")
        .contains("removed 1 object, 9 bytes");
    assertThat(archive.keys()).isEqualTo(after);
  }

  private static void putBack(Archive archive, String key, Path file) throws IOException {
    try (ObjectStore store = archive.open()) {
      store.put(key, file);
    }
  }

  @Test
  void cleanupRefusesAnArchiveWithoutACompleteBackup() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("empty/basebackups/20261206T000000Z"));
    Files.writeString(dir.resolve("base.tar"), "partial upload");
    String location = tmp.resolve("empty").toString();
    CliRun r = CliRun.of(Map.of(), "archive", "cleanup", "--archive", location, "--keep", "2");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.firstErrorLine())
        .isEqualTo(
            "jwalreceiver: error: no complete base backup in "
                + location
                + ": nothing says which WAL is needed, so nothing is removed");
    assertThat(dir.resolve("base.tar")).exists();
    CliRun v = CliRun.of(Map.of(), "archive", "verify", "--archive", location);
    assertThat(v.exitCode()).isEqualTo(1);
    assertThat(v.out()).contains("incomplete backup 20261206T000000Z (no backup_manifest)");
    assertThat(v.err()).contains("no complete base backup: the archive cannot be restored");
  }

  @Test
  void helpFitsIn95Columns() {
    assertThat(CliRun.help("archive").out()).contains("verify", "cleanup");
    assertThat(CliRun.help("archive", "verify").out()).contains("--archive", "--backup", "--json");
    assertThat(CliRun.help("archive", "cleanup").out()).contains("--keep", "--dry-run");
  }

  @Test
  void anUnknownBackupIsOneLine() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("a/wal"));
    CliRun r =
        CliRun.of(
            Map.of(),
            "archive",
            "verify",
            "--archive",
            dir.getParent().toString(),
            "--backup",
            "20991231T000000Z");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().strip())
        .isEqualTo(
            "jwalreceiver: error: backup \"20991231T000000Z\" not found in " + dir.getParent());
  }
}
