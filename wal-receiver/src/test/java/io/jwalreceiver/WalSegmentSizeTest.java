// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static io.jwalreceiver.PgAssertions.assertPrintsOrFails;
import static org.assertj.core.api.Assertions.assertThat;

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
  void mapsLsnToSegmentNumberAndOffset(
      String lsn, WalSegmentSize segmentSize, long segno, int offset) {
    Lsn position = Lsn.parse(lsn);

    assertThat(segmentSize.segmentNumber(position)).isEqualTo(segno);
    assertThat(segmentSize.offset(position)).isEqualTo(offset);
    assertThat(segmentSize.segmentStart(segno).plus(offset)).isEqualTo(position);
  }

  /** The start of a segment number, or none when the number is out of range (refused). */
  @ParameterizedTest(name = "{0}: segment {1} starts at {2}")
  @CsvSource({
    "16MB,   5,              0/5000000",
    "16MB,   256,            1/0",
    "1MB,    4096,           1/0",
    "1GB,    5,              1/40000000",
    "16MB,   1099511627775,  FFFFFFFF/FF000000",
    "1GB,    17179869183,    FFFFFFFF/C0000000",
    // out of range
    "16MB,   -1,",
    "16MB,   1099511627776,",
    "1GB,    17179869184,",
    "1MB,    17592186044416,",
  })
  void computesSegmentStart(WalSegmentSize size, long segno, String start) {
    assertPrintsOrFails(
        () -> size.segmentStart(segno),
        start,
        IllegalArgumentException.class,
        Long.toString(segno));
  }

  @ParameterizedTest(name = "{0}: {1} per log id, max segment {2}")
  @CsvSource({
    "1MB,    4096,   17592186044415",
    "16MB,   256,    1099511627775",
    "64MB,   64,     274877906943",
    "1GB,    4,      17179869183",
  })
  void countsSegmentsPerXLogId(WalSegmentSize segmentSize, long perId, long maxSegno) {
    assertThat(segmentSize.segmentsPerXLogId()).isEqualTo(perId);
    assertThat(segmentSize.maxSegmentNumber()).isEqualTo(maxSegno);
  }

  private static void assertRejected(ThrowingCallable call, long bytes) {
    assertPgException(call, SqlState.PROTOCOL_VIOLATION)
        .hasMessage("remote server reported invalid WAL segment size (" + bytes + " bytes)")
        .satisfies(e -> assertThat(((PgException) e).detail()).isEqualTo(DETAIL));
  }
}
