// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.wal.segment.FlushJob.Activate;
import io.jwalreceiver.wal.segment.FlushJob.ClosePartial;
import io.jwalreceiver.wal.segment.FlushJob.Complete;
import io.jwalreceiver.wal.segment.FlushJob.OpenFirst;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The {@code wal-flusher} thread of a {@link SegmentFileSink} and the state it shares with the
 * receive thread. It does all the slow work in order: completes segments (force, close, rename,
 * force the directory), leaves segments {@code .partial}, serves flush requests (one force covers
 * every byte written before it started: group commit) and prepares the {@link SpareFile}. The
 * file-system steps of each job are {@link SegmentLifecycle}'s; the order, the hand-over and the
 * positions are this class's.
 *
 * <p>The durability invariant lives here: {@link #durable()} advances only in {@link #publish}, on
 * this thread, after the force that covers the position (or, for a segment end, after the segment
 * was forced, renamed and the rename made durable). The receive thread only hands work over, under
 * {@link #lock}, through the methods in the first part of this class.
 */
final class Flusher {

  private final SpareFile spareFile;
  private final SegmentLifecycle files;
  private final boolean sync;
  private final boolean compressed;
  private final Thread thread;

  // ---- shared state, guarded by lock ----
  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled when there is work for the flusher. */
  private final Condition work = lock.newCondition();

  /** Signalled when the flusher made progress (published, prepared, failed, finished a job). */
  private final Condition progress = lock.newCondition();

  /** Recorded by either thread under {@link #lock}; wakes both conditions. */
  private final FlushFailure failure = new FlushFailure(lock, progress, work);

  private final ArrayDeque<FlushJob> jobs = new ArrayDeque<>();
  private boolean flushRequested;
  private boolean stopping;

  /** Bumped by openTimeline so that a flush snapshot of the old timeline is never published. */
  private long epoch;

  /** The latest durable position (flusher-published); mirrored in {@link #durable}. */
  private long published;

  /** A zero-filled spare ready to be taken by the receive thread. */
  private @Nullable SegmentFile spare;

  /** The receive thread is waiting for {@link #spare}: spare preparation beats flushes. */
  private boolean spareWanted;

  /** Written by the receive thread under the lock, read by the flusher under the lock. */
  private @Nullable SegmentFile current;

  // ---- published state ----
  private volatile long written;

  /**
   * Compressed and synced: the end of the WAL whose compressed bytes are in the file (the last
   * compressor flush or segment end), the most a force can make durable. Uncompressed it is not
   * used: every written byte is in the file.
   */
  private volatile long flushable;

  private volatile long durable;
  private volatile LongConsumer durableListener = position -> {};
  private volatile SegmentListener segmentListener = segment -> {};

  Flusher(SegmentDirectory directory, SpareFile spareFile) {
    this.spareFile = spareFile;
    this.files = new SegmentLifecycle(directory, spareFile);
    this.sync = directory.sync();
    this.compressed = directory.compressed();
    this.thread = new Thread(this::run, "wal-flusher");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void onDurable(LongConsumer listener) {
    durableListener = listener;
  }

  void onSegmentCompleted(SegmentListener listener) {
    segmentListener = listener;
  }

  void onSync(SyncListener listener) {
    files.onSync(listener);
  }

  // =====================================================================================
  // Called by the receive thread
  // =====================================================================================

  long written() {
    return written;
  }

  long durable() {
    return durable;
  }

  /** The segment the receive thread writes into; read without the lock by the receive thread. */
  @Nullable SegmentFile current() {
    return current;
  }

  /** The receive thread wrote up to {@code position} inside the current segment. */
  void advanceWritten(long position) {
    written = position;
  }

  /** Compressed: everything written is now in the file, so a force may cover it. */
  void markAllFlushable() {
    flushable = written;
  }

  /**
   * Leaves the current segment {@code .partial}, opens (or reuses) {@code first} and waits for it;
   * then every position becomes {@code startLsn}.
   *
   * @return false when the flusher failed meanwhile (see {@link FlushFailure#check})
   */
  boolean openTimeline(SegmentName first, long startLsn) {
    OpenFirst request = new OpenFirst(first);
    lock.lock();
    try {
      SegmentFile open = current;
      if (open != null) {
        jobs.addLast(new ClosePartial(open, written, epoch));
        current = null;
      }
      jobs.addLast(request);
      work.signal();
      while (!request.done && !failure.happened()) {
        awaitProgress("the first segment of timeline " + first.timeline());
      }
      if (failure.happened()) {
        return false;
      }
      epoch++;
      current = request.result;
      written = startLsn;
      flushable = startLsn;
      published = startLsn;
      durable = startLsn;
      // Wakes the flusher to prepare the spare for the next segment.
      work.signal();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The receive thread has filled {@code segment}: hand it over for force, rename and directory
   * force. {@code written} moves to the segment end under the lock, together with the queued job,
   * so a flush snapshot never sees the end without the job (see {@link #run}).
   */
  void segmentFilled(SegmentFile segment, long end) {
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
   * Takes the pre-zeroed spare for {@code segment}. In steady state it is ready; otherwise (the
   * disk is slower than the network) the receive thread waits for it, which is the back-pressure we
   * want. The flusher renames it to {@code <segment>.partial} after the previous segment's rename.
   */
  SegmentFile takeSpare(SegmentName segment) {
    lock.lock();
    try {
      SegmentFile ready;
      while ((ready = spare) == null && !failure.happened()) {
        spareWanted = true;
        work.signal();
        awaitProgress("a pre-zeroed segment file");
      }
      spareWanted = false;
      failure.check();
      if (ready == null) {
        throw new IllegalStateException("no spare without a failure");
      }
      spare = null;
      ready.assign(segment);
      current = ready;
      jobs.addLast(new Activate(ready));
      work.signal();
      return ready;
    } finally {
      lock.unlock();
    }
  }

  /** Asks for a force of everything written, without waiting. Allocation-free. */
  void requestFlush() {
    lock.lock();
    try {
      flushRequested = true;
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Asks for a force and waits until everything written before the call is durable. */
  void flushAndWait() {
    long target = written;
    lock.lock();
    try {
      flushRequested = true;
      work.signal();
      while (!failure.happened() && Long.compareUnsigned(published, target) < 0) {
        awaitProgress("the WAL flush");
      }
    } finally {
      lock.unlock();
    }
    failure.check();
  }

  /** The flusher's failure, which the receive thread checks and rethrows. */
  FlushFailure failure() {
    return failure;
  }

  /**
   * Leaves the open segment {@code .partial} (unless the flusher failed), stops the thread, waits
   * for it, then closes whatever a failure left open and removes the spare. An interrupt does not
   * cut the wait short (leaving the flusher mid-rename would leave the directory in a state the
   * next run has to repair); it is restored afterwards.
   */
  void stop() {
    boolean interrupted = false;
    lock.lock();
    try {
      SegmentFile open = current;
      if (open != null && !failure.happened()) {
        jobs.addLast(new ClosePartial(open, written, epoch));
        current = null;
      }
      stopping = true;
      work.signal();
    } finally {
      lock.unlock();
    }
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    SegmentFile.closeQuietly(current);
    SegmentFile.closeQuietly(spare);
    for (FlushJob job : jobs) {
      SegmentFile.closeQuietly(job.file());
    }
    current = null;
    spare = null;
    jobs.clear();
    spareFile.remove();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits on {@link #progress}; the caller holds the lock and loops on its condition. */
  @SuppressWarnings("WaitNotInLoop") // every caller re-checks its condition around this call
  private void awaitProgress(String what) {
    try {
      progress.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PgException(SqlState.QUERY_CANCELED, "interrupted while waiting for " + what, e);
    }
  }

  // =====================================================================================
  // The flusher thread
  // =====================================================================================

  private void run() {
    try {
      while (true) {
        FlushJob job = null;
        boolean flush = false;
        boolean spareStep = false;
        SegmentFile snapshotFile = null;
        long snapshotTarget = 0;
        long snapshotEpoch = 0;
        long snapshotPublished = 0;
        lock.lock();
        try {
          while (true) {
            if (failure.happened()) {
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
          runJob(job);
        } else if (flush) {
          flushCurrent(snapshotFile, snapshotTarget, snapshotPublished, snapshotEpoch);
        } else if (spareStep) {
          prepareSpareStep();
        }
      }
    } catch (InterruptedException | RuntimeException | Error e) {
      failure.recordThrown(e);
    }
  }

  private void runJob(FlushJob job) {
    if (job instanceof Complete c) {
      complete(c);
    } else if (job instanceof Activate a) {
      files.activate(a.file());
    } else if (job instanceof ClosePartial p) {
      closePartial(p);
    } else if (job instanceof OpenFirst o) {
      openFirst(o);
    } else {
      throw new IllegalStateException("unknown job " + job);
    }
  }

  private void complete(Complete job) {
    SegmentFile file = job.file();
    SegmentName segment = file.segment();
    files.complete(file);
    publish(segment.endLsn().value(), job.epoch());
    segmentListener.segmentCompleted(segment);
  }

  private void closePartial(ClosePartial job) {
    files.leavePartial(job.file());
    publish(job.end(), job.epoch());
  }

  private void openFirst(OpenFirst job) {
    SegmentFile file = files.reopen(job.segment);
    if (file == null) {
      SegmentFile ready;
      lock.lock();
      try {
        ready = spare;
        spare = null;
      } finally {
        lock.unlock();
      }
      while (ready == null) {
        ready = spareFile.step();
      }
      files.install(ready, job.segment);
      file = ready;
    }
    files.ready(file);
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
   * One force covers every byte written into {@code file} before {@code target} was read; only then
   * is {@code target} published (DESIGN.md durability rule 1).
   */
  private void flushCurrent(
      @Nullable SegmentFile file, long target, long alreadyPublished, long snapshotEpoch) {
    if (Long.compareUnsigned(target, alreadyPublished) <= 0) {
      return;
    }
    if (sync && file != null && Long.compareUnsigned(file.startLsn(), target) < 0) {
      files.forceData(file);
    }
    publish(target, snapshotEpoch);
  }

  /** The only place the durable position advances. */
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

  /** One step of the spare; a finished spare is handed over under the lock. */
  private void prepareSpareStep() {
    SegmentFile ready = spareFile.step();
    if (ready == null) {
      return;
    }
    lock.lock();
    try {
      spare = ready;
      progress.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
