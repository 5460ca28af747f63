// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jspecify.annotations.Nullable;

/**
 * The {@code Manifest-Checksum} of a manifest fed in pieces: SHA-256 over everything up to and
 * including the second-to-last newline. The digest is copied at every newline, so no line (however
 * long) needs to be kept.
 */
final class ManifestLineDigest {

  private final MessageDigest running = sha256();
  private @Nullable MessageDigest atLastNewline;
  private @Nullable MessageDigest atPenultimateNewline;
  private long newlines;
  private boolean endsInNewline;

  /** Advances the line digests over {@code data} (not empty), which is left as it was. */
  void update(ByteBuffer data) {
    int from = data.position();
    int end = data.limit();
    for (int i = from; i < end; i++) {
      if (data.get(i) == '\n') {
        running.update(data.duplicate().position(from).limit(i + 1));
        from = i + 1;
        newlines++;
        atPenultimateNewline = atLastNewline;
        atLastNewline = copy(running);
      }
    }
    if (from < end) {
      running.update(data.duplicate().position(from).limit(end));
    }
    endsInNewline = data.get(end - 1) == '\n';
  }

  /**
   * Checks {@code Manifest-Checksum}: the SHA-256 of everything up to and including the
   * second-to-last newline, which must be the one ending the line before the checksum line.
   *
   * @param manifestChecksum the manifest's {@code Manifest-Checksum}, or null when it has none
   * @return the checksum, present and matching
   * @throws io.jwalreceiver.PgException XX001 as pg_verifybackup words each failure
   */
  String verify(@Nullable String manifestChecksum) {
    MessageDigest penultimate = atPenultimateNewline;
    if (newlines < 2 || penultimate == null) {
      throw ManifestErrors.parseFailure("expected at least 2 lines");
    }
    if (!endsInNewline) {
      throw ManifestErrors.parseFailure("last line not newline-terminated");
    }
    byte[] actual = penultimate.digest();
    if (manifestChecksum == null) {
      throw ManifestErrors.corrupted("manifest has no checksum");
    }
    byte[] expected = ManifestChecksum.unhex(manifestChecksum);
    if (expected == null || expected.length != actual.length) {
      throw ManifestErrors.corrupted("invalid manifest checksum: \"" + manifestChecksum + "\"");
    }
    if (!MessageDigest.isEqual(actual, expected)) {
      throw ManifestErrors.corrupted("manifest checksum mismatch");
    }
    return manifestChecksum;
  }

  private static MessageDigest copy(MessageDigest d) {
    try {
      return (MessageDigest) d.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digest cannot be copied", e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
