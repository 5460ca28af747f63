// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WalSegmentSizeTest {

  private static final String DETAIL =
      "The WAL segment size must be a power of two between 1 MB and 1 GB.";

  @ParameterizedTest(name = "{0} -> {1} bytes")
  @CsvSource({
    "1MB,          1048576",
    "2MB,          2097152",
    "16MB,         16777216",
    "64MB,         67108864",
    "512MB,        536870912",
    "1GB,          1073741824",
    "1024kB,       1048576",
    "16384kB,      16777216",
    "1048576kB,    1073741824",
    "1024MB,       1073741824",
    "16777216,     16777216",
    "16777216B,    16777216",
    "0016MB,       16777216",
  })
  void parsesShowOutput(String text, int bytes) {
    assertThat(WalSegmentSize.parseShow(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "{0} bytes -> {1}")
  @CsvSource({
    "1048576,      1MB",
    "16777216,     16MB",
    "536870912,    512MB",
    "1073741824,   1GB",
  })
  void printsLikeShowAndRoundTrips(int bytes, String text) {
    WalSegmentSize size = new WalSegmentSize(bytes);

    assertThat(size).hasToString(text);
    assertThat(WalSegmentSize.parseShow(size.toString())).isEqualTo(size);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      ints = {3 << 20, 24 << 20, (1 << 20) + 1, (1 << 30) - 1, 1_000_000, (1 << 29) + (1 << 28)})
  void rejectsSegmentSizeNotPowerOfTwo(int bytes) {
    assertRejected(() -> new WalSegmentSize(bytes), bytes);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {0, 1, -1, 512 << 10, (1 << 20) - 1, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void rejectsSegmentSizeOutOfRange(int bytes) {
    assertRejected(() -> new WalSegmentSize(bytes), bytes);
  }

  @ParameterizedTest(name = "{0} -> {1} bytes")
  @CsvSource({
    "512kB,        524288",
    "2GB,          2147483648",
    "1TB,          1099511627776",
    "0MB,          0",
    "24MB,         25165824",
    "16777215,     16777215",
    "1000kB,       1024000",
  })
  void rejectsShowOutputOfInvalidSize(String text, long bytes) {
    assertRejected(() -> WalSegmentSize.parseShow(text), bytes);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "",
        "MB",
        "16mb",
        "16Mb",
        "16KB",
        "16 MB",
        " 16MB",
        "16MB ",
        "-16MB",
        "+16MB",
        "16.0MB",
        "0x1000000",
        "16MiB",
        "16M",
        "99999999999999MB",
        "9999999999999GB",
        "１６MB",
      })
  void rejectsUnparseableShowOutput(String text) {
    assertPgException(() -> WalSegmentSize.parseShow(text), SqlState.PROTOCOL_VIOLATION)
        .hasMessage("WAL segment size could not be parsed: \"" + text + "\"");
  }

  @ParameterizedTest(name = "{0} in {1}: segment {2}, offset {3}")
  @CsvSource({
    "0/5000028,           16MB,   5,              40",
    "0/0,                 16MB,   0,              0",
    "0/FFFFFFFF,          16MB,   255,            16777215",
    "1/0,                 16MB,   256,            0",
    "1/1000000,           16MB,   257,            0",
    "0/5000028,           1MB,    80,             40",
    "1/0,                 1MB,    4096,           0",
    "0/5000028,           1GB,    0,              83886120",
    "1/C0000001,          1GB,    7,              1",
    "FFFFFFFF/FFFFFFFF,   16MB,   1099511627775,  16777215",
    "FFFFFFFF/FFFFFFFF,   1MB,    17592186044415, 1048575",
  })
  void mapsLsnToSegmentNumberAndOffset(String lsn, String size, long segno, int offset) {
    WalSegmentSize segmentSize = WalSegmentSize.parseShow(size);
    Lsn position = Lsn.parse(lsn);

    assertThat(segmentSize.segmentNumber(position)).isEqualTo(segno);
    assertThat(segmentSize.offset(position)).isEqualTo(offset);
    assertThat(segmentSize.segmentStart(segno).plus(offset)).isEqualTo(position);
  }

  @ParameterizedTest(name = "{0}: segment {1} starts at {2}")
  @CsvSource({
    "16MB,   5,              0/5000000",
    "16MB,   256,            1/0",
    "1MB,    4096,           1/0",
    "1GB,    5,              1/40000000",
    "16MB,   1099511627775,  FFFFFFFF/FF000000",
    "1GB,    17179869183,    FFFFFFFF/C0000000",
  })
  void computesSegmentStart(String size, long segno, String start) {
    assertThat(WalSegmentSize.parseShow(size).segmentStart(segno)).hasToString(start);
  }

  @ParameterizedTest(name = "{0}: segment {1}")
  @CsvSource({
    "16MB,   -1",
    "16MB,   1099511627776",
    "1GB,    17179869184",
    "1MB,    17592186044416",
  })
  void rejectsSegmentNumberOutOfRange(String size, long segno) {
    WalSegmentSize segmentSize = WalSegmentSize.parseShow(size);

    assertThatThrownBy(() -> segmentSize.segmentStart(segno))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Long.toString(segno));
  }

  @ParameterizedTest(name = "{0}: {1} per log id, max segment {2}")
  @CsvSource({
    "1MB,    4096,   17592186044415",
    "16MB,   256,    1099511627775",
    "64MB,   64,     274877906943",
    "1GB,    4,      17179869183",
  })
  void countsSegmentsPerXLogId(String size, long perId, long maxSegno) {
    WalSegmentSize segmentSize = WalSegmentSize.parseShow(size);

    assertThat(segmentSize.segmentsPerXLogId()).isEqualTo(perId);
    assertThat(segmentSize.maxSegmentNumber()).isEqualTo(maxSegno);
  }

  private static void assertRejected(ThrowingCallable call, long bytes) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            PgException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
              assertThat(e.detail()).isEqualTo(DETAIL);
            })
        .hasMessage("remote server reported invalid WAL segment size (" + bytes + " bytes)");
  }
}
