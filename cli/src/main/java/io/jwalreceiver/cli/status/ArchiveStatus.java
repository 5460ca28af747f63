// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.status;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SegmentName.ParsedWalFileName;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * What a WAL archive directory (pg_receivewal's layout) holds: per timeline the completed segments,
 * the {@code .partial} ones, compressed variants and the gaps between the first and the last
 * segment; the timeline history files; and the newest completed segment overall.
 *
 * @param directory the directory read
 * @param segmentSize the segment size the file names were read with
 * @param segmentSizeSource where the size came from: {@code server}, {@code files} (the size of an
 *     uncompressed segment file) or {@code default} (16MB, nothing to tell)
 * @param timelines one entry per timeline with segments, ascending
 * @param historyFiles the timelines whose {@code .history} file is present, ascending
 * @param newestComplete the newest completed segment (highest segment number, then timeline)
 * @param otherFiles names of entries that are neither segments nor history files
 */
public record ArchiveStatus(
    Path directory,
    WalSegmentSize segmentSize,
    String segmentSizeSource,
    List<TimelineArchive> timelines,
    List<TimelineId> historyFiles,
    Optional<SegmentName> newestComplete,
    List<String> otherFiles) {

  /** The segment size PostgreSQL uses unless initdb was told otherwise. */
  static final WalSegmentSize DEFAULT_SEGMENT_SIZE = new WalSegmentSize(16 << 20);

  public ArchiveStatus {
    timelines = List.copyOf(timelines);
    historyFiles = List.copyOf(historyFiles);
    otherFiles = List.copyOf(otherFiles);
  }

  /**
   * One timeline's segments.
   *
   * @param timeline the timeline
   * @param first the lowest segment present (completed or partial)
   * @param last the highest segment present (completed or partial)
   * @param completed how many completed segment files
   * @param newestComplete the highest completed segment, if any
   * @param partials the {@code .partial} files, by name
   * @param compressed completed files per compression extension ({@code gz}, {@code lz4}, {@code
   *     zst}); uncompressed ones are not counted here
   * @param wrongSize completed uncompressed files whose size is not the segment size
   * @param gaps the runs of segments missing between {@code first} and {@code last}
   */
  public record TimelineArchive(
      TimelineId timeline,
      SegmentName first,
      SegmentName last,
      int completed,
      Optional<SegmentName> newestComplete,
      List<String> partials,
      Map<String, Integer> compressed,
      List<String> wrongSize,
      List<Gap> gaps) {

    public TimelineArchive {
      partials = List.copyOf(partials);
      compressed = Map.copyOf(compressed);
      wrongSize = List.copyOf(wrongSize);
      gaps = List.copyOf(gaps);
    }

    /** How many segments the gaps hold together. */
    public long missingSegments() {
      return gaps.stream().mapToLong(Gap::count).sum();
    }
  }

  /**
   * A run of missing segments.
   *
   * @param from the first missing segment
   * @param to the last missing segment (equal to {@code from} for one)
   */
  public record Gap(SegmentName from, SegmentName to) {
    /** How many segments are missing. */
    public long count() {
      return to.segmentNumber() - from.segmentNumber() + 1;
    }
  }

  /**
   * Reads {@code directory}. Nothing is opened except to find the segment size when {@code
   * segmentSize} is null: then the size of an uncompressed segment file (a completed one or a
   * pre-sized {@code .partial}) that is a valid segment size is used, else 16MB.
   *
   * @param directory an archive directory
   * @param segmentSize the server's segment size, or null when unknown
   * @return what is in it
   * @throws PgException 58030 when the directory cannot be read
   */
  public static ArchiveStatus scan(Path directory, @Nullable WalSegmentSize segmentSize) {
    Objects.requireNonNull(directory, "directory");
    List<Path> entries = entries(directory);
    String source = "server";
    WalSegmentSize size;
    if (segmentSize != null) {
      size = segmentSize;
    } else {
      WalSegmentSize found = sizeFromFiles(entries);
      source = found == null ? "default" : "files";
      size = found == null ? DEFAULT_SEGMENT_SIZE : found;
    }
    Map<TimelineId, Builder> byTimeline = new TreeMap<>();
    List<TimelineId> history = ResumePoint.historyFiles(directory);
    Set<String> historyNames = new HashSet<>();
    for (TimelineId h : history) {
      historyNames.add(h.historyFileName());
    }
    List<String> other = new ArrayList<>();
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      Optional<ParsedWalFileName> parsed = SegmentName.parseArchiveName(name, size);
      if (parsed.isPresent() && Files.isRegularFile(entry)) {
        ParsedWalFileName p = parsed.get();
        byTimeline
            .computeIfAbsent(p.segment().timeline(), t -> new Builder())
            .add(p, name, entry, size);
      } else if (!historyNames.contains(name) && !name.equals(SegmentFileSink.SPARE_DIRECTORY)) {
        // The receiver's own hidden spare directory is not an archive anomaly.
        other.add(name);
      }
    }
    List<TimelineArchive> timelines = new ArrayList<>();
    SegmentName newest = null;
    for (Map.Entry<TimelineId, Builder> e : byTimeline.entrySet()) {
      TimelineArchive t = e.getValue().build(e.getKey(), size);
      timelines.add(t);
      if (t.newestComplete().isPresent()) {
        SegmentName c = t.newestComplete().get();
        if (newest == null || c.segmentNumber() >= newest.segmentNumber()) {
          newest = c; // timelines ascend: on equal numbers the higher timeline wins
        }
      }
    }
    return new ArchiveStatus(
        directory, size, source, timelines, history, Optional.ofNullable(newest), other);
  }

  /** Whether any timeline has a gap. */
  public boolean hasGaps() {
    return timelines.stream().anyMatch(t -> !t.gaps().isEmpty());
  }

  private static final class Builder {
    final TreeSet<Long> present = new TreeSet<>();
    final TreeSet<Long> completed = new TreeSet<>();
    final List<String> partials = new ArrayList<>();
    final Map<String, Integer> compressed = new TreeMap<>();
    final List<String> wrongSize = new ArrayList<>();

    void add(ParsedWalFileName p, String name, Path file, WalSegmentSize size) {
      long n = p.segment().segmentNumber();
      present.add(n);
      if (p.partial()) {
        partials.add(name);
        return;
      }
      completed.add(n);
      if (p.compressed()) {
        compressed.merge(p.compression(), 1, Integer::sum);
      } else if (sizeOf(file) != size.bytes()) {
        wrongSize.add(name);
      }
    }

    TimelineArchive build(TimelineId tli, WalSegmentSize size) {
      List<Gap> gaps = new ArrayList<>();
      long expected = present.first();
      for (long n : present) {
        if (n > expected) {
          gaps.add(
              new Gap(new SegmentName(tli, expected, size), new SegmentName(tli, n - 1, size)));
        }
        expected = n + 1;
      }
      return new TimelineArchive(
          tli,
          new SegmentName(tli, present.first(), size),
          new SegmentName(tli, present.last(), size),
          completed.size(),
          completed.isEmpty()
              ? Optional.empty()
              : Optional.of(new SegmentName(tli, completed.last(), size)),
          partials,
          compressed,
          wrongSize,
          gaps);
    }
  }

  /** The size of the first uncompressed segment-named file whose size is a valid segment size. */
  private static @Nullable WalSegmentSize sizeFromFiles(List<Path> entries) {
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      String base = name.endsWith(".partial") ? name.substring(0, name.length() - 8) : name;
      if (SegmentName.isSegmentFileName(base) && Files.isRegularFile(entry)) {
        long bytes = sizeOf(entry);
        if (bytes >= 1 << 20 && bytes <= 1 << 30 && Long.bitCount(bytes) == 1) {
          return new WalSegmentSize((int) bytes);
        }
      }
    }
    return null;
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Checks that {@code directory} can be listed, before anything else is done.
   *
   * @throws PgException 58030 {@code could not open directory "%s": No such file or directory} (or
   *     {@code Not a directory})
   */
  public static void checkDirectory(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new PgException(
          SqlState.IO_ERROR,
          "could not open directory \""
              + directory
              + "\": "
              + (Files.exists(directory) ? "Not a directory" : "No such file or directory"));
    }
  }

  private static List<Path> entries(Path directory) {
    checkDirectory(directory);
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(directory)) {
      for (Path p : s) {
        entries.add(p);
      }
    } catch (IOException e) {
      throw new PgException(
          SqlState.IO_ERROR, "could not read directory \"" + directory + "\": " + e, e);
    }
    entries.sort(null);
    return entries;
  }
}
