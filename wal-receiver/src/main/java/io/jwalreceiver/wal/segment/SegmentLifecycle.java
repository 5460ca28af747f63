// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.SegmentName;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The file-system steps of a segment file's life, run by the {@link Flusher} for its jobs: open (or
 * reuse) the first segment of a timeline, give a spare its {@code .partial} name, complete a full
 * segment, leave an incomplete one {@code .partial}, force for a flush. It knows nothing of
 * positions or of the receive thread: the flusher decides what becomes durable after each step
 * returns.
 */
final class SegmentLifecycle {

  private static final System.Logger LOG = System.getLogger(SegmentFileSink.class.getName());

  private final SegmentDirectory directory;
  private final SpareFile spareFile;
  private final boolean sync;
  private final boolean compressed;
  private volatile SyncListener syncListener = nanos -> {};

  SegmentLifecycle(SegmentDirectory directory, SpareFile spareFile) {
    this.directory = directory;
    this.spareFile = spareFile;
    this.sync = directory.sync();
    this.compressed = directory.compressed();
  }

  void onSync(SyncListener listener) {
    syncListener = listener;
  }

  /**
   * The first segment of a timeline when its {@code .partial} exists: rewrite it from offset 0 in
   * the existing file (pg_receivewal's rules); zero-filled when it is empty, truncated when
   * compressed, forced.
   *
   * @return the reopened file, or null when there is no such {@code .partial}
   */
  @Nullable SegmentFile reopen(SegmentName segment) {
    Path partial = directory.partialPath(segment);
    long size = directory.checkReusableSize(partial);
    if (size < 0) {
      return null;
    }
    FileChannel channel;
    try {
      channel = directory.open(partial, SegmentDirectory.REOPEN);
    } catch (IOException e) {
      throw SegmentDirectory.ioError("could not open file", partial, e);
    }
    SegmentFile file = new SegmentFile(channel, partial, segment);
    try {
      if (compressed) {
        // pg_receivewal restarts a compressed segment from its start; stale bytes past the
        // new stream's end would make the file undecodable.
        channel.truncate(0);
      } else if (size == 0) {
        spareFile.zeroFill(channel, 0, directory.segmentBytes());
      }
      if (sync) {
        channel.force(true);
      }
    } catch (IOException e) {
      SegmentFile.closeQuietly(file);
      throw SegmentDirectory.ioError("could not write to file", partial, e);
    }
    return file;
  }

  /** The first segment of a timeline from a prepared spare: assign it and move it in place. */
  void install(SegmentFile spare, SegmentName segment) {
    spare.assign(segment);
    spareFile.moveInto(spare, directory.partialPath(segment));
  }

  /**
   * The first segment of a timeline is in place: compressed, its encoder starts (writing the stream
   * header); the directory is forced.
   */
  void ready(SegmentFile file) {
    if (compressed) {
      try {
        file.encode(directory.options().compression());
      } catch (IOException e) {
        SegmentFile.closeQuietly(file);
        throw SegmentDirectory.ioError("could not write to file", file.path(), e);
      }
    }
    directory.syncDirectory(directory.path());
  }

  /**
   * Gives a spare its {@code .partial} name. Runs after the previous segment's completion, so a
   * {@code .partial} of the next segment never exists beside an incomplete one.
   */
  void activate(SegmentFile file) {
    Path target = directory.partialPath(file.segment());
    // An existing .partial of this segment would be reused by pg_receivewal when it is 0 bytes or
    // full size; replacing it by our zero-filled file gives the same result. Other sizes are the
    // same error as at a timeline start. A compressed one is rewritten from scratch anyway.
    directory.checkReusableSize(target);
    spareFile.moveInto(file, target);
  }

  /**
   * A full segment: force, close, rename to its final name, force the directory, {@code .done}
   * marker when enabled. Only afterwards may its end count as durable.
   */
  void complete(SegmentFile file) {
    SegmentName segment = file.segment();
    Path partial = file.path();
    Path target = directory.completePath(segment);
    finishAndClose(file);
    SegmentDirectory.rename(partial, target);
    file.movedTo(target);
    directory.syncDirectory(directory.path());
    directory.markDone(segment.fileName());
  }

  /** An incomplete segment left behind: force, close, keep {@code .partial}. */
  void leavePartial(SegmentFile file) {
    // Compressed: a complete stream of what was written, as pg_receivewal leaves it.
    finishAndClose(file);
    // A spare that was taken but never written into keeps its temporary name until activated.
    directory.syncDirectory(directory.path());
    if (LOG.isLoggable(Level.DEBUG)) {
      LOG.log(
          Level.DEBUG,
          "not renaming \"" + file.path().getFileName() + "\", segment is not complete");
    }
  }

  /**
   * Forces the data of the open segment for a flush. fdatasync is enough: an uncompressed file is
   * pre-sized, so its length never changes; a compressed file grows, and fdatasync includes the
   * size needed to read the data.
   */
  void forceData(SegmentFile file) {
    try {
      timedForce(file, false);
    } catch (IOException e) {
      throw SegmentDirectory.ioError("could not fsync file", file, e);
    }
  }

  /**
   * Writes a compressed file's trailer (the receive thread has handed the file over), forces the
   * file with its metadata (fsync, as pg_receivewal does before a rename or close) and closes it.
   */
  private void finishAndClose(SegmentFile file) {
    try {
      file.finish();
    } catch (IOException e) {
      throw SegmentDirectory.ioError("could not write to file", file, e);
    }
    try {
      if (sync) {
        timedForce(file, true);
      }
      file.close();
    } catch (IOException e) {
      throw SegmentDirectory.ioError("could not fsync file", file, e);
    }
  }

  /** Forces a WAL file and tells the {@link SyncListener} how long it took. */
  private void timedForce(SegmentFile file, boolean metadata) throws IOException {
    long started = System.nanoTime();
    file.force(metadata);
    syncListener.synced(System.nanoTime() - started);
  }
}
