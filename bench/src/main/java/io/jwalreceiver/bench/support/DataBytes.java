// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH secondary results for byte-moving benchmarks: {@code ·inBytes} (bytes consumed) and {@code
 * ·outBytes} (bytes produced, where there is an output, e.g. compressed bytes). In throughput mode
 * JMH reports both per second (divide by 1e6 for MB/s); outBytes ÷ inBytes is the compression
 * ratio.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class DataBytes {

  /** Input bytes of the current iteration. */
  public long inBytes;

  /** Output bytes of the current iteration. */
  public long outBytes;

  /** JMH resets counters per iteration. */
  @Setup(Level.Iteration)
  public void reset() {
    inBytes = 0;
    outBytes = 0;
  }
}
