// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The first failure of a {@link Flusher}, handed from the {@code wal-flusher} thread to the receive
 * thread: recorded once (later ones are dropped), it wakes every waiter of the flusher's lock, and
 * the receive thread rethrows it with the flusher's exception as cause. It also remembers whether a
 * call has thrown it yet, so that closing the sink throws a failure nobody has seen and no other.
 */
final class FlushFailure {

  private final ReentrantLock lock;
  private final Condition[] waiters;
  private volatile @Nullable PgException failure;

  /** Receive-thread state: a call has thrown the failure (or the receive thread hit it itself). */
  private boolean reported;

  /**
   * A failure slot that wakes {@code waiters} when it is filled.
   *
   * @param lock the flusher's lock
   * @param waiters the conditions of {@code lock} to wake when the failure is recorded
   */
  FlushFailure(ReentrantLock lock, Condition... waiters) {
    this.lock = lock;
    this.waiters = waiters.clone();
  }

  /** Records {@code e} unless a failure is already recorded, and wakes every waiter. */
  void record(PgException e) {
    lock.lock();
    try {
      if (failure == null) {
        failure = e;
      }
      for (Condition c : waiters) {
        c.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records what ended the flusher thread, as the {@link PgException} the receive thread throws.
   */
  void recordThrown(Throwable t) {
    if (t instanceof PgException e) {
      record(e);
    } else if (t instanceof InterruptedException) {
      record(new PgException(SqlState.QUERY_CANCELED, "WAL flusher interrupted", t));
    } else {
      record(new PgException(SqlState.INTERNAL_ERROR, "WAL flusher failed: " + t, t));
    }
  }

  /** A failure the receive thread hit itself and is about to throw. */
  void recordOnReceiveThread(PgException e) {
    record(e);
    reported = true;
  }

  /** Whether a failure is recorded. */
  boolean happened() {
    return failure != null;
  }

  /** Rethrows a recorded failure on the calling thread, with the flusher's exception as cause. */
  void check() {
    PgException f = failure;
    if (f != null) {
      reported = true;
      throw new PgException(f.sqlState(), String.valueOf(f.getMessage()), f.detail(), f.hint(), f);
    }
  }

  /** Like {@link #check}, for a failure no call has thrown yet. */
  void checkUnreported() {
    if (failure != null && !reported) {
      check();
    }
  }
}
