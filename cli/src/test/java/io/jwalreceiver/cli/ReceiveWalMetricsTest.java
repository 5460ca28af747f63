// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.wal.WalReceiver;
import java.lang.management.ManagementFactory;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

/** The metrics adapter on the receive path: what it costs per message. */
class ReceiveWalMetricsTest {

  private static final int MESSAGES = 1_000_000;

  @Test
  void perMessageCallbacksDoNotAllocate() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (ReceiveWalMetrics metrics =
        new ReceiveWalMetrics(new WalReceiver.Listener() {}, InstantSource.system())) {
      metrics.streamingStarted(TimelineId.FIRST, Lsn.of(0));
      long end = run(metrics, 0); // warm up: link the VarHandles, let the JIT compile
      long before = threads.getCurrentThreadAllocatedBytes();
      run(metrics, end);
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      // The measuring call itself may allocate a little; per message it must be nothing.
      assertThat(allocated).as("bytes allocated over %d messages", MESSAGES).isLessThan(1024);
    }
  }

  private static long run(ReceiveWalMetrics metrics, long from) {
    long end = from;
    for (int i = 0; i < MESSAGES; i++) {
      end += 8192;
      metrics.serverWalEnd(end + 65536);
      metrics.received(end);
    }
    return end;
  }
}
