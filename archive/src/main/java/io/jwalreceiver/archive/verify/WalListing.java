// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SegmentName.ParsedWalFileName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.archive.store.StoredObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The WAL of an archive as its listing shows it: segment files by timeline and segment number,
 * {@code .partial} files apart, and history files. Names that are neither (status files, backup
 * history files, foreign objects) are ignored. Built from keys only; nothing is read.
 */
public final class WalListing {

  private static final String HISTORY_SUFFIX = ".history";

  private final String walPrefix;
  private final WalSegmentSize size;
  private final List<WalFile> files = new ArrayList<>();
  private final Map<TimelineId, NavigableMap<Long, WalFile>> complete = new TreeMap<>();
  private final Map<TimelineId, NavigableMap<Long, WalFile>> partials = new TreeMap<>();
  private final SortedMap<TimelineId, String> histories = new TreeMap<>();

  private WalListing(String walPrefix, WalSegmentSize size) {
    this.walPrefix = walPrefix;
    this.size = size;
  }

  /**
   * Sorts a listing.
   *
   * @param objects the objects under {@code walPrefix}; those in sub-folders are ignored
   * @param walPrefix the WAL key prefix ({@code wal/}, or "" for a flat directory)
   * @param size the segment size that gives the names their meaning
   */
  public static WalListing of(List<StoredObject> objects, String walPrefix, WalSegmentSize size) {
    WalListing listing = new WalListing(walPrefix, size);
    for (StoredObject o : objects) {
      if (!o.key().startsWith(walPrefix)) {
        continue;
      }
      String name = o.key().substring(walPrefix.length());
      if (name.indexOf('/') >= 0) {
        continue;
      }
      TimelineId history = historyTimeline(name);
      if (history != null) {
        listing.histories.put(history, o.key());
        continue;
      }
      Optional<ParsedWalFileName> parsed = SegmentName.parseArchiveName(name, size);
      if (parsed.isEmpty()) {
        continue;
      }
      WalFile file = new WalFile(o.key(), parsed.get(), o.size());
      listing.files.add(file);
      SegmentName segment = file.segment();
      (file.partial() ? listing.partials : listing.complete)
          .computeIfAbsent(segment.timeline(), t -> new TreeMap<>())
          .putIfAbsent(segment.segmentNumber(), file);
    }
    return listing;
  }

  /** The timeline of a history file name ({@code 00000002.history}), or null. */
  static @Nullable TimelineId historyTimeline(String name) {
    if (name.length() != 8 + HISTORY_SUFFIX.length() || !name.endsWith(HISTORY_SUFFIX)) {
      return null;
    }
    for (int i = 0; i < 8; i++) {
      char c = name.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
        return null;
      }
    }
    long value = Long.parseLong(name.substring(0, 8), 16);
    return value == 0 ? null : TimelineId.of(value);
  }

  /** The WAL key prefix. */
  public String walPrefix() {
    return walPrefix;
  }

  /** The segment size the names were read with. */
  public WalSegmentSize segmentSize() {
    return size;
  }

  /** Every segment file (complete and partial), in key order. */
  public List<WalFile> files() {
    return Collections.unmodifiableList(files);
  }

  /** The complete segments of a timeline by segment number (the first file of each). */
  public NavigableMap<Long, WalFile> complete(TimelineId timeline) {
    return Collections.unmodifiableNavigableMap(
        complete.getOrDefault(timeline, Collections.emptyNavigableMap()));
  }

  /** The {@code .partial} files of a timeline by segment number. */
  public NavigableMap<Long, WalFile> partials(TimelineId timeline) {
    return Collections.unmodifiableNavigableMap(
        partials.getOrDefault(timeline, Collections.emptyNavigableMap()));
  }

  /** The keys of the history files, by timeline. */
  public SortedMap<TimelineId, String> histories() {
    return Collections.unmodifiableSortedMap(histories);
  }

  /** The timelines that have segment files. */
  public SortedSet<TimelineId> segmentTimelines() {
    SortedSet<TimelineId> timelines = new TreeSet<>(complete.keySet());
    timelines.addAll(partials.keySet());
    return timelines;
  }

  /** The newest timeline the archive knows of: of a segment or of a history file. */
  public Optional<TimelineId> newestTimeline() {
    SortedSet<TimelineId> timelines = segmentTimelines();
    timelines.addAll(histories.keySet());
    return timelines.isEmpty() ? Optional.empty() : Optional.of(timelines.last());
  }

  /** The highest segment number with a file (complete or partial) on a timeline. */
  public OptionalLong newestSegment(TimelineId timeline) {
    long newest = -1;
    NavigableMap<Long, WalFile> c = complete.get(timeline);
    if (c != null) {
      newest = c.lastKey();
    }
    NavigableMap<Long, WalFile> p = partials.get(timeline);
    if (p != null) {
      newest = Math.max(newest, p.lastKey());
    }
    return newest < 0 ? OptionalLong.empty() : OptionalLong.of(newest);
  }

  /** The key a segment's plain file would have, for messages about a missing one. */
  public String keyOf(SegmentName segment) {
    return walPrefix + segment.fileName();
  }

  /** The key of a timeline's history file. */
  public String historyKey(TimelineId timeline) {
    return walPrefix + timeline.historyFileName();
  }
}
