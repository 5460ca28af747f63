// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH secondary result: WAL payload bytes moved. In throughput mode JMH reports it as {@code
 * ·walBytes} in bytes per second (divide by 1e6 for MB/s) next to the primary ops/s.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class WalBytes {

  /** WAL payload bytes of the current iteration. */
  public long walBytes;

  /** JMH resets counters per iteration. */
  @Setup(Level.Iteration)
  public void reset() {
    walBytes = 0;
  }
}
