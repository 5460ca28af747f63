// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static io.jwalreceiver.PgAssertions.assertPrintsOrFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LsnTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "0/0,                 0x0",
    "0/5000028,           0x5000028",
    "16/B374D848,         0x16B374D848",
    "1/0,                 0x100000000",
    "FFFFFFFF/FFFFFFFF,   0xFFFFFFFFFFFFFFFF",
    "FFFFFFFF/0,          0xFFFFFFFF00000000",
    "80000000/1,          0x8000000000000001",
  })
  void parsesAndPrintsCanonicalForm(String text, String hex) {
    Lsn lsn = Lsn.parse(text);

    assertThat(lsn.value()).isEqualTo(Long.parseUnsignedLong(hex.substring(2), 16));
    assertThat(lsn).hasToString(text);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      longs = {0L, 1L, 0x5000028L, 0xFFFFFFFFL, 0x100000000L, Long.MAX_VALUE, Long.MIN_VALUE, -1L})
  void roundTripsThroughText(long value) {
    Lsn lsn = Lsn.of(value);

    assertThat(Lsn.parse(lsn.toString())).isEqualTo(lsn);
  }

  @ParameterizedTest(name = "{0} > {1}")
  @CsvSource({
    "FFFFFFFF/0,          1/0",
    "80000000/0,          7FFFFFFF/FFFFFFFF",
    "0/80000000,          0/7FFFFFFF",
    "1/0,                 0/FFFFFFFF",
    "FFFFFFFF/FFFFFFFF,   0/0",
    "0/1,                 0/0",
  })
  void ordersUnsigned(Lsn big, Lsn small) {
    assertThat(big).isGreaterThan(small);
    assertThat(small).isLessThan(big);
    assertThat(big.isAfter(small)).isTrue();
    assertThat(small.isBefore(big)).isTrue();
    assertThat(big.isBefore(small)).isFalse();
    assertThat(big.compareTo(Lsn.of(big.value()))).isZero();
  }

  @Test
  void sortsUnsigned() {
    List<Lsn> list =
        new ArrayList<>(
            List.of(Lsn.parse("FFFFFFFF/0"), Lsn.parse("1/0"), Lsn.INVALID, Lsn.parse("0/1")));

    list.sort(null);

    assertThat(list).map(Lsn::toString).containsExactly("0/0", "0/1", "1/0", "FFFFFFFF/0");
  }

  /**
   * {@code plus}: the sum, or (none) a count it refuses, negative or past the end of the address
   * space, with the exception and what its message mentions.
   */
  @ParameterizedTest(name = "{0} + {1} = {2}")
  @CsvSource({
    "0/0,             0,            0/0,,",
    "0/5000000,       40,           0/5000028,,",
    "0/FFFFFFFF,      1,            1/0,,",
    "0/FF000000,      16777216,     1/0,,",
    "7FFFFFFF/FFFFFFFF, 1,          80000000/0,,",
    "FFFFFFFF/FFFFFFFE, 1,          FFFFFFFF/FFFFFFFF,,",
    "0/10, -1, , java.lang.IllegalArgumentException, -1",
    "FFFFFFFF/FFFFFFFF, 1, , java.lang.ArithmeticException, FFFFFFFF/FFFFFFFF",
    "FFFFFFFF/0, 0x100000000, , java.lang.ArithmeticException, FFFFFFFF/0",
    "80000000/1, 0x7FFFFFFFFFFFFFFF, , java.lang.ArithmeticException, 80000000/1",
  })
  void addsByteCounts(
      Lsn start,
      String bytes,
      String expected,
      Class<? extends Throwable> error,
      String mentioned) {
    long count = Long.decode(bytes);
    assertPrintsOrFails(() -> start.plus(count), expected, error, mentioned);
  }

  @ParameterizedTest(name = "{0} - {1} = {2}")
  @CsvSource({
    "0/5000028,           0/5000000,            40",
    "0/5000000,           0/5000028,            -40",
    "1/0,                 0/FFFFFFFF,           1",
    "FFFFFFFF/0,          80000000/0,           0x7FFFFFFF00000000",
    "7FFFFFFF/FFFFFFFF,   0/0,                  0x7FFFFFFFFFFFFFFF",
    "0/0,                 80000000/0,           -0x8000000000000000",
    "12/34,               12/34,                0",
  })
  void measuresByteDistance(String a, String b, String distance) {
    assertThat(Lsn.parse(a).minus(Lsn.parse(b))).isEqualTo(Long.decode(distance));
  }

  @ParameterizedTest(name = "{0} - {1}")
  @CsvSource({
    "80000000/0,          0/0",
    "FFFFFFFF/0,          1/0",
    "FFFFFFFF/FFFFFFFF,   0/0",
    "0/0,                 80000000/1",
    "0/0,                 FFFFFFFF/FFFFFFFF",
  })
  void rejectsDistanceBeyondLongRange(String a, String b) {
    assertThatThrownBy(() -> Lsn.parse(a).minus(Lsn.parse(b)))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void treatsZeroAsInvalid() {
    assertThat(Lsn.INVALID.isInvalid()).isTrue();
    assertThat(Lsn.INVALID).hasToString("0/0");
    assertThat(Lsn.of(0)).isSameAs(Lsn.INVALID);
    assertThat(Lsn.parse("00000000/00000000")).isEqualTo(Lsn.INVALID);
    assertThat(Lsn.of(1).isInvalid()).isFalse();
  }

  @ParameterizedTest(name = "{0} in {1} segments starts at {2}")
  @CsvSource({
    "0/5000028,           16MB,   0/5000000",
    "0/5000000,           16MB,   0/5000000",
    "0/4FFFFFF,           16MB,   0/4000000",
    "0/5012345,           1MB,    0/5000000",
    "0/50FFFFF,           1MB,    0/5000000",
    "1/7FFFFFFF,          1GB,    1/40000000",
    "FFFFFFFF/FFFFFFFF,   16MB,   FFFFFFFF/FF000000",
    "0/0,                 1GB,    0/0",
  })
  void roundsDownToSegmentStart(String lsn, String size, String expected) {
    assertThat(Lsn.parse(lsn).segmentStart(WalSegmentSize.parseShow(size))).hasToString(expected);
  }
}
