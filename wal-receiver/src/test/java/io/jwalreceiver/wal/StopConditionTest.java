// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

class StopConditionTest {

  private static InstantSource at(long millis) {
    return InstantSource.fixed(Instant.ofEpochMilli(millis));
  }

  @Test
  void onRequestNeverStopsByItself() {
    StopCondition c = StopCondition.onRequest();
    assertThat(c.passedBefore(Lsn.of(-1L))).isFalse();
    assertThat(c.reachedBy(-1L)).isFalse();
    assertThat(c.reachedAt(at(Long.MAX_VALUE))).isFalse();
  }

  @Test
  void atLsnStopsOnceWalBeyondTheEndArrived() {
    StopCondition c = StopCondition.atLsn(Lsn.parse("0/3000000"));
    assertThat(c.reachedBy(0x3000000L)).as("up to the end, exclusive").isFalse();
    assertThat(c.reachedBy(0x3000001L)).isTrue();
    assertThat(c.reachedAt(at(Long.MAX_VALUE))).isFalse();
  }

  @Test
  void atLsnComparesUnsigned() {
    StopCondition c = StopCondition.atLsn(Lsn.parse("7FFFFFFF/FFFFFFFF"));
    assertThat(c.reachedBy(0x8000000000000000L)).isTrue();
    assertThat(c.passedBefore(Lsn.of(0x8000000000000000L))).isTrue();
  }

  @Test
  void atLsnIsPassedBeforeStartOnlyWhenTheStartLiesBeyondIt() {
    StopCondition c = StopCondition.atLsn(Lsn.parse("0/3000000"));
    assertThat(c.passedBefore(Lsn.parse("0/3000000"))).isFalse();
    assertThat(c.passedBefore(Lsn.parse("0/4000000"))).isTrue();
  }

  @Test
  void atTimeStopsOnceTheClockReachesTheDeadline() {
    StopCondition c = StopCondition.atTime(Instant.ofEpochMilli(10_000));
    assertThat(c.reachedAt(at(9_999))).isFalse();
    assertThat(c.reachedAt(at(10_000))).isTrue();
    assertThat(c.reachedBy(-1L)).isFalse();
    assertThat(c.passedBefore(Lsn.of(-1L))).isFalse();
  }

  @Test
  void optionsCarryTheEndPositionAsAnLsnCondition() {
    ReceiverOptions o = ReceiverOptions.defaults();
    assertThat(o.stopCondition()).isEqualTo(StopCondition.onRequest());
    assertThat(o.endPosition()).isNull();
    ReceiverOptions withEnd = o.withEndPosition(Lsn.parse("0/5000000"));
    assertThat(withEnd.stopCondition()).isEqualTo(StopCondition.atLsn(Lsn.parse("0/5000000")));
    assertThat(withEnd.endPosition()).isEqualTo(Lsn.parse("0/5000000"));
    assertThat(withEnd.withEndPosition(null).stopCondition()).isEqualTo(StopCondition.onRequest());
  }

  @Test
  void rejectsNull() {
    assertThatThrownBy(() -> StopCondition.atLsn(nullLsn()))
        .isInstanceOf(NullPointerException.class);
  }

  @SuppressWarnings("NullAway") // deliberately null: the constructor's check is under test
  private static Lsn nullLsn() {
    return null;
  }
}
