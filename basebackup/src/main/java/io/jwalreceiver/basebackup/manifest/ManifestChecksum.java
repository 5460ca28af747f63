// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * A running checksum of one file, computed the way the server computes the {@code Checksum} of a
 * {@code backup_manifest} entry, plus the hex helpers both sides of the comparison use.
 *
 * <p>CRC-32C: PostgreSQL keeps the finalised value in a {@code uint32} and hex-dumps its bytes
 * <em>in memory order</em>, so on a little-endian server the manifest holds the value's bytes
 * least-significant first: {@code "15\n"} has the CRC-32C {@code 0x2247748a} and the manifest says
 * {@code 8a744722}. {@link #finish()} returns the same little-endian bytes. (A big-endian server
 * would write the other order; pg_verifybackup on such a machine would agree with it, we would not.
 * Such servers are not supported.) SHA digests are the plain digest bytes.
 *
 * <p>Not thread-safe: one instance per file being read.
 */
public final class ManifestChecksum {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final ChecksumAlgorithm algorithm;
  private final @Nullable CRC32C crc;
  private final @Nullable MessageDigest digest;

  private ManifestChecksum(ChecksumAlgorithm algorithm) {
    this.algorithm = algorithm;
    if (algorithm == ChecksumAlgorithm.CRC32C) {
      this.crc = new CRC32C();
      this.digest = null;
    } else if (algorithm.jcaName() != null) {
      this.crc = null;
      this.digest = messageDigest(algorithm.jcaName());
    } else {
      this.crc = null;
      this.digest = null;
    }
  }

  /**
   * A fresh checksum.
   *
   * @param algorithm any algorithm; {@link ChecksumAlgorithm#NONE} yields an empty digest
   */
  public static ManifestChecksum create(ChecksumAlgorithm algorithm) {
    return new ManifestChecksum(Objects.requireNonNull(algorithm, "algorithm"));
  }

  /** The algorithm this instance computes. */
  public ChecksumAlgorithm algorithm() {
    return algorithm;
  }

  /** Adds {@code buffer[offset, offset + length)}. */
  public void update(byte[] buffer, int offset, int length) {
    if (crc != null) {
      crc.update(buffer, offset, length);
    } else if (digest != null) {
      digest.update(buffer, offset, length);
    }
  }

  /** Adds the remaining bytes of {@code data} (heap or direct), consuming them. */
  public void update(ByteBuffer data) {
    if (crc != null) {
      crc.update(data);
    } else if (digest != null) {
      digest.update(data);
    } else {
      data.position(data.limit());
    }
  }

  /**
   * Finishes the computation and resets the instance.
   *
   * @return {@link ChecksumAlgorithm#digestLength()} bytes, in the order the manifest's hex shows
   */
  public byte[] finish() {
    if (crc != null) {
      int v = (int) crc.getValue();
      crc.reset();
      return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }
    if (digest != null) {
      return digest.digest();
    }
    return new byte[0];
  }

  /** {@link #finish()} as lower-case hex, the form of the manifest's {@code Checksum}. */
  public String finishHex() {
    return hex(finish());
  }

  /** SHA-256 of {@code data[offset, offset + length)}, as used for {@code Manifest-Checksum}. */
  public static byte[] sha256(byte[] data, int offset, int length) {
    MessageDigest md = messageDigest("SHA-256");
    md.update(data, offset, length);
    return md.digest();
  }

  /** Lower-case hex of {@code bytes}. */
  public static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }

  /**
   * Decodes hex digits of either case, two per byte.
   *
   * @return the bytes, or null when the length is odd or a character is not a hex digit
   */
  public static byte @Nullable [] unhex(String text) {
    if (text.length() % 2 != 0) {
      return null;
    }
    byte[] out = new byte[text.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = Character.digit(text.charAt(2 * i), 16);
      int lo = Character.digit(text.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0 || text.charAt(2 * i) > 'f' || text.charAt(2 * i + 1) > 'f') {
        return null;
      }
      out[i] = (byte) (hi << 4 | lo);
    }
    return out;
  }

  private static MessageDigest messageDigest(String name) {
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(name + " is required of every Java platform", e);
    }
  }
}
