// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of {@code TIMELINE_HISTORY tli}: a timeline's history file, verbatim and parsed
 * (protocol-notes §2.3).
 *
 * <pre>
 *   # comment lines and blank lines are allowed
 *   1    0/3000000    no recovery target specified
 *   2    0/5000158    at restore point "before_upgrade"
 *   │    │            └─ reason: free text, ignored by the server
 *   │    └─ switch point: where the parent timeline ends and its child begins
 *   └─ parent timeline (decimal), strictly increasing, below the file's own timeline
 * </pre>
 *
 * The server separates the fields with tabs ({@code "%u\t%X/%X\t%s\n"}); blanks are accepted too.
 * Each line names an ancestor of {@link #timeline()}, oldest first; the line's switch point is
 * where that ancestor ended. The last ancestor's child is {@link #timeline()} itself, which has not
 * ended. Timeline 1 has no history file.
 *
 * <p>{@link #content()} keeps the bytes exactly as the server sent them (the server performs no
 * encoding conversion), so that the file can be written unchanged. The array is copied on the way
 * in and on the way out, and {@code equals} compares contents.
 *
 * @param timeline the timeline whose history this is
 * @param fileName the file name the server reported; always {@code timeline.historyFileName()}
 * @param content the raw file bytes
 * @param entries the parsed lines, oldest ancestor first
 */
public record TimelineHistoryFile(
    TimelineId timeline, String fileName, byte[] content, List<Entry> entries) {

  /**
   * Validates the record: the file name must match the timeline, the entries must be exactly what
   * {@code content} says. Prefer {@link #parse(TimelineId, String, byte[])}.
   *
   * @param timeline the timeline whose history this is
   * @param fileName the file name, which must be {@code timeline.historyFileName()}
   * @param content the raw file bytes, copied
   * @param entries the entries, which must equal the parsed content
   * @throws PgException with SQLSTATE 08P01 when the file name or the content is invalid
   * @throws IllegalArgumentException when {@code entries} differ from the parsed content
   */
  public TimelineHistoryFile {
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(content, "content");
    if (!fileName.equals(timeline.historyFileName())) {
      // The same check and wording as pg_receivewal (receivelog.c).
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "server reported unexpected history file name for timeline "
              + timeline
              + ": "
              + fileName);
    }
    content = content.clone();
    entries = List.copyOf(entries);
    if (!entries.equals(parseEntries(timeline, fileName, content))) {
      throw new IllegalArgumentException("entries do not match the content of " + fileName);
    }
  }

  /**
   * Parses a history file as returned by {@code TIMELINE_HISTORY}.
   *
   * @param timeline the timeline that was asked for
   * @param fileName the {@code filename} column
   * @param content the {@code content} column, as raw bytes
   * @return the parsed history
   * @throws PgException with SQLSTATE 08P01 when the file name does not match the timeline, or a
   *     line is malformed or breaks the rules on timeline order
   */
  public static TimelineHistoryFile parse(TimelineId timeline, String fileName, byte[] content) {
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(content, "content");
    return new TimelineHistoryFile(
        timeline, fileName, content, parseEntries(timeline, fileName, content));
  }

  /**
   * Builds a history file from its entries, rendered the way the server writes them: one {@code
   * parent<TAB>X/X<TAB>reason} line per entry.
   *
   * @param timeline the timeline whose history this is
   * @param entries the ancestors, oldest first
   * @return the history file
   * @throws PgException with SQLSTATE 08P01 when the entries break the rules on timeline order
   * @throws IllegalArgumentException when a reason would not read back unchanged (it contains a
   *     line break, or starts with a blank)
   */
  public static TimelineHistoryFile of(TimelineId timeline, List<Entry> entries) {
    List<Entry> expected = List.copyOf(entries);
    StringBuilder text = new StringBuilder();
    for (Entry e : expected) {
      String reason = e.reason();
      if (reason.indexOf('\n') >= 0
          || reason.indexOf('\r') >= 0
          || (!reason.isEmpty() && isBlank(reason.charAt(0)))) {
        throw new IllegalArgumentException("reason cannot be written to a history file: " + e);
      }
      text.append(e.parent()).append('\t').append(e.switchPoint()).append('\t');
      text.append(e.reason()).append('\n');
    }
    TimelineHistoryFile file =
        parse(
            timeline, timeline.historyFileName(), text.toString().getBytes(StandardCharsets.UTF_8));
    if (!file.entries().equals(expected)) {
      throw new IllegalArgumentException(
          "entries cannot be written as a history file unchanged: " + expected);
    }
    return file;
  }

  /**
   * Parses the lines as PostgreSQL's {@code readTimeLineHistory} does, but stricter about numbers:
   * leading blanks are skipped, empty lines and {@code #} comments are ignored, the parent timeline
   * is plain decimal and the switch point a valid {@link Lsn}, separated by blanks or tabs; what
   * follows the switch point after a blank or tab is the reason.
   */
  private static List<Entry> parseEntries(TimelineId timeline, String fileName, byte[] content) {
    // Only ASCII matters to the parser and UTF-8 keeps it intact; the reason is informational.
    String text = new String(content, StandardCharsets.UTF_8);
    List<Entry> entries = new ArrayList<>();
    TimelineId previous = null;
    for (String rawLine : text.split("\n", -1)) {
      String line = stripTrailingCarriageReturn(rawLine);
      int pos = skipBlanks(line, 0);
      if (pos == line.length() || line.charAt(pos) == '#') {
        continue;
      }
      int tliEnd = skipNonBlanks(line, pos);
      TimelineId parent = parseParent(fileName, line, line.substring(pos, tliEnd));
      int lsnStart = skipBlanks(line, tliEnd);
      int lsnEnd = skipNonBlanks(line, lsnStart);
      if (lsnStart == tliEnd || lsnStart == lsnEnd) {
        throw invalid(fileName, line, "Expected a write-ahead log switchpoint location.");
      }
      Lsn switchPoint;
      try {
        switchPoint = Lsn.parse(line.substring(lsnStart, lsnEnd));
      } catch (PgException e) {
        throw invalid(fileName, line, "Expected a write-ahead log switchpoint location.");
      }
      String reason = line.substring(skipBlanks(line, lsnEnd));
      if (previous != null && parent.compareTo(previous) <= 0) {
        throw invalid(fileName, line, "Timeline IDs must be in increasing sequence.");
      }
      if (parent.compareTo(timeline) >= 0) {
        throw invalid(fileName, line, "Timeline IDs must be less than child timeline's ID.");
      }
      entries.add(new Entry(parent, switchPoint, reason));
      previous = parent;
    }
    return List.copyOf(entries);
  }

  private static TimelineId parseParent(String fileName, String line, String text) {
    try {
      return TimelineId.parse(text);
    } catch (PgException e) {
      throw invalid(fileName, line, "Expected a numeric timeline ID.");
    }
  }

  private static String stripTrailingCarriageReturn(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  private static int skipBlanks(String line, int pos) {
    while (pos < line.length() && isBlank(line.charAt(pos))) {
      pos++;
    }
    return pos;
  }

  private static int skipNonBlanks(String line, int pos) {
    while (pos < line.length() && !isBlank(line.charAt(pos))) {
      pos++;
    }
    return pos;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  private static PgException invalid(String fileName, String line, String hint) {
    return new PgException(
        SqlState.PROTOCOL_VIOLATION,
        "invalid data in history file \"" + fileName + "\": \"" + line + "\"",
        null,
        hint,
        null);
  }

  /**
   * The raw file bytes, exactly as received.
   *
   * @return a copy of the content
   */
  @Override
  public byte[] content() {
    return content.clone();
  }

  /**
   * The timeline this timeline branched off, which is the parent in the last entry.
   *
   * @return the parent, or empty when the file has no entries
   */
  public Optional<TimelineId> parent() {
    return entries.isEmpty()
        ? Optional.empty()
        : Optional.of(entries.get(entries.size() - 1).parent());
  }

  /**
   * Where this file's timeline begins: the switch point of the last entry, where its parent ended.
   * After a timeline switch this is where the old timeline stops and the new one takes over.
   *
   * @return the switch point, or empty when the file has no entries
   */
  public Optional<Lsn> switchPoint() {
    return entries.isEmpty()
        ? Optional.empty()
        : Optional.of(entries.get(entries.size() - 1).switchPoint());
  }

  /**
   * Whether {@code tli} is {@link #timeline()} or one of its ancestors in this file.
   *
   * @param tli a timeline
   * @return true when {@code tli} is on the path to this file's timeline
   */
  public boolean contains(TimelineId tli) {
    return tli.equals(timeline) || indexOf(tli) >= 0;
  }

  /**
   * Where {@code tli} ends on the path to this file's timeline: the switch point at which its child
   * on that path begins. Use this to decide how far to stream {@code tli} before following the
   * switch.
   *
   * @param tli this file's timeline or one of its ancestors
   * @return the end of {@code tli}; empty when {@code tli} is this file's timeline, which has not
   *     ended
   * @throws PgException with SQLSTATE 22023 when {@code tli} is not in this history
   */
  public Optional<Lsn> switchPointOf(TimelineId tli) {
    if (tli.equals(timeline)) {
      return Optional.empty();
    }
    int index = indexOf(tli);
    if (index < 0) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "timeline " + tli + " is not in the history of timeline " + timeline);
    }
    return Optional.of(entries.get(index).switchPoint());
  }

  /**
   * The timeline that {@code lsn} belongs to on the path to this file's timeline, as PostgreSQL's
   * {@code tliOfPointInHistory} decides it: a switch point already belongs to the child.
   *
   * @param lsn a WAL position
   * @return the oldest timeline whose end is after {@code lsn}, or this file's timeline
   */
  public TimelineId timelineAt(Lsn lsn) {
    for (Entry e : entries) {
      if (lsn.isBefore(e.switchPoint())) {
        return e.parent();
      }
    }
    return timeline;
  }

  private int indexOf(TimelineId tli) {
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).parent().equals(tli)) {
        return i;
      }
    }
    return -1;
  }

  /** Equal when timeline, file name and content bytes are equal. */
  @Override
  public boolean equals(Object o) {
    return o instanceof TimelineHistoryFile other
        && timeline.equals(other.timeline)
        && fileName.equals(other.fileName)
        && Arrays.equals(content, other.content);
  }

  @Override
  public int hashCode() {
    return Objects.hash(timeline, fileName, Arrays.hashCode(content));
  }

  /** The file name and the parsed entries; the raw bytes are left out. */
  @Override
  public String toString() {
    return "TimelineHistoryFile[" + fileName + ", entries=" + entries + "]";
  }

  /**
   * One line of a history file: an ancestor timeline and where it ended.
   *
   * @param parent the ancestor timeline
   * @param switchPoint where {@code parent} ended and its child began
   * @param reason the free-text reason the server recorded, possibly empty
   */
  public record Entry(TimelineId parent, Lsn switchPoint, String reason) {

    /**
     * Checks for nulls.
     *
     * @param parent the ancestor timeline
     * @param switchPoint where {@code parent} ended
     * @param reason the free-text reason, possibly empty
     */
    public Entry {
      Objects.requireNonNull(parent, "parent");
      Objects.requireNonNull(switchPoint, "switchPoint");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
