// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SegmentName.ParsedWalFileName;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Where streaming resumes, derived from the WAL files already in the output directory: {@code
 * pg_receivewal}'s {@code FindStreamingStart} (protocol-notes §4.3, step 2).
 *
 * <p>Files whose names {@link SegmentName#parseArchiveName} recognises are considered: plain,
 * {@code .gz}, {@code .lz4} and {@code .zst}, each optionally {@code .partial}. Completed files are
 * checked before they count:
 *
 * <ul>
 *   <li>plain: the file must be exactly one segment long, else the warning {@code segment file "%s"
 *       has incorrect size %d, skipping};
 *   <li>{@code .gz}: the gzip trailer's ISIZE (the last 4 bytes, little-endian: the uncompressed
 *       size mod 2^32) must be the segment size, else {@code compressed segment file "%s" has
 *       incorrect uncompressed size %d, skipping};
 *   <li>{@code .lz4} and {@code .zst}: the file is decompressed completely and the uncompressed
 *       size must be the segment size (pg_receivewal does so for {@code .lz4}: our frames do not
 *       carry the content size), with the same warning. These checks are expensive, so they run
 *       only for a file that would otherwise be chosen: a wrong-size {@code .lz4} or {@code .zst}
 *       file below the winner is not reported.
 * </ul>
 *
 * {@code .partial} files are never size-checked: they are rewritten from their start. The highest
 * segment number wins; on a tie the higher timeline; on a tie a completed file beats a partial one.
 * A completed winner resumes at the start of the next segment, a partial one at the start of its
 * own segment. The timeline comes from the file name, not from the server.
 *
 * <p>The scan also reads the cluster's system identifier from the long page header of the first
 * file, best first, that has a valid one ({@code xlp_sysid}): the archiver refuses a server whose
 * identifier differs.
 *
 * @param timeline the timeline to stream
 * @param start the segment start to stream from
 * @param fromFile the file name that decided it
 * @param systemId the system identifier the archive's WAL was written by, or null when no file
 *     tells (only zero-filled {@code .partial} files, or not read)
 */
public record ResumePoint(
    TimelineId timeline, Lsn start, String fromFile, @Nullable String systemId) {

  private static final int GZIP_TRAILER_SIZE = 4;
  private static final int DECOMPRESS_CHUNK = 64 * 1024;
  private static final int HISTORY_NAME_LENGTH = 8 + ".history".length();

  /**
   * Checks for nulls.
   *
   * @param timeline the timeline to stream
   * @param start the segment start to stream from
   * @param fromFile the file name that decided it
   */
  public ResumePoint {
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(fromFile, "fromFile");
  }

  /**
   * A resume point whose system identifier is not known.
   *
   * @param timeline the timeline to stream
   * @param start the segment start to stream from
   * @param fromFile the file name that decided it
   */
  public ResumePoint(TimelineId timeline, Lsn start, String fromFile) {
    this(timeline, start, fromFile, null);
  }

  /**
   * Scans {@code directory} for the resume point.
   *
   * @param directory the output directory
   * @param segmentSize the server's segment size (it gives the file names their meaning)
   * @param warnings receives one line per skipped file, in pg_receivewal's words
   * @return the resume point, or empty when the directory holds no usable WAL file
   * @throws PgException 58030 when the directory cannot be read, a completed {@code .gz} file is
   *     too short to hold a gzip trailer, or a completed {@code .lz4} or {@code .zst} file that
   *     would be chosen cannot be decompressed ({@code could not decompress file "%s": %s})
   */
  public static Optional<ResumePoint> scan(
      Path directory, WalSegmentSize segmentSize, Consumer<String> warnings) {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(segmentSize, "segmentSize");
    Objects.requireNonNull(warnings, "warnings");
    List<ParsedWalFileName> candidates = new ArrayList<>();
    for (Path file : sortedEntries(directory)) {
      String name = file.getFileName().toString();
      Optional<ParsedWalFileName> parsed = SegmentName.parseArchiveName(name, segmentSize);
      if (parsed.isEmpty() || !Files.isRegularFile(file)) {
        continue;
      }
      ParsedWalFileName candidate = parsed.get();
      // The cheap checks run for every file, in name order, as pg_receivewal reports them.
      if (!candidate.partial()
          && !needsDecompression(candidate)
          && !completeFileIsValid(file, candidate, segmentSize, warnings)) {
        continue;
      }
      candidates.add(candidate);
    }
    // Best first; the sort is stable, so among equals the first name wins, as before.
    candidates.sort((a, b) -> isBetter(a, b) ? -1 : isBetter(b, a) ? 1 : 0);
    ParsedWalFileName best = null;
    for (ParsedWalFileName candidate : candidates) {
      if (candidate.partial()
          || !needsDecompression(candidate)
          || completeFileIsValid(
              directory.resolve(candidate.fileName()), candidate, segmentSize, warnings)) {
        best = candidate;
        break;
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    SegmentName segment = best.segment();
    Lsn start = best.partial() ? segment.startLsn() : segment.endLsn();
    String systemId = null;
    for (ParsedWalFileName candidate : candidates) {
      Optional<String> id =
          SegmentHeader.systemId(directory.resolve(candidate.fileName()), candidate, segmentSize);
      if (id.isPresent()) {
        systemId = id.get();
        break;
      }
    }
    return Optional.of(new ResumePoint(segment.timeline(), start, best.fileName(), systemId));
  }

  /**
   * The timelines whose history file ({@code %08X.history}) is in {@code directory}.
   *
   * @param directory the output directory
   * @return the timelines, ascending
   * @throws PgException 58030 when the directory cannot be read
   */
  public static List<TimelineId> historyFiles(Path directory) {
    Objects.requireNonNull(directory, "directory");
    List<TimelineId> timelines = new ArrayList<>();
    for (Path file : sortedEntries(directory)) {
      String name = file.getFileName().toString();
      if (name.length() == HISTORY_NAME_LENGTH
          && name.endsWith(".history")
          && isUpperHex(name, 8)
          && Files.isRegularFile(file)) {
        long tli = Long.parseLong(name.substring(0, 8), 16);
        if (tli != 0) {
          timelines.add(TimelineId.of(tli));
        }
      }
    }
    timelines.sort(null);
    return List.copyOf(timelines);
  }

  /** Higher segment, then higher timeline, then completed over partial. */
  private static boolean isBetter(ParsedWalFileName candidate, ParsedWalFileName best) {
    SegmentName c = candidate.segment();
    SegmentName b = best.segment();
    if (c.segmentNumber() != b.segmentNumber()) {
      return Long.compareUnsigned(c.segmentNumber(), b.segmentNumber()) > 0;
    }
    int byTimeline = c.timeline().compareTo(b.timeline());
    if (byTimeline != 0) {
      return byTimeline > 0;
    }
    return !candidate.partial() && best.partial();
  }

  private static boolean completeFileIsValid(
      Path file, ParsedWalFileName parsed, WalSegmentSize segmentSize, Consumer<String> warnings) {
    String name = parsed.fileName();
    switch (parsed.compression()) {
      case ParsedWalFileName.UNCOMPRESSED -> {
        long size = size(file);
        if (size != segmentSize.bytes()) {
          warnings.accept(
              "segment file \"" + name + "\" has incorrect size " + size + ", skipping");
          return false;
        }
        return true;
      }
      case ParsedWalFileName.GZIP -> {
        long uncompressed = gzipTrailerSize(file);
        if (uncompressed != segmentSize.bytes()) {
          warnings.accept(
              "compressed segment file \""
                  + name
                  + "\" has incorrect uncompressed size "
                  + uncompressed
                  + ", skipping");
          return false;
        }
        return true;
      }
      default -> {
        long decompressed = decompressedSize(file, parsed.compression());
        if (decompressed != segmentSize.bytes()) {
          warnings.accept(
              "compressed segment file \""
                  + name
                  + "\" has incorrect uncompressed size "
                  + decompressed
                  + ", skipping");
          return false;
        }
        return true;
      }
    }
  }

  /** Completed {@code .lz4} and {@code .zst} files are checked by decompressing them. */
  private static boolean needsDecompression(ParsedWalFileName parsed) {
    return parsed.compression().equals(ParsedWalFileName.LZ4)
        || parsed.compression().equals(ParsedWalFileName.ZSTD);
  }

  /** Decompresses the whole file (every frame in it) and counts the bytes. */
  private static long decompressedSize(Path file, String compression) {
    byte[] buffer = new byte[DECOMPRESS_CHUNK];
    long total = 0;
    try (InputStream in = SegmentHeader.open(file, compression)) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        total += n;
      }
    } catch (IOException | RuntimeException e) {
      // lz4-java and zstd-jni report corrupt input as IOException or as their own unchecked
      // exceptions; either way the file cannot be trusted, and pg_receivewal stops here too.
      throw new PgException(
          SqlState.IO_ERROR, "could not decompress file \"" + file + "\": " + e.getMessage(), e);
    }
    return total;
  }

  /** ISIZE: the last four bytes of a gzip member, the uncompressed size mod 2^32, little-endian. */
  private static long gzipTrailerSize(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < GZIP_TRAILER_SIZE) {
        throw new PgException(
            SqlState.IO_ERROR,
            "could not seek in compressed file \"" + file + "\": file has " + size + " bytes");
      }
      ByteBuffer trailer = ByteBuffer.allocate(GZIP_TRAILER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      long position = size - GZIP_TRAILER_SIZE;
      while (trailer.hasRemaining()) {
        int n = channel.read(trailer, position);
        if (n < 0) {
          throw new PgException(
              SqlState.IO_ERROR, "could not read compressed file \"" + file + "\": short read");
        }
        position += n;
      }
      return Integer.toUnsignedLong(trailer.getInt(0));
    } catch (IOException e) {
      throw ioError("could not read compressed file", file, e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw ioError("could not stat file", file, e);
    }
  }

  /** Sorted, so that equally good files are chosen the same way on every run. */
  private static List<Path> sortedEntries(Path directory) {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      for (Path p : stream) {
        entries.add(p);
      }
    } catch (IOException e) {
      throw ioError("could not open directory", directory, e);
    }
    entries.sort(null);
    return entries;
  }

  private static boolean isUpperHex(String s, int length) {
    for (int i = 0; i < length; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  private static PgException ioError(String what, Path file, IOException e) {
    return new PgException(SqlState.IO_ERROR, what + " \"" + file + "\": " + e.getMessage(), e);
  }
}
