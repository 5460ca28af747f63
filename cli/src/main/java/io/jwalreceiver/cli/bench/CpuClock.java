// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time used by this process since a mark, -1 where the platform reports none.
 *
 * <p>Two readings, both lower bounds, and the larger one is reported: the process CPU time of the
 * JDK's {@code com.sun.management.OperatingSystemMXBean} (every thread, JIT and GC included, but in
 * clock ticks: 10 ms on Linux, so a run shorter than a tick can read 0), and the sum of the
 * per-thread CPU times of {@link ThreadMXBean} (nanosecond clocks, but only Java threads still
 * alive at the end). Short runs are then measured by the fine clock and long ones by the complete
 * one.
 */
final class CpuClock {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private volatile long processMark;
  private volatile Map<Long, Long> threadMarks = Map.of();

  /** Remembers the current CPU time. */
  void mark() {
    threadMarks = threadCpuNanos();
    processMark = processCpuNanos();
  }

  /** CPU seconds since {@link #mark}, or -1 when unavailable. */
  double secondsSinceMark() {
    long process = processCpuNanos();
    Map<Long, Long> now = threadCpuNanos();
    long processDelta = process < 0 || processMark < 0 ? -1 : process - processMark;
    long threadDelta = -1;
    if (!now.isEmpty()) {
      Map<Long, Long> marks = threadMarks;
      threadDelta = 0;
      for (Map.Entry<Long, Long> e : now.entrySet()) {
        // A thread started after the mark counts from zero.
        threadDelta += Math.max(0, e.getValue() - marks.getOrDefault(e.getKey(), 0L));
      }
    }
    long best = Math.max(processDelta, threadDelta);
    return best < 0 ? -1 : best / 1e9;
  }

  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** CPU nanoseconds of every live Java thread by id; empty where not supported. */
  static Map<Long, Long> threadCpuNanos() {
    if (!THREADS.isThreadCpuTimeSupported() || !THREADS.isThreadCpuTimeEnabled()) {
      return Map.of();
    }
    Map<Long, Long> m = new HashMap<>();
    for (long id : THREADS.getAllThreadIds()) {
      long t = THREADS.getThreadCpuTime(id);
      if (t >= 0) {
        m.put(id, t);
      }
    }
    return m;
  }
}
