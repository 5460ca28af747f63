// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Objects;
import org.junit.jupiter.api.Test;

class AckLatencyTest {

  private static final long MS = 1_000_000;

  @Test
  void nothingAcknowledgedMeansNoSummary() {
    AckLatency a = new AckLatency();
    a.arrived(100, 0);
    a.acknowledged(0, 5 * MS);
    assertThat(a.summary()).isNull();
  }

  @Test
  void anAcknowledgementCoversEveryMessageUpToItsFlushPosition() {
    AckLatency a = new AckLatency();
    a.arrived(100, 0);
    a.arrived(200, 1 * MS);
    a.arrived(300, 2 * MS);
    // Flush 200 covers the first two messages, not the third.
    a.acknowledged(200, 4 * MS);
    AckLatency.Summary s = Objects.requireNonNull(a.summary());
    assertThat(s.count()).isEqualTo(2);
    assertThat(s.maxMs()).isBetween(3.99, 4.01);
    assertThat(s.unmeasured()).isEqualTo(1);
    // A later update with a higher flush covers the third; the first two are not counted again.
    a.acknowledged(300, 12 * MS);
    s = Objects.requireNonNull(a.summary());
    assertThat(s.count()).isEqualTo(3);
    assertThat(s.maxMs()).isBetween(9.99, 10.01);
    assertThat(s.p50Ms()).isBetween(3.99, 4.01); // of 4, 3 and 10 ms
    assertThat(s.unmeasured()).isZero();
  }

  @Test
  void aFullRingCountsFurtherMessagesAsUnmeasured() {
    AckLatency a = new AckLatency();
    for (int i = 1; i <= AckLatency.CAPACITY + 10; i++) {
      a.arrived(i, i);
    }
    a.acknowledged(Long.MAX_VALUE, AckLatency.CAPACITY + 20);
    AckLatency.Summary s = Objects.requireNonNull(a.summary());
    assertThat(s.count()).isEqualTo(AckLatency.CAPACITY);
    assertThat(s.unmeasured()).isEqualTo(10);
  }
}
