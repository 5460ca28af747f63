// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.manifest.BackupManifest.FileEntry;
import io.jwalreceiver.testkit.GoldenFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for the backup manifest parser (see docs/fuzzing.md).
 *
 * <p>The first input byte chooses a chunk size; the rest is a manifest without its last line, to
 * which the target appends the correct {@code Manifest-Checksum} line, so that the fuzzer reaches
 * the checks behind the checksum instead of failing on it. What must hold: the only refusal is a
 * {@link PgException} XX001 (pg_verifybackup's messages); and the whole-buffer parse and the
 * streaming parse fed in chunks of that size (as the bytes arrive in a backup) agree: the same
 * manifest and the same file entries, or both a refusal. The two refusals' texts may differ where
 * Jackson words one error two ways (a byte 0xff between tokens is "code 65535" in one buffer and
 * "code 255" across chunks); what is accepted may not.
 */
class ManifestParserFuzzTest {

  @FuzzTest
  void parse(byte[] data) {
    if (data.length == 0) {
      return;
    }
    int chunk = 1 + (data[0] & 0xff);
    byte[] manifest = withChecksum(Arrays.copyOfRange(data, 1, data.length));

    Object whole = outcome(() -> ManifestParser.parse(manifest));
    List<FileEntry> streamed = new ArrayList<>();
    Object chunked =
        outcome(
            () -> {
              ManifestParser p = ManifestParser.streaming(streamed::add, Long.MAX_VALUE);
              for (int off = 0; off < manifest.length; off += chunk) {
                p.feed(ByteBuffer.wrap(manifest, off, Math.min(chunk, manifest.length - off)));
              }
              return p.finish();
            });

    if (whole instanceof BackupManifest m) {
      assertThat(chunked).isInstanceOf(BackupManifest.class);
      BackupManifest s = (BackupManifest) chunked;
      assertThat(streamed).isEqualTo(m.files());
      assertThat(s.version()).isEqualTo(m.version());
      assertThat(s.systemIdentifier()).isEqualTo(m.systemIdentifier());
      assertThat(s.walRanges()).isEqualTo(m.walRanges());
      assertThat(s.manifestChecksum()).isEqualTo(m.manifestChecksum());
    } else {
      assertThat(chunked).as("refused whole with %s", whole).isInstanceOf(String.class);
    }
  }

  /** The checksum line the target appends is the one PostgreSQL wrote (golden manifest, 15). */
  @Test
  void appendedChecksumLineIsPostgresqls() throws IOException {
    byte[] golden = GoldenFiles.load("manifest/backup_manifest");
    String text = new String(golden, StandardCharsets.US_ASCII);
    byte[] body = Arrays.copyOf(golden, text.lastIndexOf("\"Manifest-Checksum\""));
    assertThat(withChecksum(body)).isEqualTo(golden);
    assertThat(ManifestParser.parse(withChecksum(body)).files()).isNotEmpty();
  }

  /** The manifest, or the message of its refusal; any other exception fails the target. */
  private static Object outcome(Supplier<BackupManifest> parse) {
    try {
      return parse.get();
    } catch (PgException e) {
      assertThat(e.sqlState()).isEqualTo(SqlState.DATA_CORRUPTED);
      return e.getMessage();
    }
  }

  /** {@code body} followed by a last line holding its SHA-256, as PostgreSQL writes it. */
  static byte[] withChecksum(byte[] body) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256").digest(body);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] last =
        ("\"Manifest-Checksum\": \"" + HexFormat.of().formatHex(digest) + "\"}\n")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(body, body.length + last.length);
    System.arraycopy(last, 0, out, body.length, last.length);
    return out;
  }
}
