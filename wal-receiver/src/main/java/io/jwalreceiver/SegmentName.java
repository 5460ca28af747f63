// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One WAL segment file of one timeline, and its 24-digit file name (protocol-notes §3).
 *
 * <pre>
 *   000000010000000000000005
 *   ├──────┘├──────┘├──────┘
 *   timeline│       segment number mod segmentsPerXLogId
 *           segment number / segmentsPerXLogId  ("log id")
 * </pre>
 *
 * Each part is 8 upper-case hex digits. The same file name means a different segment number for a
 * different segment size, so the size is part of the value.
 *
 * @param timeline the timeline the segment belongs to
 * @param segmentNumber the segment number, {@code startLsn / size}
 * @param size the server's segment size
 */
public record SegmentName(TimelineId timeline, long segmentNumber, WalSegmentSize size) {

  /** Length of a segment file name: three 8-digit hex numbers. */
  private static final int NAME_LENGTH = 24;

  private static final String PARTIAL_SUFFIX = ".partial";

  /**
   * Validates the segment number against the size.
   *
   * @param timeline the timeline the segment belongs to
   * @param segmentNumber the segment number
   * @param size the server's segment size
   * @throws IllegalArgumentException when the segment number is negative or past the end of the
   *     64-bit WAL address space for this size
   */
  public SegmentName {
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(size, "size");
    if (segmentNumber < 0 || segmentNumber > size.maxSegmentNumber()) {
      throw new IllegalArgumentException(
          "segment number " + segmentNumber + " out of range for segment size " + size);
    }
  }

  /**
   * The segment of {@code timeline} that contains {@code lsn}.
   *
   * @param timeline the timeline
   * @param lsn any position inside the segment
   * @param size the server's segment size
   * @return the segment
   */
  public static SegmentName of(TimelineId timeline, Lsn lsn, WalSegmentSize size) {
    return new SegmentName(timeline, size.segmentNumber(lsn), size);
  }

  /**
   * Parses a plain segment file name.
   *
   * @param name exactly 24 upper-case hex digits, for example {@code 000000010000000000000005}
   * @param size the server's segment size, which gives the name's meaning
   * @return the segment
   * @throws PgException with SQLSTATE 22023 when {@code name} is not a segment file name, names
   *     timeline 0, or has a last part too large for {@code size}
   */
  public static SegmentName parse(String name, WalSegmentSize size) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(size, "size");
    SegmentName segment = parseOrNull(name, size);
    if (segment == null) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "invalid WAL segment file name for segment size " + size + ": \"" + name + "\"");
    }
    return segment;
  }

  /**
   * Whether {@code name} has the shape of a segment file name: exactly 24 upper-case hex digits, as
   * PostgreSQL's {@code IsXLogFileName} checks. Timeline and range are not checked.
   *
   * @param name a file name
   * @return true for names like {@code 000000010000000000000005}
   */
  public static boolean isSegmentFileName(String name) {
    return name.length() == NAME_LENGTH && isUpperHex(name, 0, NAME_LENGTH);
  }

  /**
   * Recognises the names {@code pg_receivewal} gives WAL segment files: the 24-digit name, then
   * optionally a compression extension ({@code .gz}, {@code .lz4} or {@code .zst}), then optionally
   * {@code .partial}. History files, backup history files, status files and anything else give an
   * empty result, as do names of timeline 0 and names whose last part is too large for {@code
   * size}.
   *
   * @param fileName a file name without directory
   * @param size the server's segment size
   * @return the segment, its compression and whether it is partial; empty when not recognised
   */
  public static Optional<ParsedWalFileName> parseArchiveName(String fileName, WalSegmentSize size) {
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(size, "size");
    if (fileName.length() < NAME_LENGTH) {
      return Optional.empty();
    }
    String rest = fileName.substring(NAME_LENGTH);
    boolean partial = rest.endsWith(PARTIAL_SUFFIX);
    if (partial) {
      rest = rest.substring(0, rest.length() - PARTIAL_SUFFIX.length());
    }
    String compression;
    switch (rest) {
      case "" -> compression = ParsedWalFileName.UNCOMPRESSED;
      case ".gz" -> compression = ParsedWalFileName.GZIP;
      case ".lz4" -> compression = ParsedWalFileName.LZ4;
      case ".zst" -> compression = ParsedWalFileName.ZSTD;
      default -> {
        return Optional.empty();
      }
    }
    SegmentName segment = parseOrNull(fileName.substring(0, NAME_LENGTH), size);
    if (segment == null) {
      return Optional.empty();
    }
    return Optional.of(new ParsedWalFileName(segment, compression, partial));
  }

  /** The segment for a 24-digit name, or null when the name is not valid for {@code size}. */
  private static @Nullable SegmentName parseOrNull(String name, WalSegmentSize size) {
    if (!isSegmentFileName(name)) {
      return null;
    }
    long tli = Long.parseLong(name.substring(0, 8), 16);
    long logId = Long.parseLong(name.substring(8, 16), 16);
    long segmentInLogId = Long.parseLong(name.substring(16, 24), 16);
    if (tli == 0 || segmentInLogId >= size.segmentsPerXLogId()) {
      return null;
    }
    return new SegmentName(
        TimelineId.of(tli), logId * size.segmentsPerXLogId() + segmentInLogId, size);
  }

  private static boolean isUpperHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The file name: {@code %08X%08X%08X} of timeline, {@code segmentNumber / segmentsPerXLogId} and
   * {@code segmentNumber % segmentsPerXLogId}.
   *
   * @return for example {@code 000000010000000000000005}
   */
  public String fileName() {
    long perId = size.segmentsPerXLogId();
    return String.format(
        Locale.ROOT,
        "%08X%08X%08X",
        timeline.value(),
        segmentNumber / perId,
        segmentNumber % perId);
  }

  /**
   * The position of the segment's first byte.
   *
   * @return {@code segmentNumber * size}
   */
  public Lsn startLsn() {
    return size.segmentStart(segmentNumber);
  }

  /**
   * The position just past the segment's last byte, which is the next segment's start; for the very
   * last segment of the address space this wraps to {@code 0/0}.
   *
   * @return {@code (segmentNumber + 1) * size}
   */
  public Lsn endLsn() {
    return Lsn.of(startLsn().value() + size.bytes());
  }

  /**
   * Whether {@code lsn} falls inside this segment (timelines are not compared).
   *
   * @param lsn a WAL position
   * @return true when {@code startLsn <= lsn < endLsn}
   */
  public boolean contains(Lsn lsn) {
    return size.segmentNumber(lsn) == segmentNumber;
  }

  /**
   * The following segment of the same timeline.
   *
   * @return the segment with number {@code segmentNumber + 1}
   * @throws IllegalArgumentException when this is the last segment of the address space
   */
  public SegmentName next() {
    return new SegmentName(timeline, segmentNumber + 1, size);
  }

  /**
   * The same segment number on another timeline, for example the first segment of a new timeline
   * after a switch.
   *
   * @param other the timeline
   * @return the segment of {@code other} with this segment number
   */
  public SegmentName onTimeline(TimelineId other) {
    return new SegmentName(other, segmentNumber, size);
  }

  /** The file name, see {@link #fileName()}. */
  @Override
  public String toString() {
    return fileName();
  }

  /**
   * A file name recognised by {@link #parseArchiveName(String, WalSegmentSize)}: which segment it
   * holds, how it is compressed and whether it is still being written.
   *
   * @param segment the segment
   * @param compression the compression extension without dot: {@code ""} (none), {@code gz}, {@code
   *     lz4} or {@code zst}
   * @param partial whether the name ends in {@code .partial}
   */
  public record ParsedWalFileName(SegmentName segment, String compression, boolean partial) {

    /** No compression: the file holds the raw segment. */
    public static final String UNCOMPRESSED = "";

    /** gzip, extension {@code .gz}. */
    public static final String GZIP = "gz";

    /** LZ4 frame format, extension {@code .lz4}. */
    public static final String LZ4 = "lz4";

    /** Zstandard, extension {@code .zst}. */
    public static final String ZSTD = "zst";

    /**
     * Validates the compression extension.
     *
     * @param segment the segment
     * @param compression {@code ""}, {@code gz}, {@code lz4} or {@code zst}
     * @param partial whether the name ends in {@code .partial}
     * @throws IllegalArgumentException when {@code compression} is not one of the four values
     */
    public ParsedWalFileName {
      Objects.requireNonNull(segment, "segment");
      Objects.requireNonNull(compression, "compression");
      if (!compression.equals(UNCOMPRESSED)
          && !compression.equals(GZIP)
          && !compression.equals(LZ4)
          && !compression.equals(ZSTD)) {
        throw new IllegalArgumentException("unknown WAL file compression: \"" + compression + "\"");
      }
    }

    /**
     * Whether the file is compressed.
     *
     * @return true unless {@link #compression()} is {@code ""}
     */
    public boolean compressed() {
      return !compression.isEmpty();
    }

    /**
     * The file name this was parsed from: segment name, compression extension, {@code .partial}.
     *
     * @return for example {@code 000000010000000000000005.gz.partial}
     */
    public String fileName() {
      return segment.fileName()
          + (compressed() ? "." + compression : "")
          + (partial ? PARTIAL_SUFFIX : "");
    }
  }
}
