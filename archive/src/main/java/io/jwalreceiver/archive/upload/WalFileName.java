// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A WAL file name as receivewal writes it into its spool directory: a timeline history file ({@code
 * 00000002.history}), a completed segment ({@code 000000010000000000000005}, optionally {@code
 * .gz}, {@code .lz4} or {@code .zst}) or a {@code .partial} segment. Anything else (the {@code
 * .tmp} of a history file being written, the spare-file directory, foreign files) is no WAL file
 * and is never uploaded.
 *
 * <p>The segment size is not needed: the last 16 hex digits of a segment name, read as one unsigned
 * number ({@link #position}), order the segments of a timeline as their numbers do, for every
 * segment size.
 *
 * @param fileName the file name
 * @param kind what the file is
 * @param timeline the timeline (from the first 8 hex digits)
 * @param position the log id and segment parts of a segment name as one unsigned number; 0 for a
 *     history file
 */
public record WalFileName(String fileName, Kind kind, long timeline, long position) {

  /** What a WAL file is. */
  public enum Kind {
    /** {@code NNNNNNNN.history}. */
    HISTORY,
    /** A completed segment, renamed to its final name after it was forced. */
    SEGMENT,
    /** {@code ….partial}: a segment being written, or the last one of a timeline that ended. */
    PARTIAL
  }

  private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");
  private static final Pattern SEGMENT =
      Pattern.compile("[0-9A-F]{24}(?:\\.gz|\\.lz4|\\.zst)?(\\.partial)?");

  /**
   * The order of uploads: by timeline; within a timeline the history file first, then segments by
   * position, a completed one before a {@code .partial} of the same position; then by name.
   */
  public static final Comparator<WalFileName> UPLOAD_ORDER =
      Comparator.comparingLong(WalFileName::timeline)
          .thenComparing((WalFileName f) -> f.isSegmentFile())
          .thenComparing(WalFileName::position, Long::compareUnsigned)
          .thenComparing(WalFileName::kind)
          .thenComparing(WalFileName::fileName);

  /**
   * The order of receivewal's resume scan, best last: higher position, then higher timeline, then a
   * completed segment over a {@code .partial}. Only for segment files.
   */
  public static final Comparator<WalFileName> RESUME_ORDER =
      Comparator.comparing(WalFileName::position, Long::compareUnsigned)
          .thenComparingLong(WalFileName::timeline)
          .thenComparing((WalFileName f) -> f.kind() == Kind.SEGMENT);

  /**
   * Recognises a WAL file name.
   *
   * @return the WAL file, or empty for any other name
   */
  public static Optional<WalFileName> parse(String fileName) {
    if (HISTORY.matcher(fileName).matches()) {
      long timeline = Long.parseLong(fileName.substring(0, 8), 16);
      return timeline == 0
          ? Optional.empty()
          : Optional.of(new WalFileName(fileName, Kind.HISTORY, timeline, 0));
    }
    Matcher segment = SEGMENT.matcher(fileName);
    if (!segment.matches()) {
      return Optional.empty();
    }
    long timeline = Long.parseLong(fileName.substring(0, 8), 16);
    if (timeline == 0) {
      return Optional.empty();
    }
    long position = Long.parseUnsignedLong(fileName.substring(8, 24), 16);
    Kind kind = segment.group(1) == null ? Kind.SEGMENT : Kind.PARTIAL;
    return Optional.of(new WalFileName(fileName, kind, timeline, position));
  }

  /** Whether this is a segment file, completed or partial. */
  public boolean isSegmentFile() {
    return kind != Kind.HISTORY;
  }

  @Override
  public String toString() {
    return fileName;
  }
}
