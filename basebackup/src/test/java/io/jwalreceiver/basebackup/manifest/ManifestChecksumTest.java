// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.basebackup.manifest.BackupManifest.FileEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ManifestChecksumTest {

  private static String checksum(ChecksumAlgorithm algorithm, byte[] data) {
    ManifestChecksum c = ManifestChecksum.create(algorithm);
    // Feed it in two pieces to exercise incremental updates.
    int half = data.length / 2;
    c.update(data, 0, half);
    c.update(data, half, data.length - half);
    return c.finishHex();
  }

  @Test
  void crc32cIsTheLittleEndianBytesOfTheConventionalValue() {
    // The standard check value of CRC-32C is 0xE3069283.
    assertThat(checksum(ChecksumAlgorithm.CRC32C, "123456789".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("839206e3");
    assertThat(checksum(ChecksumAlgorithm.CRC32C, new byte[0])).isEqualTo("00000000");
  }

  @Test
  void everyAlgorithmMatchesTheRealServersManifestsForPgVersion() {
    // golden/manifest-full/PG_VERSION-checksums.txt: the PG_VERSION lines of five real
    // PostgreSQL 15 manifests, one per --manifest-checksums value.
    byte[] pgVersion = ManifestFixture.resource("manifest/PG_VERSION");
    String vectors =
        new String(
            ManifestFixture.resource("manifest-full/PG_VERSION-checksums.txt"),
            StandardCharsets.US_ASCII);
    int seen = 0;
    for (String line : vectors.split("\n")) {
      String[] parts = line.split(" ");
      ChecksumAlgorithm algorithm = ChecksumAlgorithm.parse(parts[0]).orElseThrow();
      assertThat(checksum(algorithm, pgVersion)).as(parts[0]).isEqualTo(parts[1]);
      assertThat(parts[1]).hasSize(2 * algorithm.digestLength());
      seen++;
    }
    assertThat(seen).isEqualTo(5);
  }

  @Test
  void crc32cMatchesTheRealManifestForEveryGoldenFile() {
    Map<String, FileEntry> files =
        ManifestParser.parse(ManifestFixture.resource("manifest/backup_manifest")).filesByPath();
    for (String name : ManifestFixture.GOLDEN_FILES) {
      FileEntry entry = files.get(name);
      assertThat(entry.algorithm()).isEqualTo(ChecksumAlgorithm.CRC32C);
      assertThat(checksum(ChecksumAlgorithm.CRC32C, ManifestFixture.resource("manifest/" + name)))
          .as(name)
          .isEqualTo(entry.checksum());
    }
    assertThat(files.get("global/pg_control").checksum()).isEqualTo("43872087");
  }

  @ParameterizedTest
  @EnumSource(ChecksumAlgorithm.class)
  void digestLengthsAndReuseAfterFinish(ChecksumAlgorithm algorithm) {
    ManifestChecksum c = ManifestChecksum.create(algorithm);
    byte[] data = "abc".getBytes(StandardCharsets.US_ASCII);
    c.update(data, 0, data.length);
    byte[] first = c.finish();
    assertThat(first).hasSize(algorithm.digestLength());
    c.update(data, 0, data.length);
    assertThat(c.finish()).isEqualTo(first);
  }

  @Test
  void namesParseCaseInsensitively() {
    assertThat(ChecksumAlgorithm.parse("sha256")).contains(ChecksumAlgorithm.SHA256);
    assertThat(ChecksumAlgorithm.parse("Crc32C")).contains(ChecksumAlgorithm.CRC32C);
    assertThat(ChecksumAlgorithm.parse("none")).contains(ChecksumAlgorithm.NONE);
    assertThat(ChecksumAlgorithm.parse("bogus")).isEmpty();
    assertThat(ChecksumAlgorithm.parse("sha-256")).isEmpty();
  }

  @Test
  void hexRoundTripsAndRejectsNonHex() {
    byte[] bytes = {0, 1, (byte) 0xab, (byte) 0xff};
    assertThat(ManifestChecksum.hex(bytes)).isEqualTo("0001abff");
    assertThat(ManifestChecksum.unhex("0001ABff")).isEqualTo(bytes);
    for (String bad : List.of("abc", "zz", "0g", "\uff10\uff10")) {
      assertThat(ManifestChecksum.unhex(bad)).as(bad).isNull();
    }
  }
}
