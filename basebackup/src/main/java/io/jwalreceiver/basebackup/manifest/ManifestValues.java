// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.basebackup.manifest.BackupManifest.FileEntry;
import io.jwalreceiver.basebackup.manifest.BackupManifest.WalRange;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The values of a manifest's entries, from the texts {@link ManifestParser} collected for their
 * fields to checked records, with {@code parse_manifest.c}'s rules and messages.
 */
final class ManifestValues {

  private ManifestValues() {}

  /**
   * A {@code Files} entry from its fields' texts, checked as {@code parse_manifest.c} checks it.
   *
   * @throws io.jwalreceiver.PgException XX001 with pg_verifybackup's message
   */
  static FileEntry file(
      @Nullable String path,
      @Nullable String encodedPath,
      @Nullable String size,
      @Nullable String lastModified,
      @Nullable String algorithm,
      @Nullable String checksum) {
    if (path == null && encodedPath == null) {
      throw ManifestErrors.parseFailure("missing path name");
    }
    if (path != null && encodedPath != null) {
      throw ManifestErrors.parseFailure("both path name and encoded path name");
    }
    if (size == null) {
      throw ManifestErrors.parseFailure("missing size");
    }
    if (algorithm == null && checksum != null) {
      throw ManifestErrors.parseFailure("checksum without algorithm");
    }
    String name;
    if (encodedPath == null) {
      name = Objects.requireNonNull(path);
    } else {
      byte[] raw = ManifestChecksum.unhex(encodedPath);
      if (raw == null) {
        throw ManifestErrors.parseFailure("could not decode file name");
      }
      name = new String(raw, StandardCharsets.UTF_8);
    }
    if (!isDigits(size, 19)) {
      throw ManifestErrors.parseFailure("file size is not an integer");
    }
    long bytes = Long.parseLong(size);
    ChecksumAlgorithm type = ChecksumAlgorithm.NONE;
    if (algorithm != null) {
      type =
          ChecksumAlgorithm.parse(algorithm)
              .orElseThrow(
                  () ->
                      ManifestErrors.corrupted(
                          "unrecognized checksum algorithm: \"" + algorithm + "\""));
    }
    String hex = "";
    if (checksum != null && !checksum.isEmpty()) {
      if (ManifestChecksum.unhex(checksum) == null) {
        throw ManifestErrors.corrupted(
            "invalid checksum for file \"" + name + "\": \"" + checksum + "\"");
      }
      hex = checksum.toLowerCase(java.util.Locale.ROOT);
    }
    return new FileEntry(name, encodedPath != null, bytes, lastModified, type, hex);
  }

  /**
   * A {@code WAL-Ranges} entry from its fields' texts.
   *
   * @throws io.jwalreceiver.PgException XX001 with pg_verifybackup's message
   */
  static WalRange walRange(
      @Nullable String timeline, @Nullable String startLsn, @Nullable String endLsn) {
    if (timeline == null) {
      throw ManifestErrors.parseFailure("missing timeline");
    }
    if (startLsn == null) {
      throw ManifestErrors.parseFailure("missing start LSN");
    }
    if (endLsn == null) {
      throw ManifestErrors.parseFailure("missing end LSN");
    }
    TimelineId tli;
    try {
      if (!isDigits(timeline, 10)) {
        throw ManifestErrors.parseFailure("timeline is not an integer");
      }
      tli = TimelineId.of(Long.parseLong(timeline));
    } catch (PgException e) {
      throw ManifestErrors.parseFailure("timeline is not an integer");
    }
    Lsn start = parseLsn(startLsn, "could not parse start LSN");
    Lsn end = parseLsn(endLsn, "could not parse end LSN");
    return new WalRange(tli, start, end);
  }

  private static Lsn parseLsn(String text, String failure) {
    try {
      return Lsn.parse(text);
    } catch (PgException e) {
      throw ManifestErrors.parseFailure(failure);
    }
  }

  /** Up to {@code maxLength} decimal digits, at most {@link Long#MAX_VALUE}. */
  private static boolean isDigits(String s, int maxLength) {
    return isDecimalAtMost(s, maxLength, "9223372036854775807");
  }

  static boolean isUnsigned64(String s) {
    return isDecimalAtMost(s, 20, "18446744073709551615");
  }

  /**
   * Whether {@code s} is 1 to {@code maxLength} decimal digits whose value, when it is as long as
   * {@code max}, is not above it.
   */
  private static boolean isDecimalAtMost(String s, int maxLength, String max) {
    if (s.isEmpty() || s.length() > maxLength) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return s.length() < max.length() || s.compareTo(max) <= 0;
  }
}
