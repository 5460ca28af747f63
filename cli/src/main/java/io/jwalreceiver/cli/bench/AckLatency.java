// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * Acknowledgement latency for {@code bench wal --synchronous}: for every XLogData message, the time
 * from its arrival (ending at LSN X) to the first status update sent with a flush position ≥ X.
 *
 * <p>Arrivals are kept in a fixed ring of primitive arrays (no allocation per message); a status
 * update pops every arrival it covers into an HdrHistogram (microseconds, 3 significant digits).
 * Arrivals come from the receive thread, status updates from it and from the sink's flusher thread,
 * so both run under one lock, held for a few array operations. When the ring is full (the flusher
 * more than {@value #CAPACITY} messages behind) further arrivals are counted as unsampled.
 */
final class AckLatency {

  static final int CAPACITY = 1 << 16;

  private final ReentrantLock lock = new ReentrantLock();
  private final long[] ends = new long[CAPACITY];
  private final long[] arrivals = new long[CAPACITY];
  private final Histogram micros = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
  private int head;
  private int size;
  private long unsampled;

  /** A message ending at {@code end} arrived at {@code nanoTime}. */
  void arrived(long end, long nanoTime) {
    lock.lock();
    try {
      if (size == CAPACITY) {
        unsampled++;
        return;
      }
      int i = (head + size) & (CAPACITY - 1);
      ends[i] = end;
      arrivals[i] = nanoTime;
      size++;
    } finally {
      lock.unlock();
    }
  }

  /** A status update reporting {@code flush} went out at {@code nanoTime}. */
  void acknowledged(long flush, long nanoTime) {
    if (flush == 0) {
      return;
    }
    lock.lock();
    try {
      while (size > 0 && Long.compareUnsigned(ends[head], flush) <= 0) {
        long us = Math.max(0, (nanoTime - arrivals[head]) / 1000);
        micros.recordValue(Math.min(us, micros.getHighestTrackableValue()));
        head = (head + 1) & (CAPACITY - 1);
        size--;
      }
    } finally {
      lock.unlock();
    }
  }

  /** The percentiles so far (milliseconds), or null when nothing was acknowledged. */
  @Nullable Summary summary() {
    lock.lock();
    try {
      if (micros.getTotalCount() == 0) {
        return null;
      }
      return new Summary(
          micros.getTotalCount(),
          micros.getValueAtPercentile(50) / 1000.0,
          micros.getValueAtPercentile(99) / 1000.0,
          micros.getValueAtPercentile(99.9) / 1000.0,
          micros.getMaxValue() / 1000.0,
          unsampled + size);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Acknowledgement latency percentiles.
   *
   * @param count messages measured
   * @param p50Ms median, in milliseconds
   * @param p99Ms 99th percentile
   * @param p999Ms 99.9th percentile
   * @param maxMs the largest
   * @param unmeasured messages not measured (ring full, or not acknowledged when the run ended)
   */
  record Summary(
      long count, double p50Ms, double p99Ms, double p999Ms, double maxMs, long unmeasured) {}
}
