// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.basebackup.manifest.BackupManifest.FileEntry;
import io.jwalreceiver.basebackup.manifest.BackupManifest.WalRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestParserTest {

  private static final String GOLDEN =
      new String(ManifestFixture.resource("manifest/backup_manifest"), StandardCharsets.UTF_8);

  /** The golden manifest without its last (checksum) line. */
  private static String goldenBody() {
    return GOLDEN.substring(0, GOLDEN.lastIndexOf('\n', GOLDEN.length() - 2) + 1);
  }

  /** The golden manifest with {@code from} replaced by {@code to} and the checksum recomputed. */
  private static byte[] mutated(String from, String to) {
    String body = goldenBody();
    assertThat(body).contains(from);
    return ManifestFixture.withChecksum(body.replace(from, to));
  }

  private static void assertFails(byte[] manifest, String message) {
    assertThatThrownBy(() -> ManifestParser.parse(manifest))
        .isInstanceOf(PgException.class)
        .hasMessage(message)
        .satisfies(e -> assertThat(((PgException) e).sqlState().code()).isEqualTo("XX001"));
  }

  @Test
  void parsesTheRealPostgres15Manifest() {
    BackupManifest m = ManifestParser.parse(GOLDEN.getBytes(StandardCharsets.UTF_8));
    assertThat(m.version()).isEqualTo(1);
    assertThat(m.systemIdentifier()).isEmpty();
    assertThat(m.files())
        .extracting(FileEntry::path)
        .containsExactly("backup_label", "PG_VERSION", "global/pg_control");
    FileEntry label = m.files().get(0);
    assertThat(label.size()).isEqualTo(225);
    assertThat(label.lastModified()).isEqualTo("2026-11-27 17:35:57 GMT");
    assertThat(label.algorithm()).isEqualTo(ChecksumAlgorithm.CRC32C);
    assertThat(label.checksum()).isEqualTo("64b7bead");
    assertThat(label.encodedPath()).isFalse();
    assertThat(m.walRanges())
        .containsExactly(
            new WalRange(TimelineId.of(1), Lsn.parse("0/2000028"), Lsn.parse("0/2000100")));
    assertThat(m.manifestChecksum())
        .isEqualTo("dac11e2b96a11f6493dbbd17ce533c8d8cc4da4cd5b5820c5f026b9fa44cc93f");
  }

  @Test
  void parsesAnUntouchedServerManifestWithItsOwnChecksum() throws IOException {
    byte[] gz = ManifestFixture.resource("manifest-full/backup_manifest.gz");
    byte[] manifest;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      manifest = in.readAllBytes();
    }
    BackupManifest m = ManifestParser.parse(manifest);
    assertThat(m.files()).hasSize(966);
    assertThat(m.filesByPath()).hasSize(966).containsKey("global/pg_control");
    assertThat(m.manifestChecksum())
        .isEqualTo("376f717865aaf323e367263cea9d527bb406a2038f1e9629328c602cba170e08");
    assertThat(m.filesByPath().get("PG_VERSION").checksum()).isEqualTo("8a744722");
  }

  @Test
  void parsesVersion2WithAnUnsignedSystemIdentifier() {
    byte[] v2 =
        ManifestFixture.manifest(
            2,
            Long.parseUnsignedLong("18000000000000000001"),
            List.of(
                ManifestFixture.fileLine(
                    "PG_VERSION",
                    3,
                    ChecksumAlgorithm.SHA256,
                    "238903180cc104ec2c5d8b3f20c5bc61b389ec0a967df8cc208cdc7cd454174f")),
            List.of(
                "{ \"Timeline\": 2, \"Start-LSN\": \"0/3000028\", \"End-LSN\": \"0/3000100\" }",
                "{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/3000000\" }"));
    BackupManifest m = ManifestParser.parse(v2);
    assertThat(m.version()).isEqualTo(2);
    assertThat(Long.toUnsignedString(m.systemIdentifier().orElseThrow()))
        .isEqualTo("18000000000000000001");
    assertThat(m.walRanges())
        .extracting(WalRange::timeline)
        .containsExactly(TimelineId.of(2), TimelineId.of(1));
  }

  @Test
  void version2RequiresTheSystemIdentifier() {
    assertFails(
        ManifestFixture.manifest(2, null, List.of(), List.of()),
        "could not parse backup manifest: expected system identifier");
  }

  @Test
  void decodesEncodedPaths() {
    String hex = ManifestChecksum.hex("base/1/n\u00e4me".getBytes(StandardCharsets.UTF_8));
    byte[] m =
        ManifestFixture.manifest(
            1, null, List.of("{ \"Encoded-Path\": \"" + hex + "\", \"Size\": 0 }"), List.of());
    FileEntry e = ManifestParser.parse(m).files().get(0);
    assertThat(e.path()).isEqualTo("base/1/n\u00e4me");
    assertThat(e.encodedPath()).isTrue();
    assertThat(e.algorithm()).isEqualTo(ChecksumAlgorithm.NONE);
    assertThat(e.checksum()).isEmpty();

    assertFails(
        ManifestFixture.manifest(
            1, null, List.of("{ \"Encoded-Path\": \"abc\", \"Size\": 0 }"), List.of()),
        "could not parse backup manifest: could not decode file name");
    assertFails(
        ManifestFixture.manifest(
            1,
            null,
            List.of("{ \"Path\": \"a\", \"Encoded-Path\": \"61\", \"Size\": 0 }"),
            List.of()),
        "could not parse backup manifest: both path name and encoded path name");
  }

  static Stream<Arguments> badContent() {
    return Stream.of(
        Arguments.of(
            "\"Size\": 225, ",
            "\"Size\": 225, \"Foo\": 1, ",
            "could not parse backup manifest: unexpected file field"),
        Arguments.of(
            "\"Files\": [",
            "\"Foo\": 1,\n\"Files\": [",
            "could not parse backup manifest: unrecognized top-level field"),
        Arguments.of(
            "\"Timeline\": 1,",
            "\"Timeline\": 1, \"Foo\": 2,",
            "could not parse backup manifest: unexpected WAL range field"),
        Arguments.of(
            "\"PostgreSQL-Backup-Manifest-Version\": 1",
            "\"PostgreSQL-Backup-Manifest-Version\": 3",
            "could not parse backup manifest: unexpected manifest version"),
        Arguments.of(
            "{ \"PostgreSQL-Backup-Manifest-Version\": 1,",
            "{ \"Foo\": 1, \"PostgreSQL-Backup-Manifest-Version\": 1,",
            "could not parse backup manifest: expected version indicator"),
        Arguments.of(
            "\"Files\": [",
            "\"System-Identifier\": 7,\n\"Files\": [",
            "could not parse backup manifest: unrecognized top-level field"),
        Arguments.of(
            "\"Path\": \"backup_label\"",
            "\"Path\": \"PG_VERSION\"",
            "duplicate path name in backup manifest: \"PG_VERSION\""),
        Arguments.of(
            "\"Size\": 225, ",
            "\"Size\": \"22x\", ",
            "could not parse backup manifest: file size is not an integer"),
        Arguments.of(
            "\"Size\": 225, ",
            "\"Size\": [], ",
            "could not parse backup manifest: unexpected array start"),
        Arguments.of(
            "\"Size\": 225, ",
            "\"Size\": {}, ",
            "could not parse backup manifest: unexpected object start"),
        Arguments.of(
            "\"Path\": \"backup_label\", \"Size\": 225, ",
            "\"Path\": \"backup_label\", ",
            "could not parse backup manifest: missing size"),
        Arguments.of(
            "\"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"64b7bead\"",
            "\"Checksum\": \"64b7bead\"",
            "could not parse backup manifest: checksum without algorithm"),
        Arguments.of(
            "\"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"64b7bead\"",
            "\"Checksum-Algorithm\": \"MD5\", \"Checksum\": \"64b7bead\"",
            "unrecognized checksum algorithm: \"MD5\""),
        Arguments.of(
            "\"Checksum\": \"64b7bead\"",
            "\"Checksum\": \"64b7bexd\"",
            "invalid checksum for file \"backup_label\": \"64b7bexd\""),
        Arguments.of(
            "\"Timeline\": 1",
            "\"Timeline\": \"one\"",
            "could not parse backup manifest: timeline is not an integer"),
        Arguments.of(
            "\"Start-LSN\": \"0/2000028\"",
            "\"Start-LSN\": \"02000028\"",
            "could not parse backup manifest: could not parse start LSN"),
        Arguments.of(
            "\"End-LSN\": \"0/2000100\"",
            "\"End-LSN\": \"x/2000100\"",
            "could not parse backup manifest: could not parse end LSN"),
        Arguments.of(
            ", \"End-LSN\": \"0/2000100\"",
            "",
            "could not parse backup manifest: missing end LSN"));
  }

  @ParameterizedTest(name = "{2}")
  @MethodSource("badContent")
  void rejectsBadContentWithPgVerifybackupsMessage(String from, String to, String message) {
    assertFails(mutated(from, to), message);
  }

  @Test
  void checksChecksumOnlyAfterTheContent() {
    // A body change without a new checksum.
    String edited = GOLDEN.replace("\"Size\": 3,", "\"Size\": 4,");
    assertFails(edited.getBytes(StandardCharsets.UTF_8), "manifest checksum mismatch");
    // A wrong checksum.
    String wrong = GOLDEN.replace("\"dac11e2b", "\"eac11e2b");
    assertFails(wrong.getBytes(StandardCharsets.UTF_8), "manifest checksum mismatch");
    // Upper-case hex is fine, as PostgreSQL's hex decoder accepts it.
    String upper =
        GOLDEN.replace(
            "dac11e2b96a11f6493dbbd17ce533c8d8cc4da4cd5b5820c5f026b9fa44cc93f",
            "DAC11E2B96A11F6493DBBD17CE533C8D8CC4DA4CD5B5820C5F026B9FA44CC93F");
    assertThat(ManifestParser.parse(upper.getBytes(StandardCharsets.UTF_8)).files()).hasSize(3);
  }

  @Test
  void reportsAMissingOrInvalidManifestChecksum() {
    String body = goldenBody();
    assertFails(
        (body + "\"Manifest-Checksum\": null}\n").getBytes(StandardCharsets.UTF_8),
        "manifest has no checksum");
    assertFails(
        (body + "\"Manifest-Checksum\": \"abc\"}\n").getBytes(StandardCharsets.UTF_8),
        "invalid manifest checksum: \"abc\"");
    // Without the checksum key the object ends where the parser still expects fields, which is
    // what PostgreSQL reports too.
    String noKey = body.substring(0, body.length() - 2) + "}\n";
    assertFails(
        noKey.getBytes(StandardCharsets.UTF_8),
        "could not parse backup manifest: unexpected object end");
  }

  @Test
  void reportsLayoutAndSyntaxProblems() {
    assertFails(
        GOLDEN.substring(0, GOLDEN.length() - 1).getBytes(StandardCharsets.UTF_8),
        "could not parse backup manifest: last line not newline-terminated");
    assertFails(
        GOLDEN.replace("\n", " ").getBytes(StandardCharsets.UTF_8),
        "could not parse backup manifest: expected at least 2 lines");
    assertFails(
        GOLDEN.substring(0, 300).getBytes(StandardCharsets.UTF_8),
        "could not parse backup manifest: The input string ended unexpectedly.");
    assertFails(
        (GOLDEN + "{}\n").getBytes(StandardCharsets.UTF_8),
        "could not parse backup manifest: unexpected object start");
    assertFails(
        "[]\n\n".getBytes(StandardCharsets.UTF_8),
        "could not parse backup manifest: unexpected array start");
    assertThatThrownBy(
            () -> ManifestParser.parse("{ \"a\" : tru }\n\n".getBytes(StandardCharsets.UTF_8)))
        .hasMessageStartingWith("could not parse backup manifest: ");
  }

  /**
   * A trailing comma in a file entry is refused however the bytes arrive: jackson-core's
   * non-blocking parser accepted it when a chunk ended right after the comma (found by
   * ManifestParserFuzzTest; chunk sizes 1 and 11 accepted it before TrailingCommaGuard).
   */
  @Test
  void trailingCommaInAnObjectIsRefusedWhateverTheChunking() {
    byte[] manifest =
        ManifestParserFuzzTest.withChecksum(
            ("{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n"
                    + "\"System-Identifier\": 7441234567890123456,\n"
                    + "\"Files\": [\n{ \"Path\": \"a\", \"Size\": 1, }\n],\n"
                    + "\"WAL-Ranges\": [\n],\n")
                .getBytes(StandardCharsets.US_ASCII));
    String expected =
        "could not parse backup manifest: Unexpected character ('}' (code 125)): "
            + "was expecting double-quote to start field name";
    for (int chunk = 1; chunk <= manifest.length; chunk++) {
      ManifestParser p = ManifestParser.streaming(f -> {}, Long.MAX_VALUE);
      int size = chunk;
      assertThatThrownBy(
              () -> {
                for (int off = 0; off < manifest.length; off += size) {
                  p.feed(ByteBuffer.wrap(manifest, off, Math.min(size, manifest.length - off)));
                }
                p.finish();
              })
          .as("chunks of %d bytes", chunk)
          .isInstanceOf(PgException.class)
          .hasMessage(expected);
    }
  }

  /** A brace after a comma in an array is Jackson's own refusal, not the object message. */
  @Test
  void braceAfterACommaInAnArrayKeepsJacksonsMessage() {
    byte[] manifest =
        ManifestParserFuzzTest.withChecksum(
            ("{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n"
                    + "\"System-Identifier\": 7441234567890123456,\n"
                    + "\"Files\": [\n{ \"Path\": \"a\", \"Size\": 1 }, }\n")
                .getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> ManifestParser.parse(manifest))
        .isInstanceOf(PgException.class)
        .hasMessageStartingWith("could not parse backup manifest: Unexpected character ('}'")
        .hasMessageNotContaining("field name");
  }
}
