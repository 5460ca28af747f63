// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.SegmentName.ParsedWalFileName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SegmentNameTest {

  private static final WalSegmentSize SIZE_16MB = WalSegmentSize.parseShow("16MB");

  @ParameterizedTest(name = "{0} TLI {1} at {2} -> {3}")
  @CsvSource({
    // protocol-notes §3
    "16MB,   1,            0/5000028,           000000010000000000000005,   5",
    "16MB,   1,            0/0,                 000000010000000000000000,   0",
    "16MB,   1,            0/FFFFFFFF,          0000000100000000000000FF,   255",
    // crossing the log-id boundary
    "16MB,   1,            1/0,                 000000010000000100000000,   256",
    "16MB,   2,            1/1000000,           000000020000000100000001,   257",
    "16MB,   10,           16/B374D848,         0000000A00000016000000B3,   5811",
    "16MB,   4294967295,   FFFFFFFF/FFFFFFFF,   FFFFFFFFFFFFFFFF000000FF,   1099511627775",
    "1MB,    1,            0/5000028,           000000010000000000000050,   80",
    "1MB,    1,            0/FFFFFFFF,          000000010000000000000FFF,   4095",
    "1MB,    1,            1/0,                 000000010000000100000000,   4096",
    "1MB,    3,            2/12345678,          000000030000000200000123,   8483",
    "1GB,    1,            0/5000028,           000000010000000000000000,   0",
    "1GB,    1,            0/C0000000,          000000010000000000000003,   3",
    "1GB,    1,            1/0,                 000000010000000100000000,   4",
    "1GB,    7,            FFFFFFFF/FFFFFFFF,   00000007FFFFFFFF00000003,   17179869183",
    "64MB,   1,            1/4000000,           000000010000000100000001,   65",
  })
  void namesSegmentContainingLsn(
      WalSegmentSize segmentSize, long tli, String lsn, String fileName, long segmentNumber) {
    SegmentName segment = SegmentName.of(TimelineId.of(tli), Lsn.parse(lsn), segmentSize);

    assertThat(segment.segmentNumber()).isEqualTo(segmentNumber);
    assertThat(segment.fileName()).isEqualTo(fileName).hasSize(24);
    assertThat(segment).hasToString(fileName);
    assertThat(segment.contains(Lsn.parse(lsn))).isTrue();
    assertThat(SegmentName.parse(fileName, segmentSize)).isEqualTo(segment);
    assertThat(SegmentName.isSegmentFileName(fileName)).isTrue();
  }

  @ParameterizedTest(name = "{0} segment {1} -> start {2}, end {3}")
  @CsvSource({
    "16MB,   5,              0/5000000,           0/6000000",
    "16MB,   255,            0/FF000000,          1/0",
    "16MB,   256,            1/0,                 1/1000000",
    "1MB,    4095,           0/FFF00000,          1/0",
    "1GB,    3,              0/C0000000,          1/0",
    "1GB,    17179869183,    FFFFFFFF/C0000000,   0/0",
  })
  void computesStartAndEnd(String size, long segmentNumber, String start, String end) {
    SegmentName segment =
        new SegmentName(TimelineId.FIRST, segmentNumber, WalSegmentSize.parseShow(size));

    assertThat(segment.startLsn()).hasToString(start);
    assertThat(segment.endLsn()).hasToString(end);
    assertThat(segment.contains(segment.startLsn())).isTrue();
    assertThat(segment.contains(Lsn.parse(end))).isFalse();
  }

  @Test
  void stepsToNextSegmentAcrossLogIdBoundary() {
    SegmentName last = SegmentName.parse("0000000100000000000000FF", SIZE_16MB);

    assertThat(last.next().fileName()).isEqualTo("000000010000000100000000");
    assertThat(last.next().startLsn()).isEqualTo(last.endLsn());
    assertThat(last.onTimeline(new TimelineId(2)).fileName()).isEqualTo("0000000200000000000000FF");
  }

  @Test
  void rejectsNextPastEndOfAddressSpace() {
    SegmentName last = SegmentName.parse("00000001FFFFFFFF000000FF", SIZE_16MB);

    assertThatThrownBy(last::next).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "16MB,   -1",
    "16MB,   1099511627776",
    "1GB,    17179869184",
    "1MB,    -9223372036854775808",
  })
  void rejectsSegmentNumberOutOfRange(WalSegmentSize segmentSize, long segmentNumber) {
    assertThatThrownBy(() -> new SegmentName(TimelineId.FIRST, segmentNumber, segmentSize))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Long.toString(segmentNumber));
  }

  @ParameterizedTest(name = "{0} in {1}")
  @CsvSource({
    // a last part that is not below segmentsPerXLogId
    "000000010000000000000100,   16MB",
    "0000000100000000FFFFFFFF,   16MB",
    "000000010000000000001000,   1MB",
    "000000010000000000000004,   1GB",
    // timeline 0
    "000000000000000000000005,   16MB",
  })
  void rejectsNameOutOfRangeForSize(String name, WalSegmentSize segmentSize) {
    assertRejectedName(name, segmentSize);
    assertThat(SegmentName.isSegmentFileName(name)).isTrue();
    assertThat(SegmentName.parseArchiveName(name, segmentSize)).isEmpty();
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "",
        "00000001000000000000000",
        "0000000100000000000000050",
        "00000001000000000000000a",
        "0000000100000000000000g5",
        "00000001-000000000000005",
        " 00000001000000000000005",
        "00000001000000000000005 ",
        "000000010000000000000005.partial",
        "00000002.history",
        "０00000010000000000000005",
      })
  void rejectsMalformedName(String name) {
    assertRejectedName(name, SIZE_16MB);
    assertThat(SegmentName.isSegmentFileName(name)).isFalse();
  }

  @ParameterizedTest(name = "{0} -> compression \"{1}\", partial {2}")
  @CsvSource({
    "000000010000000000000005,              '',    false",
    "000000010000000000000005.partial,      '',    true",
    "000000010000000000000005.gz,           gz,    false",
    "000000010000000000000005.gz.partial,   gz,    true",
    "000000010000000000000005.lz4,          lz4,   false",
    "000000010000000000000005.lz4.partial,  lz4,   true",
    "000000010000000000000005.zst,          zst,   false",
    "000000010000000000000005.zst.partial,  zst,   true",
  })
  void recognisesReceiveWalNames(String fileName, String compression, boolean partial) {
    ParsedWalFileName parsed = SegmentName.parseArchiveName(fileName, SIZE_16MB).orElseThrow();

    assertThat(parsed.segment()).isEqualTo(new SegmentName(TimelineId.FIRST, 5, SIZE_16MB));
    assertThat(parsed.compression()).isEqualTo(compression);
    assertThat(parsed.compressed()).isEqualTo(!compression.isEmpty());
    assertThat(parsed.partial()).isEqualTo(partial);
    assertThat(parsed.fileName()).isEqualTo(fileName);
  }

  @Test
  void recognisesReceiveWalNamesWithSizeDependentSegmentNumber() {
    String name = "000000020000000100000003.gz.partial";

    assertThat(SegmentName.parseArchiveName(name, WalSegmentSize.parseShow("1MB")))
        .map(p -> p.segment().segmentNumber())
        .contains(4096L + 3);
    assertThat(SegmentName.parseArchiveName(name, WalSegmentSize.parseShow("1GB")))
        .map(p -> p.segment().startLsn().toString())
        .contains("1/C0000000");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "",
        "00000002.history",
        "00000002.history.partial",
        "000000010000000000000005.00000028.backup",
        "000000010000000000000005.done",
        "000000010000000000000005.ready",
        "000000010000000000000005.partial.gz",
        "000000010000000000000005.gz.gz",
        "000000010000000000000005.GZ",
        "000000010000000000000005.Partial",
        "000000010000000000000005.bz2",
        "000000010000000000000005.xz",
        "000000010000000000000005.tar",
        "000000010000000000000005.",
        "000000010000000000000005.partial.partial",
        "000000010000000000000005 ",
        "000000010000000000000005.tmp",
        "00000001000000000000005.gz",
        "0000000100000000000000050",
        "00000001000000000000000a",
        "00000001000000000000000a.partial",
        "x000000010000000000000005",
        "archive_status",
        ".partial",
      })
  void ignoresOtherFileNames(String fileName) {
    assertThat(SegmentName.parseArchiveName(fileName, SIZE_16MB)).isEmpty();
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"gzip", "GZ", ".gz", "zstd", "none", "partial"})
  void rejectsUnknownCompressionInParsedName(String compression) {
    SegmentName segment = new SegmentName(TimelineId.FIRST, 5, SIZE_16MB);

    assertThatThrownBy(() -> new ParsedWalFileName(segment, compression, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(compression);
  }

  @Test
  void distinguishesSameNameUnderDifferentSizes() {
    SegmentName in16 = SegmentName.parse("000000010000000100000000", SIZE_16MB);
    SegmentName in1 =
        SegmentName.parse("000000010000000100000000", WalSegmentSize.parseShow("1MB"));

    assertThat(in16.startLsn()).isEqualTo(in1.startLsn());
    assertThat(in16.segmentNumber()).isEqualTo(256);
    assertThat(in1.segmentNumber()).isEqualTo(4096);
    assertThat(in16).isNotEqualTo(in1);
  }

  private static void assertRejectedName(String name, WalSegmentSize size) {
    assertPgException(() -> SegmentName.parse(name, size), SqlState.INVALID_PARAMETER_VALUE)
        .hasMessage(
            "invalid WAL segment file name for segment size " + size + ": \"" + name + "\"");
  }
}
