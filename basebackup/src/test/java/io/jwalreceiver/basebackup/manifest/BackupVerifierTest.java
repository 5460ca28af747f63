// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BackupVerifierTest {

  private static final int SEGMENT = 16 << 20;

  @TempDir Path tmp;

  /** One run: the errors in the order reported, and the result. */
  private record Run(List<String> errors, BackupVerifier.Result result) {}

  private static Run verify(Path dir, UnaryOperator<BackupVerifier.Builder> options) {
    List<String> errors = new ArrayList<>();
    BackupVerifier.Result result =
        options.apply(BackupVerifier.builder(dir)).build().verify(errors::add);
    return new Run(errors, result);
  }

  private static Run verifyNoWal(Path dir) {
    return verify(dir, b -> b.skipWal(true));
  }

  private Path golden() throws IOException {
    return ManifestFixture.goldenBackup(Files.createDirectories(tmp.resolve("backup")));
  }

  /** A sparse file of {@code size} bytes. */
  private static void sized(Path file, long size) throws IOException {
    Files.createDirectories(file.getParent());
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
    }
  }

  private static void assertOk(Run run) {
    assertThat(run.errors()).isEmpty();
    assertThat(run.result().ok()).isTrue();
  }

  private static void assertErrors(Run run, String... errors) {
    assertThat(run.errors()).containsExactly(errors);
    assertThat(run.result().ok()).isFalse();
    assertThat(run.result().errors()).isEqualTo(errors.length);
  }

  @Test
  void theRealBackupVerifies() throws IOException {
    Path dir = golden();
    assertOk(verifyNoWal(dir));
    // Its WAL range 0/2000028..0/2000100 needs segment 2 of timeline 1.
    sized(dir.resolve("pg_wal/000000010000000000000002"), SEGMENT);
    Files.createDirectories(dir.resolve("pg_wal/archive_status"));
    assertOk(verify(dir, b -> b));
  }

  @Test
  void reportsAMissingWalSegmentOrOneOfTheWrongSize() throws IOException {
    Path dir = golden();
    Files.createDirectories(dir.resolve("pg_wal"));
    assertErrors(
        verify(dir, b -> b), "could not find any WAL file in \"" + dir.resolve("pg_wal") + "\"");
    sized(dir.resolve("pg_wal/000000010000000000000003"), SEGMENT);
    assertErrors(
        verify(dir, b -> b),
        "WAL file \"000000010000000000000002\" needed for timeline 1 (0/2000028 to 0/2000100)"
            + " is not present in \""
            + dir.resolve("pg_wal")
            + "\"");
    sized(dir.resolve("pg_wal/000000010000000000000002"), 8192);
    assertErrors(
        verify(dir, b -> b),
        "WAL file \"000000010000000000000002\" has size 8192, but the WAL segment size is "
            + SEGMENT);
    // A WAL directory elsewhere (-w).
    Path wal = tmp.resolve("wal");
    // With 1 MiB segments 0/2000028 is in segment 0x20.
    sized(wal.resolve("000000010000000000000020"), 1 << 20);
    assertOk(verify(dir, b -> b.walDirectory(wal)));
  }

  @Test
  void walRangesSpanningSegmentsAndTimelinesNeedEverySegment() throws IOException {
    Path dir = tmp.resolve("b");
    ManifestFixture.backup(
        dir,
        Map.of("PG_VERSION", "15\n".getBytes(StandardCharsets.US_ASCII)),
        ChecksumAlgorithm.CRC32C,
        1,
        null,
        List.of(
            "{ \"Timeline\": 2, \"Start-LSN\": \"0/3100000\", \"End-LSN\": \"0/3200000\" }",
            "{ \"Timeline\": 1, \"Start-LSN\": \"0/2F00028\", \"End-LSN\": \"0/3100000\" }"));
    int mib = 1 << 20;
    // 1 MiB segments: TLI 1 needs 0x2F and 0x30, TLI 2 needs 0x31.
    sized(dir.resolve("pg_wal/00000001000000000000002F"), mib);
    sized(dir.resolve("pg_wal/000000020000000000000031"), mib);
    Run run = verify(dir, b -> b);
    assertErrors(
        run,
        "WAL file \"000000010000000000000030\" needed for timeline 1"
            + " (0/2F00028 to 0/3100000) is not present in \""
            + dir.resolve("pg_wal")
            + "\"");
    sized(dir.resolve("pg_wal/000000010000000000000030"), mib);
    assertOk(verify(dir, b -> b));
  }

  @Test
  void reportsEveryFileProblemInPathOrder() throws IOException {
    Path dir = golden();
    Files.delete(dir.resolve("PG_VERSION"));
    Files.writeString(dir.resolve("zz_extra"), "x");
    Files.createDirectories(dir.resolve("base/1"));
    Files.writeString(dir.resolve("base/1/extra"), "y");
    byte[] label = Files.readAllBytes(dir.resolve("backup_label"));
    label[10] ^= 1;
    Files.write(dir.resolve("backup_label"), label);
    Files.write(dir.resolve("global/pg_control"), new byte[8193]);

    Run run = verifyNoWal(dir);
    assertErrors(
        run,
        "\"base/1/extra\" is present on disk but not in the manifest",
        "\"global/pg_control\" has size 8193 on disk but size 8192 in the manifest",
        "\"zz_extra\" is present on disk but not in the manifest",
        "\"PG_VERSION\" is present in the manifest but not on disk",
        "checksum mismatch for file \"backup_label\"");
    assertThat(run.result().complete()).isTrue();

    // -e: only the first.
    Run first = verify(dir, b -> b.skipWal(true).exitOnError(true));
    assertErrors(first, "\"base/1/extra\" is present on disk but not in the manifest");
    assertThat(first.result().complete()).isFalse();

    // -s: no checksum error.
    Run skip = verify(dir, b -> b.skipWal(true).skipChecksums(true));
    assertThat(skip.errors()).hasSize(4).noneMatch(e -> e.startsWith("checksum mismatch"));
  }

  @Test
  void aChangedByteIsACheckumMismatch() throws IOException {
    Path dir = golden();
    Files.writeString(dir.resolve("PG_VERSION"), "16\n");
    assertErrors(verifyNoWal(dir), "checksum mismatch for file \"PG_VERSION\"");
  }

  @Test
  void ignoresTheDefaultsAndGivenPaths() throws IOException {
    Path dir = golden();
    for (String f :
        List.of(
            "postgresql.auto.conf",
            "recovery.signal",
            "standby.signal",
            "pg_wal/whatever",
            "extra/a/b",
            "other")) {
      Files.createDirectories(dir.resolve(f).getParent());
      Files.writeString(dir.resolve(f), "z");
    }
    Files.delete(dir.resolve("PG_VERSION"));
    assertOk(
        verify(dir, b -> b.skipWal(true).ignore("extra/").ignore("other").ignore("PG_VERSION")));
    // "ext" must not match "extra".
    Run run = verify(dir, b -> b.skipWal(true).ignore("ext").ignore("other").ignore("PG_VERSION"));
    assertErrors(run, "\"extra/a/b\" is present on disk but not in the manifest");
  }

  @Test
  void aBadManifestEndsTheCheckAtOnce() throws IOException {
    Path dir = golden();
    Path manifest = dir.resolve("backup_manifest");
    String text = Files.readString(manifest);
    Files.writeString(manifest, text.replace("\"dac11e2b", "\"eac11e2b"));
    Files.delete(dir.resolve("PG_VERSION"));
    Run run = verifyNoWal(dir);
    assertErrors(run, "manifest checksum mismatch");
    assertThat(run.result().complete()).isFalse();

    Files.writeString(
        manifest, text.replace("\"Path\": \"backup_label\"", "\"Path\": \"PG_VERSION\""));
    assertErrors(verifyNoWal(dir), "duplicate path name in backup manifest: \"PG_VERSION\"");

    Files.writeString(manifest, text.replace("\"Size\": 3,", "\"Size\": 3, \"Mode\": 384,"));
    assertErrors(verifyNoWal(dir), "could not parse backup manifest: unexpected file field");

    Files.delete(manifest);
    assertErrors(
        verifyNoWal(dir), "could not open file \"" + manifest + "\": No such file or directory");
    // -m: a manifest kept elsewhere.
    Path elsewhere = tmp.resolve("m.json");
    Files.writeString(elsewhere, text);
    Files.writeString(dir.resolve("PG_VERSION"), "15\n");
    assertOk(verify(dir, b -> b.skipWal(true).manifest(elsewhere)));
  }

  @ParameterizedTest
  @EnumSource(ChecksumAlgorithm.class)
  void everyAlgorithmVerifiesAndCatchesCorruption(ChecksumAlgorithm algorithm) throws IOException {
    Path dir = tmp.resolve("b");
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("PG_VERSION", "15\n".getBytes(StandardCharsets.US_ASCII));
    files.put("base/1/1259", new byte[3 * BackupVerifier.BUFFER_SIZE + 17]);
    files.put("empty", new byte[0]);
    ManifestFixture.backup(dir, files, algorithm, 1, null, List.of());
    assertOk(verifyNoWal(dir));
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve("base/1/1259").toFile(), "rw")) {
      f.seek(2L * BackupVerifier.BUFFER_SIZE + 5);
      f.write(1);
    }
    if (algorithm == ChecksumAlgorithm.NONE) {
      assertOk(verifyNoWal(dir));
    } else {
      assertErrors(verifyNoWal(dir), "checksum mismatch for file \"base/1/1259\"");
    }
  }

  @Test
  void aChecksumOfTheWrongLengthIsReported() throws IOException {
    Path dir = tmp.resolve("b");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("PG_VERSION"), "15\n");
    Files.write(
        dir.resolve("backup_manifest"),
        ManifestFixture.manifest(
            1,
            null,
            List.of(ManifestFixture.fileLine("PG_VERSION", 3, ChecksumAlgorithm.CRC32C, "8a74")),
            List.of()));
    assertErrors(verifyNoWal(dir), "file \"PG_VERSION\" has checksum of length 2, but expected 4");
  }

  @Test
  void checksumsOnSeveralThreadsAreReportedInPathOrder() throws IOException {
    Path dir = tmp.resolve("b");
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      files.put(
          String.format("base/5/%05d", i),
          ("file " + i).repeat(1 + i * 100).getBytes(StandardCharsets.US_ASCII));
    }
    ManifestFixture.backup(dir, files, ChecksumAlgorithm.CRC32C, 1, null, List.of());
    List<String> expected = new ArrayList<>();
    for (int i : new int[] {7, 23, 24, 59}) {
      String name = String.format("base/5/%05d", i);
      byte[] b = files.get(name);
      b[0] ^= 0x20;
      Files.write(dir.resolve(name), b);
      expected.add("checksum mismatch for file \"" + name + "\"");
    }
    for (int threads : new int[] {1, 2, 4, 8}) {
      assertErrors(
          verify(dir, b -> b.skipWal(true).threads(threads)), expected.toArray(String[]::new));
      assertErrors(
          verify(dir, b -> b.skipWal(true).threads(threads).exitOnError(true)), expected.get(0));
    }
  }

  @Test
  void followsTablespaceSymlinks() throws IOException {
    Path dir = tmp.resolve("b");
    Path tablespace = Files.createDirectories(tmp.resolve("ts/PG_15_202209061/5"));
    Files.writeString(tablespace.resolve("16385"), "rows");
    Files.writeString(tmp.resolve("PG_VERSION.src"), "15\n");
    // Manifest first (it writes regular files), then replace the tablespace dir by a symlink.
    ManifestFixture.backup(
        dir,
        Map.of(
            "PG_VERSION",
            "15\n".getBytes(StandardCharsets.US_ASCII),
            "pg_tblspc/16384/PG_15_202209061/5/16385",
            "rows".getBytes(StandardCharsets.US_ASCII)),
        ChecksumAlgorithm.SHA256,
        1,
        null,
        List.of());
    Files.delete(dir.resolve("pg_tblspc/16384/PG_15_202209061/5/16385"));
    Files.delete(dir.resolve("pg_tblspc/16384/PG_15_202209061/5"));
    Files.delete(dir.resolve("pg_tblspc/16384/PG_15_202209061"));
    Files.delete(dir.resolve("pg_tblspc/16384"));
    Files.createSymbolicLink(dir.resolve("pg_tblspc/16384"), tmp.resolve("ts"));
    assertOk(verifyNoWal(dir));
    Files.writeString(tablespace.resolve("16385"), "rowz");
    assertErrors(
        verifyNoWal(dir), "checksum mismatch for file \"pg_tblspc/16384/PG_15_202209061/5/16385\"");
    Files.createSymbolicLink(dir.resolve("pg_tblspc/16385"), tmp.resolve("nowhere"));
    assertThat(verifyNoWal(dir).errors())
        .contains(
            "could not stat file or directory \""
                + dir.resolve("pg_tblspc/16385")
                + "\": No such file or directory");
  }

  @Test
  void version2ComparesTheSystemIdentifierWithPgControl() throws IOException {
    long sysid = Long.parseUnsignedLong("17500000000000000001");
    byte[] control = new byte[8192];
    ByteBuffer.wrap(control).order(ByteOrder.LITTLE_ENDIAN).putLong(sysid);
    Path dir = tmp.resolve("b");
    ManifestFixture.backup(
        dir, Map.of("global/pg_control", control), ChecksumAlgorithm.CRC32C, 2, sysid, List.of());
    assertOk(verifyNoWal(dir));

    Path other = tmp.resolve("c");
    ManifestFixture.backup(
        other, Map.of("global/pg_control", control), ChecksumAlgorithm.CRC32C, 2, 7L, List.of());
    Run run = verifyNoWal(other);
    assertErrors(run, "manifest system identifier is 7, but control file has 17500000000000000001");
    assertThat(run.result().complete()).isFalse();
  }
}
