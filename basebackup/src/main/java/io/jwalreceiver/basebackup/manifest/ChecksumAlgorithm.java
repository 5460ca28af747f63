// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The per-file checksum algorithms a {@code backup_manifest} can name in {@code Checksum-Algorithm}
 * (protocol-notes §7.1), with the length of the digest each produces.
 */
public enum ChecksumAlgorithm {
  /**
   * No checksum: the manifest entry has neither {@code Checksum-Algorithm} nor {@code Checksum}.
   */
  NONE(0, null),
  /** CRC-32C, hex-dumped by the server in its native (little-endian on x86/ARM) byte order. */
  CRC32C(4, null),
  /** SHA-224. */
  SHA224(28, "SHA-224"),
  /** SHA-256. */
  SHA256(32, "SHA-256"),
  /** SHA-384. */
  SHA384(48, "SHA-384"),
  /** SHA-512. */
  SHA512(64, "SHA-512");

  private final int digestLength;
  private final @Nullable String jcaName;

  ChecksumAlgorithm(int digestLength, @Nullable String jcaName) {
    this.digestLength = digestLength;
    this.jcaName = jcaName;
  }

  /** The number of bytes of the digest (0 for {@link #NONE}). */
  public int digestLength() {
    return digestLength;
  }

  /** The JCA {@code MessageDigest} name, or null for NONE and CRC32C. */
  @Nullable String jcaName() {
    return jcaName;
  }

  /**
   * The algorithm a manifest or a {@code --manifest-checksums} value names, matched
   * case-insensitively as PostgreSQL's {@code pg_checksum_parse_type} does.
   *
   * @param name e.g. {@code CRC32C} or {@code sha256}
   * @return the algorithm, or empty when the name is not one of the six
   */
  public static Optional<ChecksumAlgorithm> parse(String name) {
    if (name == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
