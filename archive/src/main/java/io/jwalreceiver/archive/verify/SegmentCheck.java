// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.compress.SegmentDecoder;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Reads one segment object through and checks it: it decompresses, to exactly the segment size (a
 * {@code .partial} to at most that), it starts with a long page header for its own timeline and
 * address, and its bytes have the SHA-256 the store recorded, when it recorded one. Streams: a
 * buffer, never the whole object.
 */
final class SegmentCheck {

  /** {@code XLP_LONG_HEADER} in {@code xlp_info}. */
  private static final int XLP_LONG_HEADER = 0x0002;

  /** Bytes of the long header up to and including {@code xlp_xlog_blcksz}. */
  static final int LONG_HEADER_SIZE = 40;

  /** The high byte every server's {@code XLOG_PAGE_MAGIC} has had (0xD106 in 13 … 0xD118). */
  private static final int MAGIC_HIGH = 0xD100;

  private static final int CHUNK = 64 * 1024;

  private SegmentCheck() {}

  /**
   * What reading a segment found.
   *
   * @param problems what is wrong, as messages about the object (empty when it is sound)
   * @param systemId the {@code xlp_sysid} of a valid header, or 0
   */
  record Outcome(List<String> problems, long systemId) {}

  /**
   * Reads and checks a segment object.
   *
   * @param raw the object's bytes as stored; closed here
   * @param file the file's parsed name
   * @param size the segment size
   * @param sha256 the SHA-256 the store recorded (lowercase hex), or null
   * @param pageTimeline the timeline the first page header must name, or null for any up to the
   *     file's (see {@link #headerProblem})
   */
  static Outcome check(
      InputStream raw,
      WalFile file,
      WalSegmentSize size,
      @Nullable String sha256,
      @Nullable TimelineId pageTimeline) {
    List<String> problems = new ArrayList<>();
    MessageDigest digest = sha256();
    byte[] header = new byte[LONG_HEADER_SIZE];
    int headerBytes = 0;
    long total = 0;
    try (DigestInputStream digested = new DigestInputStream(raw, digest);
        InputStream in =
            SegmentDecoder.open(
                new BufferedInputStream(digested, CHUNK), file.parsed().compression())) {
      headerBytes = in.readNBytes(header, 0, LONG_HEADER_SIZE);
      total = headerBytes;
      byte[] buffer = new byte[CHUNK];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        total += n;
      }
      // The digest covers every stored byte, also any after the end of the compressed stream.
      while (digested.read(buffer) >= 0) {
        // drain
      }
    } catch (IOException | RuntimeException e) {
      problems.add(
          "cannot be read"
              + (file.parsed().compressed() ? " or decompressed" : "")
              + ": "
              + e.getMessage());
      return new Outcome(problems, 0);
    }
    String what = file.parsed().compressed() ? "decompresses to " : "has ";
    if (file.partial() ? total > size.bytes() : total != size.bytes()) {
      problems.add(
          what
              + total
              + " bytes, not "
              + (file.partial() ? "at most " : "")
              + "the segment size "
              + size.bytes());
    }
    long systemId = 0;
    boolean blank = file.partial() && isZero(header, headerBytes);
    if (!blank) {
      Optional<String> bad = headerProblem(header, headerBytes, file.segment(), size, pageTimeline);
      if (bad.isPresent()) {
        problems.add(bad.get());
      } else {
        systemId = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getLong(24);
      }
    }
    if (sha256 != null) {
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equalsIgnoreCase(sha256)) {
        problems.add("SHA-256 " + actual + " differs from the one recorded at upload, " + sha256);
      }
    }
    return new Outcome(problems, systemId);
  }

  /**
   * What is wrong with a segment's long page header, or empty.
   *
   * @param header the first bytes of the uncompressed segment
   * @param length how many there are
   * @param pageTimeline the timeline the header must name, or null for any up to the segment's: the
   *     first segment of a timeline begins with its parent's WAL up to the switch point, which the
   *     server copied with its page headers, so its header names the parent (the timeline the
   *     history file puts the segment's start on)
   */
  static Optional<String> headerProblem(
      byte[] header,
      int length,
      SegmentName segment,
      WalSegmentSize size,
      @Nullable TimelineId pageTimeline) {
    if (length < LONG_HEADER_SIZE) {
      return Optional.of("too short for a WAL page header (" + length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder());
    int magic = Short.toUnsignedInt(b.getShort(0));
    int info = Short.toUnsignedInt(b.getShort(2));
    long tli = Integer.toUnsignedLong(b.getInt(4));
    long pageAddress = b.getLong(8);
    int segmentSize = b.getInt(32);
    if ((magic & 0xFF00) != MAGIC_HIGH) {
      return Optional.of(
          String.format(
              "page header: magic 0x%04X is not a WAL page's (not WAL, or corrupt)", magic));
    }
    if ((info & XLP_LONG_HEADER) == 0) {
      return Optional.of("page header: the first page has no long header");
    }
    if (pageTimeline != null
        ? tli != pageTimeline.asLong()
        : tli < 1 || tli > segment.timeline().asLong()) {
      return Optional.of(
          "page header names timeline "
              + tli
              + ", not "
              + (pageTimeline != null
                  ? pageTimeline + " (the timeline of the segment's start)"
                  : "timeline " + segment.timeline() + " or an older one"));
    }
    if (pageAddress != segment.startLsn().value()) {
      return Optional.of(
          "page header address "
              + Lsn.of(pageAddress)
              + " is not the segment's start "
              + segment.startLsn());
    }
    if (segmentSize != size.bytes()) {
      return Optional.of(
          "page header states segment size " + segmentSize + ", the archive's is " + size.bytes());
    }
    return Optional.empty();
  }

  /**
   * The segment size a segment's long page header states, if it has a valid one.
   *
   * @param raw the object's bytes as stored; closed here
   * @param compression the file's compression
   */
  static Optional<WalSegmentSize> segmentSize(InputStream raw, String compression) {
    byte[] header = new byte[LONG_HEADER_SIZE];
    try (InputStream in =
        SegmentDecoder.open(new BufferedInputStream(raw, LONG_HEADER_SIZE * 4), compression)) {
      if (in.readNBytes(header, 0, LONG_HEADER_SIZE) < LONG_HEADER_SIZE) {
        return Optional.empty();
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder());
    if ((Short.toUnsignedInt(b.getShort(0)) & 0xFF00) != MAGIC_HIGH
        || (Short.toUnsignedInt(b.getShort(2)) & XLP_LONG_HEADER) == 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(new WalSegmentSize(b.getInt(32)));
    } catch (RuntimeException e) {
      // Not a valid size (PgException): not a usable header.
      return Optional.empty();
    }
  }

  private static boolean isZero(byte[] bytes, int length) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
