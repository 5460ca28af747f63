// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.session.CopyBothStream;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The stops another thread can ask a {@link WalReceiver} for: {@link #requestStop()} (SIGINT, an
 * embedder) and {@link #stopAt} (a base backup's end position, learned while streaming). Both wake
 * the stream being read and the retry delay, so that the loop sees them at once.
 */
final class StopSignals {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signal = lock.newCondition();
  private volatile boolean requested;

  /** pg_basebackup's stop point: stop once everything before it was written; -1 = none. */
  private volatile long stopAt = -1;

  /** The stream being read, woken by a stop; or null. */
  private volatile @Nullable CopyBothStream current;

  void requestStop() {
    requested = true;
    wake();
  }

  void stopAt(Lsn lsn) {
    stopAt = lsn.value();
    wake();
  }

  boolean requested() {
    return requested;
  }

  /** True once WAL up to the stop point has been written (never before anything was). */
  boolean reachedStopAt(long written) {
    long at = stopAt;
    return at != -1 && written != 0 && Long.compareUnsigned(written, at) >= 0;
  }

  /** The stream a stop should wake, or null between streams. */
  void reading(@Nullable CopyBothStream stream) {
    current = stream;
  }

  /**
   * Wakes the retry delay and the stream after a stop was set. Signalling under the lock after the
   * write is what {@link #sleepUnlessStopped} needs: it checks {@link #requested} and starts
   * waiting under the same lock, so the signal cannot fall between the two.
   */
  private void wake() {
    lock.lock();
    try {
      signal.signalAll();
    } finally {
      lock.unlock();
    }
    wakeStream();
  }

  /**
   * Ends the wait of the receive loop's poll (up to {@value StatusSchedule#POLL_SLICE_MILLIS} ms
   * otherwise): a base backup's streamer stops as soon as its end position is known and written.
   */
  private void wakeStream() {
    CopyBothStream s = current;
    if (s != null) {
      s.wakeup();
    }
  }

  /** Waits {@code d} unless a stop is requested meanwhile; an interrupt counts as a request. */
  void sleepUnlessStopped(Duration d) {
    lock.lock();
    try {
      long nanos = d.toNanos();
      while (!requested && nanos > 0) {
        nanos = signal.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      requested = true;
    } finally {
      lock.unlock();
    }
  }
}
