// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class StatusScheduleTest {

  private final ManualClock clock = new ManualClock(1_000_000);

  @Test
  void isDueOnceTheIntervalHasPassedSinceTheLastUpdate() {
    StatusSchedule schedule = new StatusSchedule(clock, Duration.ofSeconds(10));
    clock.millis += 9_999;
    assertThat(schedule.due()).isFalse();
    clock.millis += 1;
    assertThat(schedule.due()).isTrue();
    schedule.restart();
    assertThat(schedule.due()).isFalse();
    clock.millis += 10_000;
    assertThat(schedule.due()).isTrue();
  }

  @Test
  void aReplyRestartsTheInterval() {
    StatusSchedule schedule = new StatusSchedule(clock, Duration.ofSeconds(10));
    clock.millis += 6_000;
    assertThat(schedule.answerKeepalive(true)).isTrue();
    schedule.restart();
    clock.millis += 6_000;
    assertThat(schedule.due()).as("6 s after the reply").isFalse();
    clock.millis += 4_000;
    assertThat(schedule.due()).isTrue();
  }

  @Test
  void aKeepaliveWithoutTheReplyFlagNeedsNoAnswer() {
    StatusSchedule schedule = new StatusSchedule(clock, Duration.ofSeconds(10));
    assertThat(schedule.answerKeepalive(false)).isFalse();
  }

  @Test
  void aZeroIntervalIsNeverDueButRepliesStillGoOut() {
    StatusSchedule schedule = new StatusSchedule(clock, Duration.ZERO);
    clock.millis += 86_400_000L;
    assertThat(schedule.due()).isFalse();
    assertThat(schedule.answerKeepalive(true)).isTrue();
    assertThat(schedule.pollMillis()).isEqualTo(StatusSchedule.POLL_SLICE_MILLIS);
  }

  @Test
  void pollsUntilTheDeadlineInSlicesOfAtMostHalfASecondAndAtLeastOneMillisecond() {
    StatusSchedule schedule = new StatusSchedule(clock, Duration.ofMillis(1_200));
    assertThat(schedule.pollMillis()).isEqualTo(500);
    clock.millis += 1_000;
    assertThat(schedule.pollMillis()).isEqualTo(200);
    clock.millis += 200;
    assertThat(schedule.pollMillis()).isEqualTo(1);
    clock.millis += 5_000;
    assertThat(schedule.pollMillis()).isEqualTo(1);
  }
}
