// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import java.lang.management.ManagementFactory;

/**
 * Process CPU time (all threads: receive, flusher, JIT, GC), from the JDK's {@code
 * com.sun.management.OperatingSystemMXBean}; -1 where the platform does not report it.
 */
final class CpuClock {

  private volatile long mark;

  /** Remembers the current CPU time. */
  void mark() {
    mark = processCpuNanos();
  }

  /** CPU seconds since {@link #mark}, or -1 when unavailable. */
  double secondsSinceMark() {
    long now = processCpuNanos();
    return now < 0 || mark < 0 ? -1 : (now - mark) / 1e9;
  }

  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }
}
