// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The WAL chain a base backup needs to be restored and rolled forward: from the backup's start
 * segment, segment after segment, to the newest segment of the archive's newest timeline, switching
 * timelines where the newest timeline's history says. Pure: it reads a {@link WalListing}.
 *
 * <p>At a switch point {@code P} from timeline {@code A} to {@code B}, {@code A} is needed up to
 * the segment before the one containing {@code P}; {@code B} continues from the segment containing
 * {@code P} (its first file holds {@code A}'s WAL before {@code P}, as the server copied it). The
 * segment of {@code A} that contains {@code P} (often a {@code .partial}) is not needed. On the
 * newest timeline the last segment may be a {@code .partial}; anywhere else a {@code .partial} does
 * not stand in for a complete segment.
 */
public final class WalChain {

  private WalChain() {}

  /**
   * One timeline on the way to the newest one.
   *
   * @param timeline the timeline
   * @param end where it ends (its child begins), or null for the newest timeline
   */
  public record Step(TimelineId timeline, @Nullable Lsn end) {}

  /**
   * The part of the chain on one timeline.
   *
   * @param timeline the timeline
   * @param first the first segment the chain needs on it
   * @param last the last segment it reaches on it
   * @param files the segment files present in between
   */
  public record Span(TimelineId timeline, SegmentName first, SegmentName last, long files) {

    /** Whether every segment from {@code first} to {@code last} is there. */
    public boolean complete() {
      return files == last.segmentNumber() - first.segmentNumber() + 1;
    }
  }

  /**
   * What following the chain found.
   *
   * @param spans the chain by timeline, oldest first
   * @param problems gaps, misplaced {@code .partial} files, and an end short of the backup's end
   */
  public record Result(List<Span> spans, List<Problem> problems) {

    /** Copies the lists. */
    public Result {
      spans = List.copyOf(spans);
      problems = List.copyOf(problems);
    }
  }

  /**
   * The timelines from timeline 1 (or the oldest one a history file names) to {@code target}.
   *
   * @param target the newest timeline
   * @param history {@code target}'s history file, or null (timeline 1, or the file is missing)
   */
  public static List<Step> path(TimelineId target, @Nullable TimelineHistoryFile history) {
    List<Step> steps = new ArrayList<>();
    if (history != null) {
      for (TimelineHistoryFile.Entry e : history.entries()) {
        steps.add(new Step(e.parent(), e.switchPoint()));
      }
    }
    steps.add(new Step(target, null));
    return steps;
  }

  /**
   * The newest timeline whose path can be followed: {@code newest} when it is timeline 1 or its
   * history file was read, else the next older such timeline (its own history missing is a problem
   * the caller reports).
   *
   * @param newest the newest timeline of the archive
   * @param histories the history files that could be read
   */
  public static TimelineId reachableTarget(
      TimelineId newest, Map<TimelineId, TimelineHistoryFile> histories) {
    long t = newest.asLong();
    while (t > 1 && !histories.containsKey(TimelineId.of(t))) {
      t--;
    }
    return TimelineId.of(t);
  }

  /**
   * Follows the chain.
   *
   * @param wal the archive's WAL
   * @param path the timelines to follow, as {@link #path} gives them; must contain {@code
   *     startTimeline}
   * @param startTimeline the timeline of the backup's start
   * @param start the backup's start LSN
   * @param endTimeline the timeline of the backup's end
   * @param end the backup's end LSN: the chain must reach at least its segment
   * @param describe the location of a key, for problems
   * @throws IllegalArgumentException when {@code startTimeline} is not on the path
   */
  public static Result follow(
      WalListing wal,
      List<Step> path,
      TimelineId startTimeline,
      Lsn start,
      TimelineId endTimeline,
      Lsn end,
      Function<String, String> describe) {
    WalSegmentSize size = wal.segmentSize();
    int from = indexOf(path, startTimeline);
    if (from < 0) {
      throw new IllegalArgumentException("timeline " + startTimeline + " is not on the path");
    }
    List<Span> spans = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    long current = size.segmentNumber(start);
    long endSegment = lastNeeded(size, start, end);
    for (int i = from; i < path.size(); i++) {
      Step step = path.get(i);
      TimelineId tli = step.timeline();
      boolean newest = i == path.size() - 1;
      Lsn stepEnd = step.end();
      long last;
      if (stepEnd != null) {
        last = size.segmentNumber(stepEnd) - 1;
      } else {
        last = Math.max(wal.newestSegment(tli).orElse(current - 1), current - 1);
      }
      if (last >= current) {
        long files = checkRange(wal, tli, current, last, newest, describe, problems);
        spans.add(
            new Span(
                tli, new SegmentName(tli, current, size), new SegmentName(tli, last, size), files));
      }
      if (newest && tli.equals(endTimeline) && last < endSegment) {
        SegmentName needed = new SegmentName(tli, endSegment, size);
        problems.add(
            new Problem(
                describe.apply(wal.keyOf(needed)),
                "missing: the backup needs WAL up to "
                    + end
                    + " on timeline "
                    + tli
                    + ", the archive's WAL of that timeline ends "
                    + (last < current
                        ? "before the backup starts"
                        : "with " + new SegmentName(tli, last, size).fileName())));
      }
      if (stepEnd != null) {
        current = Math.max(current, size.segmentNumber(stepEnd));
      }
    }
    return new Result(spans, problems);
  }

  /** The last segment the backup itself needs: the one holding the byte before {@code end}. */
  static long lastNeeded(WalSegmentSize size, Lsn start, Lsn end) {
    long endSegment = size.segmentNumber(end);
    if (size.offset(end) == 0 && end.isAfter(start)) {
      endSegment--;
    }
    return Math.max(endSegment, size.segmentNumber(start));
  }

  private static int indexOf(List<Step> path, TimelineId timeline) {
    for (int i = 0; i < path.size(); i++) {
      if (path.get(i).timeline().equals(timeline)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Checks segments {@code first..last} of a timeline, adding a problem per gap (a run of missing
   * segments) and per {@code .partial} standing where a complete segment is needed.
   *
   * @return the number of segments present
   */
  private static long checkRange(
      WalListing wal,
      TimelineId tli,
      long first,
      long last,
      boolean newest,
      Function<String, String> describe,
      List<Problem> problems) {
    WalSegmentSize size = wal.segmentSize();
    NavigableMap<Long, WalFile> complete = wal.complete(tli).subMap(first, true, last, true);
    NavigableMap<Long, WalFile> partials = wal.partials(tli);
    long files = complete.size();
    long expected = first;
    List<Long> present = new ArrayList<>(complete.keySet());
    present.add(last + 1);
    for (long next : present) {
      if (next > expected) {
        long gapEnd = next - 1;
        if (newest && gapEnd == last && partials.containsKey(last)) {
          // The newest timeline may end in a .partial.
          files++;
          gapEnd--;
        }
        gap(wal, tli, expected, gapEnd, partials, describe, problems, size);
      }
      expected = next + 1;
    }
    return files;
  }

  private static void gap(
      WalListing wal,
      TimelineId tli,
      long first,
      long last,
      NavigableMap<Long, WalFile> partials,
      Function<String, String> describe,
      List<Problem> problems,
      WalSegmentSize size) {
    if (last < first) {
      return;
    }
    long runStart = first;
    for (WalFile partial : partials.subMap(first, true, last, true).values()) {
      long s = partial.segment().segmentNumber();
      missing(wal, tli, runStart, s - 1, describe, problems, size);
      problems.add(
          new Problem(
              describe.apply(partial.key()),
              "only a .partial file where the WAL chain of timeline "
                  + tli
                  + " needs the complete segment"));
      runStart = s + 1;
    }
    missing(wal, tli, runStart, last, describe, problems, size);
  }

  /** One problem for a run of missing segments, named by its first. */
  private static void missing(
      WalListing wal,
      TimelineId tli,
      long first,
      long last,
      Function<String, String> describe,
      List<Problem> problems,
      WalSegmentSize size) {
    if (last < first) {
      return;
    }
    SegmentName a = new SegmentName(tli, first, size);
    SegmentName b = new SegmentName(tli, last, size);
    problems.add(
        new Problem(
            describe.apply(wal.keyOf(a)),
            last == first
                ? "missing: the WAL chain of timeline " + tli + " breaks here"
                : "missing, and the "
                    + (last - first)
                    + " segments after it up to "
                    + b.fileName()
                    + ": the WAL chain of timeline "
                    + tli
                    + " breaks here"));
  }
}
