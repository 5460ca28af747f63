// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.PgException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The spare segment file {@code .jwalreceiver/xlogtemp}: the next segment's file, zero-filled and
 * forced ahead of time by the flusher so that the receive thread never waits for zero-filling (see
 * {@link SegmentFileSink}, "The spare file"). It is prepared one {@link #ZERO_CHUNK} at a time, so
 * that a flush request or a job arriving meanwhile waits for at most one chunk; a compressed spare
 * is just an empty file. A spare is never reused across runs: a crash may have left it only partly
 * zero-filled.
 *
 * <p>Flusher thread only, except {@link #deleteStale} (before the flusher starts) and {@link
 * #remove} (after it has ended).
 */
final class SpareFile {

  private static final System.Logger LOG = System.getLogger(SegmentFileSink.class.getName());

  /** Where builds before the hidden directory kept the spare; removed on open. */
  private static final String OLD_SPARE_FILE_NAME = "xlogtemp.jwalreceiver";

  /** Zero-filling granularity; also how long a pending flush can wait behind spare preparation. */
  private static final int ZERO_CHUNK = 1 << 20;

  private final SegmentDirectory directory;
  private final int segmentBytes;
  private final Path spareDirectory;
  private final Path sparePath;

  /** Reused for every zero-fill; direct, so the kernel copies from it without a bounce buffer. */
  private final ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK);

  private @Nullable SegmentFile inProgress;
  private long filled;

  SpareFile(SegmentDirectory directory, int segmentBytes) {
    this.directory = directory;
    this.segmentBytes = segmentBytes;
    this.spareDirectory = directory.path().resolve(SegmentFileSink.SPARE_DIRECTORY);
    this.sparePath = spareDirectory.resolve(SegmentFileSink.SPARE_FILE_NAME);
  }

  /**
   * Deletes a spare a crash left behind (and one under the old name), never reusing it.
   *
   * @throws PgException 58030 when it cannot be removed
   */
  void deleteStale() {
    for (Path stale : new Path[] {sparePath, directory.path().resolve(OLD_SPARE_FILE_NAME)}) {
      try {
        Files.deleteIfExists(stale);
      } catch (IOException e) {
        throw SegmentDirectory.ioError("could not remove file", stale, e);
      }
    }
  }

  /**
   * One step of preparing the spare: creates it, or zero-fills one more chunk, and forces it once
   * it is complete.
   *
   * @return the complete spare, or null when more steps are needed
   * @throws PgException 58030 on an I/O error, 53100 when the disk is full
   */
  @Nullable SegmentFile step() {
    SegmentFile file = inProgress;
    try {
      if (file == null) {
        directory.createDirectory(spareDirectory);
        Files.deleteIfExists(sparePath);
        file = new SegmentFile(directory.create(sparePath, SegmentDirectory.CREATE_NEW), sparePath);
        inProgress = file;
        filled = 0;
      }
      if (!directory.compressed()) {
        FileChannel channel = file.channel();
        zeroFill(channel, filled, ZERO_CHUNK);
        filled += ZERO_CHUNK;
        if (filled < segmentBytes) {
          return null;
        }
        if (directory.sync()) {
          channel.force(true);
        }
      }
    } catch (IOException e) {
      throw SegmentDirectory.ioError("could not write to file", sparePath, e);
    }
    inProgress = null;
    return file;
  }

  /**
   * Moves a prepared spare into the output directory under {@code target}: rename, then force the
   * directory it entered and the one it left (the file itself was forced when it was prepared).
   */
  void moveInto(SegmentFile file, Path target) {
    SegmentDirectory.rename(file.path(), target);
    file.movedTo(target);
    directory.syncDirectory(directory.path());
    directory.syncDirectory(spareDirectory);
  }

  /** Writes real zero blocks: a sparse file would allocate (and could fail) on every write. */
  void zeroFill(FileChannel channel, long from, long length) throws IOException {
    long position = from;
    long end = from + length;
    while (position < end) {
      zeros.clear();
      zeros.limit((int) Math.min(zeros.capacity(), end - position));
      while (zeros.hasRemaining()) {
        position += channel.write(zeros, position);
      }
    }
  }

  /**
   * After the flusher has ended: closes a half-prepared spare and deletes the spare file and its
   * hidden directory. Another program's file in that directory leaves both in place.
   */
  void remove() {
    SegmentFile.closeQuietly(inProgress);
    inProgress = null;
    for (Path path : new Path[] {sparePath, spareDirectory}) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "could not remove \"" + path + "\": " + e.getMessage());
        break;
      }
    }
  }
}
