// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.wal.WalSink;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.SegmentEncoder;

/**
 * The {@link WalSink} for a directory of uncompressed segment files, laid out exactly as {@code
 * pg_receivewal} lays them out (protocol-notes §4.4): {@code <24 hex>.partial} while a segment is
 * being written, pre-sized with zeros; {@code <24 hex>} once complete; {@code <tli>.history} for
 * timeline history files; optionally {@code archive_status/<name>.done} markers (pg_basebackup's
 * {@code -X stream}).
 *
 * <h2>Threads</h2>
 *
 * The receive thread calls {@link #write}, which only does positional writes into the current
 * file (no copy, no allocation, no fsync). One daemon thread, {@code wal-flusher}, does all the
 * slow work in order: it completes segments (force, close, rename, force the directory), leaves
 * segments {@code .partial} on a timeline switch or close, serves flush requests (one force covers
 * every byte written before it started — group commit) and prepares the next segment's file in
 * advance, so that the receive thread never waits for zero-filling either. Failures on the flusher
 * are rethrown to the receive thread on its next call.
 *
 * <h2>The spare file</h2>
 *
 * The next segment's file is zero-filled and forced ahead of time as {@value #SPARE_FILE_NAME} in
 * the hidden subdirectory {@value #SPARE_DIRECTORY}, so that the output directory only ever holds
 * what pg_receivewal leaves there: archive consumers (Barman's streaming archiver, for one) move
 * or report whatever else they find in it, and a Python {@code glob("*")} or a shell {@code *}
 * skips dot entries. The spare only becomes {@code <next>.partial} (a rename within the file
 * system, after which both directories are forced) after the previous segment has been renamed
 * to its final name and that rename is durable. A pre-created {@code <next>.partial} next to an
 * incomplete {@code <current>.partial} would make {@link io.jwalreceiver.wal.ResumePoint} resume
 * after the gap after a crash, silently losing the tail of the current segment. The sink touches
 * no completed segment again, so other programs may move, compress or delete them meanwhile.
 *
 * <h2>Durable position</h2>
 *
 * {@link #durablePosition()} advances only on the flusher, after the force that covers it; inside
 * a segment it also requires the directory entry of its {@code .partial} to be durable, and the
 * end of a completed segment counts only once the segment is forced, renamed and the rename is
 * durable (as {@code pg_receivewal} reports its flush position only after {@code close_walfile}).
 * Reporting the segment end before the rename would let the server recycle a segment that a
 * restart would ask for again. {@link #startTimeline} resets both positions to its start, as
 * {@code pg_receivewal} does.
 *
 * <h2>Compression</h2>
 *
 * With {@link Options#compression()} set, segments are written as {@code pg_receivewal} 15+
 * writes them: {@code <24 hex>.gz.partial} (or {@code .lz4.partial}, or {@code .zst.partial},
 * which pg_receivewal lacks) while in progress, {@code <24 hex>.gz} once complete; the file is
 * not pre-sized, and when complete its compressed stream holds exactly one segment. The spare is
 * then an empty file, and the same jobs complete, activate and close segments. Compression runs
 * on the receive thread inside {@link #write}, as in pg_receivewal; the stream trailer is written
 * on the flusher. A flush request first pushes the compressor's pending output into the file
 * (gzip sync flush, end of an LZ4 block, zstd flush; on the receive thread, which owns the
 * compressor), and only the WAL covered by that push counts for the following force. Resuming
 * at an existing compressed {@code .partial} truncates it and rewrites the segment from its
 * start, which is what pg_receivewal means by restarting the segment.
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

  /** Where builds before the hidden directory kept the spare; removed on open. */
  private static final String OLD_SPARE_FILE_NAME = "xlogtemp.jwalreceiver";

  /** The status directory of {@code .done} markers, relative to the WAL directory. */
  public static final String ARCHIVE_STATUS = "archive_status";

  private static final System.Logger LOG = System.getLogger(SegmentFileSink.class.getName());
  private static final String PARTIAL_SUFFIX = ".partial";
  /** Zero-filling granularity; also how long a pending flush can wait behind spare preparation. */
  private static final int ZERO_CHUNK = 1 << 20;

  private static final Set<StandardOpenOption> CREATE_NEW =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
  private static final Set<StandardOpenOption> CREATE_OR_TRUNCATE =
      Set.of(
          StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
  private static final Set<StandardOpenOption> REOPEN =
      Set.of(StandardOpenOption.WRITE, StandardOpenOption.READ);
  private static final Set<StandardOpenOption> READ = Set.of(StandardOpenOption.READ);

  /**
   * Options of a {@link SegmentFileSink}.
   *
   * @param syncPolicy when to force; {@link SyncPolicy#ON_REQUEST} by default
   * @param groupAccess create files with mode 0640 and directories with 0750 instead of 0600 and
   *     0700, as the tools do when the source cluster allows group access
   * @param markDone write an empty {@code archive_status/<name>.done} after each completed segment
   *     and history file (pg_basebackup's {@code -X stream}; pg_receivewal never does)
   * @param compression how segment files are compressed; {@link Compression#NONE} by default
   */
  public record Options(
      SyncPolicy syncPolicy,
      boolean groupAccess,
      boolean markDone,
      Compression compression,
      boolean partialSuffix) {

    /** {@link SyncPolicy#ON_REQUEST}, owner-only modes, no {@code .done} markers, uncompressed. */
    public static final Options DEFAULTS = new Options(SyncPolicy.ON_REQUEST, false, false);

    /**
     * Checks for nulls.
     *
     * @param syncPolicy when to force
     * @param groupAccess group-readable modes
     * @param markDone write {@code .done} markers
     * @param compression how segment files are compressed
     */
    public Options {
      Objects.requireNonNull(syncPolicy, "syncPolicy");
      Objects.requireNonNull(compression, "compression");
    }

    /**
     * Uncompressed segment files.
     *
     * @param syncPolicy when to force
     * @param groupAccess group-readable modes
     * @param markDone write {@code .done} markers
     */
    public Options(SyncPolicy syncPolicy, boolean groupAccess, boolean markDone) {
      this(syncPolicy, groupAccess, markDone, Compression.NONE, true);
    }

    /**
     * Segment files named with {@code .partial} while incomplete.
     *
     * @param syncPolicy when to force
     * @param groupAccess group-readable modes
     * @param markDone write {@code .done} markers
     * @param compression how segment files are compressed
     */
    public Options(
        SyncPolicy syncPolicy, boolean groupAccess, boolean markDone, Compression compression) {
      this(syncPolicy, groupAccess, markDone, compression, true);
    }

    /**
     * These options with another sync policy.
     *
     * @param policy the policy
     * @return the changed options
     */
    public Options withSyncPolicy(SyncPolicy policy) {
      return new Options(policy, groupAccess, markDone, compression, partialSuffix);
    }

    /**
     * These options with group access on or off.
     *
     * @param enabled whether files are group-readable
     * @return the changed options
     */
    public Options withGroupAccess(boolean enabled) {
      return new Options(syncPolicy, enabled, markDone, compression, partialSuffix);
    }

    /**
     * These options with {@code .done} markers on or off.
     *
     * @param enabled whether to write markers
     * @return the changed options
     */
    public Options withMarkDone(boolean enabled) {
      return new Options(syncPolicy, groupAccess, enabled, compression, partialSuffix);
    }

    /**
     * These options with another compression.
     *
     * @param newCompression the compression; {@link Compression#NONE} for plain files
     * @return the changed options
     */
    public Options withCompression(Compression newCompression) {
      return new Options(syncPolicy, groupAccess, markDone, newCompression, partialSuffix);
    }

    /**
     * These options with the {@code .partial} suffix on (pg_receivewal) or off (pg_basebackup's
     * streamer writes segments under their final names, pre-sized, from the start).
     *
     * @param enabled whether incomplete segments carry {@code .partial}
     * @return the changed options
     */
    public Options withPartialSuffix(boolean enabled) {
      return new Options(syncPolicy, groupAccess, markDone, compression, enabled);
    }
  }

  // ---- configuration ----
  private final Path directory;
  private final WalSegmentSize segmentSize;
  private final int segmentBytes;
  private final Options options;
  private final boolean sync;
  private final Compression compression;
  /** Compressed files: not pre-sized, written through an encoder. */
  private final boolean compressed;
  private final FileChannelFactory channels;
  private final FileAttribute<?>[] fileAttributes;
  private final FileAttribute<?>[] directoryAttributes;
  private final Path spareDirectory;
  private final Path sparePath;
  private final Thread flusher;

  // ---- shared state, guarded by lock ----
  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when there is work for the flusher. */
  private final Condition work = lock.newCondition();
  /** Signalled when the flusher made progress (published, prepared, failed, finished a job). */
  private final Condition progress = lock.newCondition();

  private final ArrayDeque<Job> jobs = new ArrayDeque<>();
  private boolean flushRequested;
  private boolean stopping;
  /** Bumped by startTimeline so that a flush snapshot of the old timeline is never published. */
  private long epoch;
  /** The latest durable position (flusher-published); mirrored in {@link #durable}. */
  private long published;
  /** A zero-filled spare ready to be taken by the receive thread. */
  private SegmentFile spare;
  /** The receive thread is waiting for {@link #spare}: spare preparation beats flushes. */
  private boolean spareWanted;
  /** Written by the receive thread under the lock, read by the flusher under the lock. */
  private SegmentFile current;

  // ---- published state ----
  private volatile long written;
  /**
   * Compressed and synced: the end of the WAL whose compressed bytes are in the file (the last
   * compressor flush or segment end), the most a force can make durable. Uncompressed it is not
   * used: every written byte is in the file.
   */
  private volatile long flushable;
  private volatile long durable;
  private volatile PgException failure;
  private volatile LongConsumer durableListener = position -> {};
  private volatile SegmentListener segmentListener = segment -> {};
  private volatile SyncListener syncListener = nanos -> {};

  // ---- receive-thread state ----
  private TimelineId timeline;
  private boolean closed;
  private boolean failureReported;

  // ---- flusher-only state ----
  /** Reused for every zero-fill; direct, so the kernel copies from it without a bounce buffer. */
  private final ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK);
  private SegmentFile spareInProgress;
  private long spareFilled;

  private SegmentFileSink(
      Path directory, WalSegmentSize segmentSize, Options options, FileChannelFactory channels) {
    this.directory = Objects.requireNonNull(directory, "directory");
    this.segmentSize = Objects.requireNonNull(segmentSize, "segmentSize");
    this.segmentBytes = segmentSize.bytes();
    this.options = Objects.requireNonNull(options, "options");
    this.sync = options.syncPolicy() != SyncPolicy.NEVER;
    this.compression = options.compression();
    this.compressed = compression.compressed();
    this.channels = Objects.requireNonNull(channels, "channels");
    boolean posix = directory.getFileSystem().supportedFileAttributeViews().contains("posix");
    this.fileAttributes =
        posix
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(
                  PosixFilePermissions.fromString(
                      options.groupAccess() ? "rw-r-----" : "rw-------"))
            }
            : new FileAttribute<?>[0];
    this.directoryAttributes =
        posix
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(
                  PosixFilePermissions.fromString(
                      options.groupAccess() ? "rwxr-x---" : "rwx------"))
            }
            : new FileAttribute<?>[0];
    this.spareDirectory = directory.resolve(SPARE_DIRECTORY);
    this.sparePath = spareDirectory.resolve(SPARE_FILE_NAME);
    this.flusher = new Thread(this::runFlusher, "wal-flusher");
    this.flusher.setDaemon(true);
  }

  /**
   * Opens a sink with the {@linkplain Options#DEFAULTS default options}.
   *
   * @param directory the existing output directory
   * @param segmentSize the server's segment size
   * @return the sink, with its flusher running
   * @throws PgException 58030 when the directory does not exist or a stale spare file cannot be
   *     removed
   */
  public static SegmentFileSink open(Path directory, WalSegmentSize segmentSize) {
    return open(directory, segmentSize, Options.DEFAULTS);
  }

  /**
   * Opens a sink. Nothing is written before {@link #startTimeline}.
   *
   * @param directory the existing output directory
   * @param segmentSize the server's segment size
   * @param options sync policy, file modes, {@code .done} markers
   * @return the sink, with its flusher running
   * @throws PgException 58030 when the directory does not exist or a stale spare file cannot be
   *     removed
   */
  public static SegmentFileSink open(Path directory, WalSegmentSize segmentSize, Options options) {
    return open(directory, segmentSize, options, FileChannelFactory.DEFAULT);
  }

  /** Test hook: every channel comes from {@code channels}. */
  static SegmentFileSink open(
      Path directory, WalSegmentSize segmentSize, Options options, FileChannelFactory channels) {
    SegmentFileSink sink = new SegmentFileSink(directory, segmentSize, options, channels);
    SegmentEncoder.checkAvailable(options.compression());
    if (!Files.isDirectory(directory)) {
      throw new PgException(
          SqlState.IO_ERROR, "could not access directory \"" + directory + "\": not a directory");
    }
    for (Path stale : new Path[] {sink.sparePath, directory.resolve(OLD_SPARE_FILE_NAME)}) {
      try {
        // A spare left by a crash may be only partly zero-filled: never reuse it.
        Files.deleteIfExists(stale);
      } catch (IOException e) {
        throw ioError("could not remove file", stale, e);
      }
    }
    sink.flusher.start();
    return sink;
  }

  /** The output directory. */
  public Path directory() {
    return directory;
  }

  /** The segment size the sink was opened with. */
  public WalSegmentSize segmentSize() {
    return segmentSize;
  }

  /**
   * Registers the callback run on the flusher after each segment is complete and durable under
   * its final name, replacing an earlier one.
   *
   * @param listener the callback
   */
  public void onSegmentCompleted(SegmentListener listener) {
    segmentListener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Registers the callback run on the flusher after each force of a WAL file with how long it
   * took, replacing an earlier one. Nothing is reported under {@link SyncPolicy#NEVER}.
   *
   * @param listener the callback
   */
  public void onSync(SyncListener listener) {
    syncListener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * {@inheritDoc}
   *
   * <p>Replaces an earlier listener. Under {@link SyncPolicy#NEVER} it is called with the
   * written position after each flush request, without any force.
   */
  @Override
  public void onDurable(LongConsumer listener) {
    durableListener = Objects.requireNonNull(listener, "listener");
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
   * the segment size is reused as it is; one of 0 bytes is zero-filled; any other size is an
   * error. A compressed {@code .partial} of any size is truncated and rewritten from its start.
   * Both positions become {@code startLsn}.
   *
   * @throws IllegalArgumentException when {@code startLsn} is not a segment start
   * @throws PgException 58030 {@code write-ahead log file "%s" has %d bytes, should be 0 or %d},
   *     or on another I/O error; 53100 when the disk is full
   */
  @Override
  public void startTimeline(TimelineId newTimeline, long startLsn) {
    Objects.requireNonNull(newTimeline, "timeline");
    checkUsable();
    if (segmentSize.offset(Lsn.of(startLsn)) != 0) {
      throw new IllegalArgumentException(
          "timeline must start at a segment start, not at " + Lsn.of(startLsn));
    }
    OpenFirst request = new OpenFirst(SegmentName.of(newTimeline, Lsn.of(startLsn), segmentSize));
    lock.lock();
    try {
      if (current != null) {
        jobs.addLast(new ClosePartial(current, written, epoch));
        current = null;
      }
      jobs.addLast(request);
      work.signal();
      while (!request.done && failure == null) {
        awaitProgress("the first segment of timeline " + newTimeline);
      }
      if (failure == null) {
        epoch++;
        timeline = newTimeline;
        current = request.result;
        written = startLsn;
        flushable = startLsn;
        published = startLsn;
        durable = startLsn;
        // Wakes the flusher to prepare the spare for the next segment.
        work.signal();
      }
    } finally {
      lock.unlock();
    }
    checkFailure();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Allocation-free uncompressed: positional writes into the current file, split at segment
   * boundaries; compressed, the payload goes through the segment's compressor instead.
   * The payload's limit is narrowed while a segment's share is written and restored afterwards.
   *
   * @throws IllegalStateException when {@link #startTimeline} was not called, {@code timeline} is
   *     not the started one, or {@code startLsn} is not where the previous write ended
   */
  @Override
  public void write(TimelineId writeTimeline, long startLsn, ByteBuffer payload) {
    checkUsable();
    long position = written;
    if (timeline == null || !timeline.equals(writeTimeline) || startLsn != position) {
      throw notContiguous(writeTimeline, startLsn);
    }
    int limit = payload.limit();
    SegmentFile segment = current;
    try {
      while (payload.hasRemaining()) {
        if (segment == null) {
          segment = nextSegment(position);
        }
        long offset = position - segment.startLsn();
        int room = (int) (segmentBytes - offset);
        int n = Math.min(room, payload.remaining());
        payload.limit(payload.position() + n);
        segment.write(payload, offset);
        payload.limit(limit);
        position += n;
        if (n == room) {
          completeSegment(segment, position);
          segment = null;
        } else {
          written = position;
        }
      }
    } catch (IOException e) {
      payload.limit(limit);
      PgException error =
          ioError("could not write " + payload.remaining() + " bytes to WAL file", segment, e);
      recordFailure(error);
      failureReported = true;
      throw error;
    }
  }

  /** Cold path out of {@link #write}. */
  private IllegalStateException notContiguous(TimelineId writeTimeline, long startLsn) {
    if (timeline == null) {
      return new IllegalStateException("write before startTimeline");
    }
    if (!timeline.equals(writeTimeline)) {
      return new IllegalStateException(
          "write on timeline " + writeTimeline + " while timeline " + timeline + " is started");
    }
    return new IllegalStateException(
        "write at "
            + Lsn.of(startLsn)
            + " does not continue the previous write, which ended at "
            + Lsn.of(written));
  }

  /**
   * The receive thread has filled {@code segment}: hand it to the flusher for force, rename and
   * directory force. {@code written} moves to the segment end under the lock, together with the
   * queued job, so a flush snapshot never sees the end without the job (see runFlusher).
   */
  private void completeSegment(SegmentFile segment, long end) {
    lock.lock();
    try {
      written = end;
      flushable = end;
      current = null;
      jobs.addLast(new Complete(segment, epoch));
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes the pre-zeroed spare for the segment starting at {@code position}. In steady state it
   * is ready; otherwise (the disk is slower than the network) the receive thread waits for it,
   * which is the back-pressure we want.
   */
  private SegmentFile nextSegment(long position) throws IOException {
    SegmentFile segment;
    lock.lock();
    try {
      while (spare == null && failure == null) {
        spareWanted = true;
        work.signal();
        awaitProgress("a pre-zeroed segment file");
      }
      spareWanted = false;
      checkFailure();
      segment = spare;
      spare = null;
      segment.assign(SegmentName.of(timeline, Lsn.of(position), segmentSize));
      current = segment;
      // Renamed to <segment>.partial by the flusher, after the previous segment's rename.
      jobs.addLast(new Activate(segment));
      work.signal();
    } finally {
      lock.unlock();
    }
    if (compressed) {
      // Outside the lock: it may write a stream header. The flusher does not touch the encoder
      // before this segment is handed over for completion or closing, under the lock.
      segment.encode(compression);
    }
    return segment;
  }

  @Override
  public long writtenPosition() {
    return written;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Under {@link SyncPolicy#NEVER} this is the written position, which is not durable.
   */
  @Override
  public long durablePosition() {
    return sync ? durable : written;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Cheap and allocation-free: sets a flag and wakes the flusher. With compression (and
   * syncing) it first pushes the compressor's pending output into the file, so it must be called
   * on the thread that calls {@link #write}.
   */
  @Override
  public void requestFlush() {
    checkUsable();
    pushCompressed();
    lock.lock();
    try {
      flushRequested = true;
      work.signal();
    } finally {
      lock.unlock();
    }
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
    long target = written;
    lock.lock();
    try {
      flushRequested = true;
      work.signal();
      while (failure == null && Long.compareUnsigned(published, target) < 0) {
        awaitProgress("the WAL flush");
      }
    } finally {
      lock.unlock();
    }
    checkFailure();
  }

  /**
   * Compressed and synced: a sync flush of the open segment's compressor, after which every
   * written byte is in the file and may be covered by a force. pg_receivewal skips it under
   * {@code --no-sync} too, which keeps the compression ratio.
   */
  private void pushCompressed() {
    if (!compressed || !sync) {
      return;
    }
    SegmentFile segment = current;
    if (segment != null) {
      try {
        segment.syncFlush();
      } catch (IOException e) {
        PgException error = ioError("could not write to file", segment, e);
        recordFailure(error);
        failureReported = true;
        throw error;
      }
    }
    flushable = written;
  }

  @Override
  public boolean hasHistoryFile(TimelineId tli) {
    return Files.exists(directory.resolve(tli.historyFileName()));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Runs on the calling thread, the way pg_receivewal does it: {@code <tli>.history.tmp},
   * force, rename, force the directory; then the {@code .done} marker when enabled.
   */
  @Override
  public void writeHistoryFile(TimelineHistoryFile history) {
    checkUsable();
    Path target = directory.resolve(history.fileName());
    Path temporary = directory.resolve(history.fileName() + ".tmp");
    try (FileChannel channel = channels.open(temporary, CREATE_OR_TRUNCATE, fileAttributes)) {
      ByteBuffer content = ByteBuffer.wrap(history.content());
      while (content.hasRemaining()) {
        channel.write(content);
      }
      if (sync) {
        channel.force(true);
      }
    } catch (IOException e) {
      throw ioError("could not write file", temporary, e);
    }
    rename(temporary, target);
    syncDirectory(directory);
    if (options.markDone()) {
      markDone(history.fileName());
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The open segment is forced and left {@code .partial} when incomplete ({@code not renaming
   * "%s", segment is not complete}), the flusher stops, the spare file is deleted and the
   * directory forced. A flusher failure that was not yet thrown by another call is thrown here,
   * after the resources are released.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean interrupted = false;
    lock.lock();
    try {
      if (current != null && failure == null) {
        jobs.addLast(new ClosePartial(current, written, epoch));
        current = null;
      }
      stopping = true;
      work.signal();
    } finally {
      lock.unlock();
    }
    while (true) {
      try {
        flusher.join();
        break;
      } catch (InterruptedException e) {
        // Keep waiting: leaving the flusher mid-rename would leave the directory in a state
        // the next run has to repair. The interrupt is restored below.
        interrupted = true;
      }
    }
    releaseAfterStop();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (failure == null) {
      syncDirectory(directory);
    }
    if (failure != null && !failureReported) {
      checkFailure();
    }
  }

  /** After the flusher has ended: close whatever a failure left open, drop the spare. */
  private void releaseAfterStop() {
    closeQuietly(current);
    closeQuietly(spare);
    closeQuietly(spareInProgress);
    for (Job job : jobs) {
      if (job instanceof Complete c) {
        closeQuietly(c.file);
      } else if (job instanceof Activate a) {
        closeQuietly(a.file);
      } else if (job instanceof ClosePartial p) {
        closeQuietly(p.file);
      } else if (job instanceof OpenFirst o) {
        closeQuietly(o.result);
      }
    }
    current = null;
    spare = null;
    spareInProgress = null;
    jobs.clear();
    for (Path path : new Path[] {sparePath, spareDirectory}) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // Another program's file in the hidden directory: leave both in place.
        LOG.log(Level.WARNING, "could not remove \"" + path + "\": " + e.getMessage());
        break;
      }
    }
  }

  private static void closeQuietly(SegmentFile file) {
    if (file != null) {
      try {
        file.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "could not close file \"" + file + "\": " + e.getMessage());
      }
    }
  }

  private void checkUsable() {
    if (closed) {
      throw new IllegalStateException("segment file sink is closed");
    }
    checkFailure();
  }

  /** Rethrows a flusher failure on the calling thread, with the flusher's exception as cause. */
  private void checkFailure() {
    PgException f = failure;
    if (f != null) {
      failureReported = true;
      throw new PgException(f.sqlState(), f.getMessage(), f.detail(), f.hint(), f);
    }
  }

  /** Waits on {@link #progress}; the caller holds the lock and loops on its condition. */
  @SuppressWarnings("WaitNotInLoop") // every caller re-checks its condition around this call
  private void awaitProgress(String what) {
    try {
      progress.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PgException(
          SqlState.QUERY_CANCELED, "interrupted while waiting for " + what, e);
    }
  }

  // =====================================================================================
  // Flusher thread
  // =====================================================================================

  /** Work for the flusher, done strictly in queue order. */
  private interface Job {}

  /** A full segment: force, close, rename to its final name, force the directory, publish. */
  private record Complete(SegmentFile file, long epoch) implements Job {}

  /** A spare the receive thread started writing into: rename it to {@code <segment>.partial}. */
  private record Activate(SegmentFile file) implements Job {}

  /** An incomplete segment left behind: force, close, keep {@code .partial}, publish its end. */
  private record ClosePartial(SegmentFile file, long end, long epoch) implements Job {}

  /** Open (or reuse) the first segment of a timeline; the receive thread waits for it. */
  private static final class OpenFirst implements Job {
    final SegmentName segment;
    /** Set by the flusher under the lock. */
    SegmentFile result;

    boolean done;

    OpenFirst(SegmentName segment) {
      this.segment = segment;
    }
  }

  private void runFlusher() {
    try {
      while (true) {
        Job job = null;
        boolean flush = false;
        boolean spareStep = false;
        SegmentFile snapshotFile = null;
        long snapshotTarget = 0;
        long snapshotEpoch = 0;
        long snapshotPublished = 0;
        lock.lock();
        try {
          while (true) {
            if (failure != null) {
              return;
            }
            if (!jobs.isEmpty()) {
              job = jobs.pollFirst();
              break;
            }
            if (spareWanted && spare == null) {
              spareStep = true;
              break;
            }
            if (flushRequested) {
              // The queue is empty, so every segment before `current` is already complete and
              // durable: forcing `current` covers every byte below `written` (group commit).
              flushRequested = false;
              flush = true;
              snapshotFile = current;
              // Compressed, only WAL pushed out of the compressor is in the file.
              snapshotTarget = compressed && sync ? flushable : written;
              snapshotEpoch = epoch;
              snapshotPublished = published;
              break;
            }
            if (stopping) {
              return;
            }
            if (spare == null && current != null) {
              spareStep = true;
              break;
            }
            work.await();
          }
        } finally {
          lock.unlock();
        }
        if (job != null) {
          run(job);
        } else if (flush) {
          flushCurrent(snapshotFile, snapshotTarget, snapshotPublished, snapshotEpoch);
        } else if (spareStep) {
          prepareSpareStep();
        }
      }
    } catch (PgException e) {
      recordFailure(e);
    } catch (InterruptedException e) {
      recordFailure(new PgException(SqlState.QUERY_CANCELED, "WAL flusher interrupted", e));
    } catch (RuntimeException | Error e) {
      recordFailure(
          new PgException(SqlState.INTERNAL_ERROR, "WAL flusher failed: " + e, e));
    }
  }

  private void recordFailure(PgException e) {
    lock.lock();
    try {
      if (failure == null) {
        failure = e;
      }
      progress.signalAll();
      work.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void run(Job job) {
    if (job instanceof Complete c) {
      complete(c);
    } else if (job instanceof Activate a) {
      activate(a.file);
    } else if (job instanceof ClosePartial p) {
      closePartial(p);
    } else if (job instanceof OpenFirst o) {
      openFirst(o);
    } else {
      throw new IllegalStateException("unknown job " + job);
    }
  }

  private void complete(Complete job) {
    SegmentFile file = job.file;
    SegmentName segment = file.segment();
    Path partial = file.path();
    Path target = directory.resolve(segment.fileName() + compression.extension());
    finish(file);
    try {
      if (sync) {
        timedForce(file, true);
      }
      file.close();
    } catch (IOException e) {
      throw ioError("could not fsync file", partial, e);
    }
    rename(partial, target);
    file.movedTo(target);
    syncDirectory(directory);
    if (options.markDone()) {
      markDone(segment.fileName());
    }
    publish(segment.endLsn().value(), job.epoch);
    segmentListener.segmentCompleted(segment);
  }

  /**
   * Gives a spare its {@code .partial} name. Runs after the previous segment's {@link Complete},
   * so a {@code .partial} of the next segment never exists beside an incomplete one.
   */
  private void activate(SegmentFile file) {
    Path target = partialPath(file.segment());
    // An existing .partial of this segment would be reused by pg_receivewal when it is 0 bytes or
    // full size; replacing it by our zero-filled file gives the same result. Other sizes are the
    // same error as at a timeline start. A compressed one is rewritten from scratch anyway.
    checkReusableSize(target);
    takeSpare(file, target);
  }

  /**
   * Moves the spare into the output directory under {@code target}: rename, then force the
   * directory it entered and the one it left (the file itself was forced when it was prepared).
   */
  private void takeSpare(SegmentFile file, Path target) {
    rename(file.path(), target);
    file.movedTo(target);
    syncDirectory(directory);
    syncDirectory(spareDirectory);
  }

  private void closePartial(ClosePartial job) {
    SegmentFile file = job.file;
    // Compressed: a complete stream of what was written, as pg_receivewal leaves it.
    finish(file);
    try {
      if (sync) {
        timedForce(file, true);
      }
      file.close();
    } catch (IOException e) {
      throw ioError("could not fsync file", file, e);
    }
    // A spare that was taken but never written into keeps its temporary name until Activate.
    syncDirectory(directory);
    if (LOG.isLoggable(Level.DEBUG)) {
      LOG.log(Level.DEBUG, "not renaming \"" + file.path().getFileName()
          + "\", segment is not complete");
    }
    publish(job.end, job.epoch);
  }

  /** Writes a compressed file's trailer; the receive thread has handed the file over. */
  private static void finish(SegmentFile file) {
    try {
      file.finish();
    } catch (IOException e) {
      throw ioError("could not write to file", file, e);
    }
  }

  private void openFirst(OpenFirst job) {
    Path partial = partialPath(job.segment);
    SegmentFile file;
    long size = checkReusableSize(partial);
    if (size >= 0) {
      // Resume: rewrite the segment from offset 0 in the existing file (pg_receivewal's rules).
      FileChannel channel;
      try {
        channel = channels.open(partial, REOPEN);
      } catch (IOException e) {
        throw ioError("could not open file", partial, e);
      }
      file = new SegmentFile(channel, partial, job.segment);
      try {
        if (compressed) {
          // pg_receivewal restarts a compressed segment from its start; stale bytes past the
          // new stream's end would make the file undecodable.
          channel.truncate(0);
        } else if (size == 0) {
          zeroFill(channel, 0, segmentBytes);
        }
        if (sync) {
          channel.force(true);
        }
      } catch (IOException e) {
        closeQuietly(file);
        throw ioError("could not write to file", partial, e);
      }
    } else {
      while (spare == null) {
        prepareSpareStep();
      }
      lock.lock();
      try {
        file = spare;
        spare = null;
      } finally {
        lock.unlock();
      }
      file.assign(job.segment);
      takeSpare(file, partial);
    }
    if (compressed) {
      try {
        file.encode(compression);
      } catch (IOException e) {
        closeQuietly(file);
        throw ioError("could not write to file", partial, e);
      }
    }
    syncDirectory(directory);
    lock.lock();
    try {
      job.result = file;
      job.done = true;
      progress.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The size of an existing {@code .partial}, -1 when there is none.
   *
   * @throws PgException 58030 when it is neither 0 nor the segment size (uncompressed files only:
   *     a compressed one is rewritten whatever its size)
   */
  private long checkReusableSize(Path partial) {
    long size;
    try {
      size = Files.size(partial);
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException e) {
      throw ioError("could not stat file", partial, e);
    }
    if (!compressed && size != 0 && size != segmentBytes) {
      throw new PgException(
          SqlState.IO_ERROR,
          "write-ahead log file \""
              + partial.getFileName()
              + "\" has "
              + size
              + " bytes, should be 0 or "
              + segmentBytes);
    }
    return size;
  }

  /**
   * One force covers every byte written into {@code file} before {@code target} was read; only
   * then is {@code target} published (DESIGN.md durability rule 1).
   */
  private void flushCurrent(
      SegmentFile file, long target, long alreadyPublished, long snapshotEpoch) {
    if (Long.compareUnsigned(target, alreadyPublished) <= 0) {
      return;
    }
    if (sync && file != null && Long.compareUnsigned(file.startLsn(), target) < 0) {
      try {
        // fdatasync is enough: an uncompressed file is pre-sized, so its length never changes;
        // a compressed file grows, and fdatasync includes the size needed to read the data.
        timedForce(file, false);
      } catch (IOException e) {
        throw ioError("could not fsync file", file, e);
      }
    }
    publish(target, snapshotEpoch);
  }

  /** Forces a WAL file and tells the {@link SyncListener} how long it took. */
  private void timedForce(SegmentFile file, boolean metadata) throws IOException {
    long started = System.nanoTime();
    file.force(metadata);
    syncListener.synced(System.nanoTime() - started);
  }

    private void publish(long position, long snapshotEpoch) {
    boolean advanced = false;
    lock.lock();
    try {
      if (snapshotEpoch == epoch && Long.compareUnsigned(position, published) > 0) {
        published = position;
        durable = position;
        advanced = true;
      }
      progress.signalAll();
    } finally {
      lock.unlock();
    }
    if (advanced) {
      durableListener.accept(position);
    }
  }

  /**
   * Prepares the spare file one {@link #ZERO_CHUNK} at a time, so that a flush request or a job
   * arriving meanwhile waits for at most one chunk. A compressed spare is just an empty file.
   */
  private void prepareSpareStep() {
    try {
      if (spareInProgress == null) {
        if (!Files.isDirectory(spareDirectory)) {
          Files.createDirectories(spareDirectory, directoryAttributes);
          syncDirectory(directory);
        }
        Files.deleteIfExists(sparePath);
        spareInProgress =
            new SegmentFile(channels.open(sparePath, CREATE_NEW, fileAttributes), sparePath, null);
        spareFilled = 0;
      }
      if (!compressed) {
        FileChannel channel = spareInProgress.channel();
        zeroFill(channel, spareFilled, ZERO_CHUNK);
        spareFilled += ZERO_CHUNK;
        if (spareFilled < segmentBytes) {
          return;
        }
        if (sync) {
          channel.force(true);
        }
      }
    } catch (IOException e) {
      throw ioError("could not write to file", sparePath, e);
    }
    lock.lock();
    try {
      spare = spareInProgress;
      spareInProgress = null;
      progress.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Writes real zero blocks: a sparse file would allocate (and could fail) on every write. */
  private void zeroFill(FileChannel channel, long from, long length) throws IOException {
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

  // =====================================================================================
  // Both threads
  // =====================================================================================

  private Path partialPath(SegmentName segment) {
    return directory.resolve(segment.fileName() + compression.extension()
        + (options.partialSuffix() ? PARTIAL_SUFFIX : ""));
  }

  private static void rename(Path from, Path to) {
    if (from.equals(to)) {
      return; // no .partial suffix: the segment already has its final name
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw ioError("could not rename file \"" + from + "\" to", to, e);
    }
  }

  /** Forces a directory so that creates and renames in it survive a crash. */
  private void syncDirectory(Path dir) {
    if (!sync) {
      return;
    }
    try (FileChannel channel = channels.open(dir, READ)) {
      channel.force(true);
    } catch (IOException e) {
      throw ioError("could not fsync directory", dir, e);
    }
  }

  /** {@code archive_status/<name>.done}, empty, durable (pg_basebackup's mark_file_as_archived). */
  private void markDone(String walFileName) {
    Path statusDirectory = directory.resolve(ARCHIVE_STATUS);
    try {
      if (!Files.isDirectory(statusDirectory)) {
        Files.createDirectories(statusDirectory, directoryAttributes);
        syncDirectory(directory);
      }
    } catch (IOException e) {
      throw ioError("could not create directory", statusDirectory, e);
    }
    Path marker = statusDirectory.resolve(walFileName + ".done");
    try (FileChannel channel = channels.open(marker, CREATE_OR_TRUNCATE, fileAttributes)) {
      if (sync) {
        channel.force(true);
      }
    } catch (IOException e) {
      throw ioError("could not create archive status file", marker, e);
    }
    syncDirectory(statusDirectory);
  }

  private static PgException ioError(String what, SegmentFile file, IOException e) {
    return ioError(what, file == null ? null : file.path(), e);
  }

  /**
   * Wraps an {@link IOException}: {@code ENOSPC} becomes 53100 (disk full), anything else 58030,
   * with pg's {@code <what> "<file>": <reason>} wording.
   */
  static PgException ioError(String what, Path file, IOException e) {
    String reason =
        e instanceof FileSystemException fse && fse.getReason() != null
            ? fse.getReason()
            : String.valueOf(e.getMessage());
    if (e instanceof NoSuchFileException) {
      reason = "No such file or directory";
    }
    SqlState state =
        reason.contains("No space left on device") ? SqlState.DISK_FULL : SqlState.IO_ERROR;
    return new PgException(state, what + " \"" + file + "\": " + reason, e);
  }
}
