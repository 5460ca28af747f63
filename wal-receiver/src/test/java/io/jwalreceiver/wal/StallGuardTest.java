// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StallGuardTest {

  @ParameterizedTest(name = "\"{0}\" = {1} ms")
  @CsvSource({
    "60s, 60000",
    "2s, 2000",
    "500ms, 500",
    "1min, 60000",
    "1h, 3600000",
    "0, 0",
    "1500, 1500",
    "garbage, 60000",
    "'', 60000"
  })
  void parsesTheSettingAsShowPrintsIt(String text, long millis) {
    assertThat(StallGuard.parseTimeout(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void sendsStatusWhileAWriteIsStuckAndNotOtherwise() throws InterruptedException {
    AtomicInteger sent = new AtomicInteger();
    try (StallGuard guard = StallGuard.start(Duration.ofMillis(200), sent::incrementAndGet)) {
      // Writes that come and go, each shorter than the guard's period: nothing is sent.
      for (int i = 0; i < 20; i++) {
        guard.enter();
        guard.exit();
        Thread.sleep(10);
      }
      assertThat(sent.get()).isZero();
      // One write stuck for several periods: status updates go out meanwhile.
      guard.enter();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (sent.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      guard.exit();
      assertThat(sent.get()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void aDisabledTimeoutStartsNoThread() {
    AtomicInteger sent = new AtomicInteger();
    try (StallGuard guard = StallGuard.start(Duration.ZERO, sent::incrementAndGet)) {
      guard.enter();
      guard.exit();
    }
    assertThat(sent.get()).isZero();
  }
}
