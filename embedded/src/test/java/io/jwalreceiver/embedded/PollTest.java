// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PollTest {

  @Test
  void returnsOnceTheConditionHoldsCountingExceptionsAsNotYet() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Poll.until(
        Duration.ofSeconds(10),
        () -> {
          int n = calls.incrementAndGet();
          if (n == 1) {
            throw new IllegalStateException("not accepting connections yet");
          }
          return n >= 3;
        });
    assertThat(calls).hasValue(3);
  }

  @Test
  void timesOutWithTheLastFailureOfTheCondition() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                Poll.until(
                    Duration.ofMillis(350),
                    () -> {
                      if (calls.incrementAndGet() % 2 == 1) {
                        throw new IllegalStateException("failure " + calls.get());
                      }
                      return false;
                    }))
        .isInstanceOfSatisfying(
            Poll.TimedOut.class,
            e -> {
              assertThat(e).hasMessage("timed out after 0 s");
              RuntimeException last = e.lastFailure();
              assertThat(last).isNotNull().hasMessageStartingWith("failure ");
              assertThat(e.getCause()).isSameAs(last);
            });
    assertThat(calls.get()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void timesOutWithoutAFailureWhenTheConditionOnlyReturnedFalse() {
    assertThatThrownBy(() -> Poll.until(Duration.ofMillis(150), () -> false))
        .isInstanceOfSatisfying(Poll.TimedOut.class, e -> assertThat(e.lastFailure()).isNull());
  }

  @Test
  void anInterruptStopsTheWait() {
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> Poll.until(Duration.ofSeconds(10), () -> false))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).isFalse();
  }
}
