// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimelineIdTest {

  @ParameterizedTest(name = "{0} -> {1}, {2}")
  @CsvSource({
    "1,            00000001,   00000001.history",
    "2,            00000002,   00000002.history",
    "10,           0000000A,   0000000A.history",
    "255,          000000FF,   000000FF.history",
    "2147483647,   7FFFFFFF,   7FFFFFFF.history",
    "2147483648,   80000000,   80000000.history",
    "4294967295,   FFFFFFFF,   FFFFFFFF.history",
  })
  void formatsHexAndHistoryFileName(String decimal, String hex, String historyFileName) {
    TimelineId tli = TimelineId.parse(decimal);

    assertThat(tli.hex()).isEqualTo(hex);
    assertThat(tli.historyFileName()).isEqualTo(historyFileName);
    assertThat(tli).hasToString(decimal);
    assertThat(tli.asLong()).isEqualTo(Long.parseLong(decimal));
    assertThat(TimelineId.of(Long.parseLong(decimal))).isEqualTo(tli);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(longs = {0L, -1L, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE})
  void rejectsOutOfRangeNumber(long value) {
    assertPgException(() -> TimelineId.of(value), SqlState.INVALID_PARAMETER_VALUE)
        .hasMessage("invalid timeline " + value);
  }

  @Test
  void rejectsTimelineZero() {
    assertPgException(() -> new TimelineId(0), SqlState.INVALID_PARAMETER_VALUE)
        .hasMessage("invalid timeline 0");
  }

  @ParameterizedTest(name = "{0} > {1}")
  @CsvSource({
    "2,            1",
    "4294967295,   1",
    "2147483648,   2147483647",
  })
  void ordersUnsigned(String larger, String smaller) {
    assertThat(TimelineId.parse(larger)).isGreaterThan(TimelineId.parse(smaller));
    assertThat(TimelineId.parse(smaller)).isLessThan(TimelineId.parse(larger));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {1, 2, 0x7FFFFFFF, 0x80000000, -1})
  void roundTripsThroughText(int value) {
    TimelineId tli = new TimelineId(value);

    assertThat(TimelineId.parse(tli.toString())).isEqualTo(tli);
    assertThat(TimelineId.of(tli.asLong())).isEqualTo(tli);
  }

  @Test
  void namesTimelineOne() {
    assertThat(TimelineId.FIRST).isEqualTo(TimelineId.parse("1"));
    assertThat(TimelineId.FIRST.hex()).isEqualTo("00000001");
  }
}
