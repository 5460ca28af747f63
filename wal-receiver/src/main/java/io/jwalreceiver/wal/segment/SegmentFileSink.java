// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.SegmentEncoder;
import io.jwalreceiver.wal.WalSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The {@link WalSink} for a directory of uncompressed segment files, laid out exactly as {@code
 * pg_receivewal} lays them out (protocol-notes §4.4): {@code <24 hex>.partial} while a segment is
 * being written, pre-sized with zeros; {@code <24 hex>} once complete; {@code <tli>.history} for
 * timeline history files; optionally {@code archive_status/<name>.done} markers (pg_basebackup's
 * {@code -X stream}).
 *
 * <h2>Threads</h2>
 *
 * The receive thread calls {@link #write}, which only does positional writes into the current file
 * (no copy, no allocation, no fsync). One daemon thread, {@code wal-flusher}, does all the slow
 * work in order: it completes segments (force, close, rename, force the directory), leaves segments
 * {@code .partial} on a timeline switch or close, serves flush requests (one force covers every
 * byte written before it started — group commit) and prepares the next segment's file in advance,
 * so that the receive thread never waits for zero-filling either. Failures on the flusher are
 * rethrown to the receive thread on its next call. The flusher is {@link Flusher}; the spare file
 * is {@link SpareFile}; history files are written by {@link HistoryFileWriter}; names, modes,
 * renames and directory forces are {@link SegmentDirectory}'s.
 *
 * <h2>The spare file</h2>
 *
 * The next segment's file is zero-filled and forced ahead of time as {@value #SPARE_FILE_NAME} in
 * the hidden subdirectory {@value #SPARE_DIRECTORY}, so that the output directory only ever holds
 * what pg_receivewal leaves there: archive consumers (Barman's streaming archiver, for one) move or
 * report whatever else they find in it, and a Python {@code glob("*")} or a shell {@code *} skips
 * dot entries. The spare only becomes {@code <next>.partial} (a rename within the file system,
 * after which both directories are forced) after the previous segment has been renamed to its final
 * name and that rename is durable. A pre-created {@code <next>.partial} next to an incomplete
 * {@code <current>.partial} would make {@link io.jwalreceiver.wal.ResumePoint} resume after the gap
 * after a crash, silently losing the tail of the current segment. The sink touches no completed
 * segment again, so other programs may move, compress or delete them meanwhile.
 *
 * <h2>Durable position</h2>
 *
 * {@link #durablePosition()} advances only on the flusher, after the force that covers it; inside a
 * segment it also requires the directory entry of its {@code .partial} to be durable, and the end
 * of a completed segment counts only once the segment is forced, renamed and the rename is durable
 * (as {@code pg_receivewal} reports its flush position only after {@code close_walfile}). Reporting
 * the segment end before the rename would let the server recycle a segment that a restart would ask
 * for again. {@link #startTimeline} resets both positions to its start, as {@code pg_receivewal}
 * does.
 *
 * <h2>Compression</h2>
 *
 * With {@link SegmentFileOptions#compression()} set, segments are written as {@code pg_receivewal}
 * 15+ writes them: {@code <24 hex>.gz.partial} (or {@code .lz4.partial}, or {@code .zst.partial},
 * which pg_receivewal lacks) while in progress, {@code <24 hex>.gz} once complete; the file is not
 * pre-sized, and when complete its compressed stream holds exactly one segment. The spare is then
 * an empty file, and the same jobs complete, activate and close segments. Compression runs on the
 * receive thread inside {@link #write}, as in pg_receivewal; the stream trailer is written on the
 * flusher. A flush request first pushes the compressor's pending output into the file (gzip sync
 * flush, end of an LZ4 block, zstd flush; on the receive thread, which owns the compressor), and
 * only the WAL covered by that push counts for the following force. Resuming at an existing
 * compressed {@code .partial} truncates it and rewrites the segment from its start, which is what
 * pg_receivewal means by restarting the segment.
 */
public final class SegmentFileSink implements WalSink {

  /**
   * The hidden subdirectory of the output directory that holds the spare file. It is created for
   * the first spare and removed, with the spare, when the sink closes; a leftover from a crash
   * holds nothing PostgreSQL or an archive consumer reads.
   */
  public static final String SPARE_DIRECTORY = ".jwalreceiver";

  /**
   * The name of the pre-zeroed spare segment file inside {@link #SPARE_DIRECTORY}. It is deleted
   * when the sink opens and when it closes.
   */
  public static final String SPARE_FILE_NAME = "xlogtemp";

  /** The status directory of {@code .done} markers, relative to the WAL directory. */
  public static final String ARCHIVE_STATUS = "archive_status";

  // ---- configuration ----
  private final SegmentDirectory directory;
  private final WalSegmentSize segmentSize;
  private final int segmentBytes;
  private final boolean sync;
  private final Compression compression;

  /** Compressed files: not pre-sized, written through an encoder. */
  private final boolean compressed;

  private final SpareFile spareFile;
  private final HistoryFileWriter historyFiles;
  private final Flusher flusher;

  // ---- receive-thread state ----
  private @Nullable TimelineId timeline;

  /**
   * The first segment file of the current timeline when {@link #startTimeline} created it (none was
   * there), with the position it starts at: removed at {@link #close} if no WAL ever reached it (a
   * START_REPLICATION the server refused, a stop before the first message). pg_receivewal opens its
   * file on the first WAL message, so it leaves nothing in that case either.
   */
  private @Nullable Path createdFirst;

  private long createdAt;
  private boolean closed;

  private SegmentFileSink(
      Path directory,
      WalSegmentSize segmentSize,
      SegmentFileOptions options,
      FileChannelFactory channels) {
    Objects.requireNonNull(directory, "directory");
    this.segmentSize = Objects.requireNonNull(segmentSize, "segmentSize");
    this.segmentBytes = segmentSize.bytes();
    Objects.requireNonNull(options, "options");
    this.sync = options.syncPolicy() != SyncPolicy.NEVER;
    this.compression = options.compression();
    this.compressed = compression.compressed();
    this.directory =
        new SegmentDirectory(
            directory, segmentBytes, options, Objects.requireNonNull(channels, "channels"));
    this.spareFile = new SpareFile(this.directory, segmentBytes);
    this.historyFiles = new HistoryFileWriter(this.directory);
    this.flusher = new Flusher(this.directory, spareFile);
  }

  /**
   * Opens a sink with the {@linkplain SegmentFileOptions#DEFAULTS default options}.
   *
   * @param directory the existing output directory
   * @param segmentSize the server's segment size
   * @return the sink, with its flusher running
   * @throws PgException 58030 when the directory does not exist or a stale spare file cannot be
   *     removed
   */
  public static SegmentFileSink open(Path directory, WalSegmentSize segmentSize) {
    return open(directory, segmentSize, SegmentFileOptions.DEFAULTS);
  }

  /**
   * Opens a sink. Nothing is written before {@link #startTimeline}.
   *
   * @param directory the existing output directory
   * @param segmentSize the server's segment size
   * @param options sync policy, file modes, {@code .done} markers, compression
   * @return the sink, with its flusher running
   * @throws PgException 58030 when the directory does not exist or a stale spare file cannot be
   *     removed
   */
  public static SegmentFileSink open(
      Path directory, WalSegmentSize segmentSize, SegmentFileOptions options) {
    return open(directory, segmentSize, options, FileChannelFactory.DEFAULT);
  }

  /** Test hook: every channel comes from {@code channels}. */
  static SegmentFileSink open(
      Path directory,
      WalSegmentSize segmentSize,
      SegmentFileOptions options,
      FileChannelFactory channels) {
    SegmentFileSink sink = new SegmentFileSink(directory, segmentSize, options, channels);
    SegmentEncoder.checkAvailable(options.compression());
    if (!Files.isDirectory(directory)) {
      throw new PgException(
          SqlState.IO_ERROR, "could not access directory \"" + directory + "\": not a directory");
    }
    sink.spareFile.deleteStale();
    sink.flusher.start();
    return sink;
  }

  /**
   * The output directory.
   *
   * @return the directory the sink was opened on
   */
  public Path directory() {
    return directory.path();
  }

  /**
   * The segment size the sink was opened with.
   *
   * @return the server's segment size
   */
  public WalSegmentSize segmentSize() {
    return segmentSize;
  }

  /**
   * Registers the callback run on the flusher after each segment is complete and durable under its
   * final name, replacing an earlier one.
   *
   * @param listener the callback
   */
  public void onSegmentCompleted(SegmentListener listener) {
    flusher.onSegmentCompleted(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Registers the callback run on the flusher after each force of a WAL file with how long it took,
   * replacing an earlier one. Nothing is reported under {@link SyncPolicy#NEVER}.
   *
   * @param listener the callback
   */
  public void onSync(SyncListener listener) {
    flusher.onSync(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Replaces an earlier listener. Under {@link SyncPolicy#NEVER} it is called with the written
   * position after each flush request, without any force.
   */
  @Override
  public void onDurable(LongConsumer listener) {
    flusher.onDurable(Objects.requireNonNull(listener, "listener"));
  }

  // =====================================================================================
  // Receive thread
  // =====================================================================================

  /**
   * {@inheritDoc}
   *
   * <p>Opens (or reuses) {@code <segment>.partial} of the segment that starts at {@code startLsn}
   * and waits until it is pre-sized, zero-filled and durable, so that an existing {@code .partial}
   * of the wrong size fails here, before streaming starts. An existing {@code .partial} of exactly
   * the segment size is reused as it is; one of 0 bytes is zero-filled; any other size is an error.
   * A compressed {@code .partial} of any size is truncated and rewritten from its start. Both
   * positions become {@code startLsn}.
   *
   * @throws IllegalArgumentException when {@code startLsn} is not a segment start
   * @throws PgException 58030 {@code write-ahead log file "%s" has %d bytes, should be 0 or %d}, or
   *     on another I/O error; 53100 when the disk is full
   */
  @Override
  public void startTimeline(TimelineId newTimeline, long startLsn) {
    Objects.requireNonNull(newTimeline, "timeline");
    checkUsable();
    if (segmentSize.offset(Lsn.of(startLsn)) != 0) {
      throw new IllegalArgumentException(
          "timeline must start at a segment start, not at " + Lsn.of(startLsn));
    }
    SegmentName first = SegmentName.of(newTimeline, Lsn.of(startLsn), segmentSize);
    Path firstPath = directory.partialPath(first);
    boolean existed = Files.exists(firstPath, LinkOption.NOFOLLOW_LINKS);
    if (flusher.openTimeline(first, startLsn)) {
      timeline = newTimeline;
      createdFirst = existed ? null : firstPath;
      createdAt = startLsn;
    }
    flusher.failure().check();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Allocation-free uncompressed: positional writes into the current file, split at segment
   * boundaries; compressed, the payload goes through the segment's compressor instead. The
   * payload's limit is narrowed while a segment's share is written and restored afterwards.
   *
   * @throws IllegalStateException when {@link #startTimeline} was not called, {@code timeline} is
   *     not the started one, or {@code startLsn} is not where the previous write ended
   */
  @Override
  public void write(TimelineId writeTimeline, long startLsn, ByteBuffer payload) {
    checkUsable();
    long position = flusher.written();
    TimelineId started = timeline;
    if (started == null || !started.equals(writeTimeline) || startLsn != position) {
      throw notContiguous(writeTimeline, startLsn);
    }
    int limit = payload.limit();
    SegmentFile segment = flusher.current();
    try {
      while (payload.hasRemaining()) {
        if (segment == null) {
          segment = nextSegment(started, position);
        }
        long offset = position - segment.startLsn();
        int room = (int) (segmentBytes - offset);
        int n = Math.min(room, payload.remaining());
        payload.limit(payload.position() + n);
        segment.write(payload, offset);
        payload.limit(limit);
        position += n;
        if (n == room) {
          flusher.segmentFilled(segment, position);
          segment = null;
        } else {
          flusher.advanceWritten(position);
        }
      }
    } catch (IOException e) {
      payload.limit(limit);
      PgException error =
          SegmentDirectory.ioError(
              "could not write " + payload.remaining() + " bytes to WAL file", segment, e);
      flusher.failure().recordOnReceiveThread(error);
      throw error;
    }
  }

  /** Cold path out of {@link #write}. */
  private IllegalStateException notContiguous(TimelineId writeTimeline, long startLsn) {
    TimelineId started = timeline;
    if (started == null) {
      return new IllegalStateException("write before startTimeline");
    }
    if (!started.equals(writeTimeline)) {
      return new IllegalStateException(
          "write on timeline " + writeTimeline + " while timeline " + started + " is started");
    }
    return new IllegalStateException(
        "write at "
            + Lsn.of(startLsn)
            + " does not continue the previous write, which ended at "
            + Lsn.of(flusher.written()));
  }

  /**
   * Takes the pre-zeroed spare for the segment starting at {@code position} (see {@link
   * Flusher#takeSpare}); compressed, opens its encoder.
   */
  private SegmentFile nextSegment(TimelineId tli, long position) throws IOException {
    SegmentFile segment = flusher.takeSpare(SegmentName.of(tli, Lsn.of(position), segmentSize));
    if (compressed) {
      // Outside the lock: it may write a stream header. The flusher does not touch the encoder
      // before this segment is handed over for completion or closing, under the lock.
      segment.encode(compression);
    }
    return segment;
  }

  @Override
  public long writtenPosition() {
    return flusher.written();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Under {@link SyncPolicy#NEVER} this is the written position, which is not durable.
   */
  @Override
  public long durablePosition() {
    return sync ? flusher.durable() : flusher.written();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Cheap and allocation-free: sets a flag and wakes the flusher. With compression (and syncing)
   * it first pushes the compressor's pending output into the file, so it must be called on the
   * thread that calls {@link #write}.
   */
  @Override
  public void requestFlush() {
    checkUsable();
    pushCompressed();
    flusher.requestFlush();
  }

  /**
   * {@inheritDoc}
   *
   * <p>With compression, call it on the thread that calls {@link #write} (see {@link
   * #requestFlush}).
   */
  @Override
  public void flush() {
    checkUsable();
    pushCompressed();
    flusher.flushAndWait();
  }

  /**
   * Compressed and synced: a sync flush of the open segment's compressor, after which every written
   * byte is in the file and may be covered by a force. pg_receivewal skips it under {@code
   * --no-sync} too, which keeps the compression ratio.
   */
  private void pushCompressed() {
    if (!compressed || !sync) {
      return;
    }
    SegmentFile segment = flusher.current();
    if (segment != null) {
      try {
        segment.syncFlush();
      } catch (IOException e) {
        PgException error = SegmentDirectory.ioError("could not write to file", segment, e);
        flusher.failure().recordOnReceiveThread(error);
        throw error;
      }
    }
    flusher.markAllFlushable();
  }

  @Override
  public boolean hasHistoryFile(TimelineId tli) {
    return historyFiles.exists(tli);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Runs on the calling thread, the way pg_receivewal does it: {@code <tli>.history.tmp}, force,
   * rename, force the directory; then the {@code .done} marker when enabled.
   */
  @Override
  public void writeHistoryFile(TimelineHistoryFile history) {
    checkUsable();
    historyFiles.write(history);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The open segment is forced and left {@code .partial} when incomplete ({@code not renaming
   * "%s", segment is not complete}), the flusher stops, the spare file is deleted and the directory
   * forced. A flusher failure that was not yet thrown by another call is thrown here, after the
   * resources are released.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    flusher.stop();
    if (!flusher.failure().happened()) {
      Path untouched = createdFirst;
      if (untouched != null && flusher.written() == createdAt) {
        directory.deleteUntouched(untouched);
      }
      directory.syncDirectory(directory.path());
    }
    flusher.failure().checkUnreported();
  }

  private void checkUsable() {
    if (closed) {
      throw new IllegalStateException("segment file sink is closed");
    }
    flusher.failure().check();
  }
}
