// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ResumePointTest {

  private static final WalSegmentSize SIZE = new WalSegmentSize(1 << 20);
  private static final int SEG = SIZE.bytes();

  @TempDir Path dir;

  /**
   * A file to create: its name and how: plain bytes, or that many zero bytes compressed with gzip,
   * LZ4 (frame format) or zstd.
   */
  private record Spec(String name, long size, String compression) {}

  private static Spec plain(String name) {
    return new Spec(name, SEG, "");
  }

  private static Spec plain(String name, long size) {
    return new Spec(name, size, "");
  }

  private static Spec gzip(String name, long uncompressed) {
    return new Spec(name, uncompressed, "gz");
  }

  private static Spec lz4(String name, long uncompressed) {
    return new Spec(name, uncompressed, "lz4");
  }

  private static Spec zstd(String name, long uncompressed) {
    return new Spec(name, uncompressed, "zst");
  }

  private void create(Spec spec) throws IOException {
    Path file = dir.resolve(spec.name());
    if (spec.compression().isEmpty()) {
      Files.write(file, new byte[(int) spec.size()]);
      return;
    }
    OutputStream raw = Files.newOutputStream(file);
    try (OutputStream out =
        spec.compression().equals("gz")
            ? new GZIPOutputStream(raw)
            : spec.compression().equals("lz4")
                ? new LZ4FrameOutputStream(raw)
                : new ZstdOutputStreamNoFinalizer(raw)) {
      out.write(new byte[(int) spec.size()]);
    }
  }

  static Stream<Arguments> directories() {
    return Stream.of(
        Arguments.of("empty directory", List.of(), null, null, null, List.of()),
        Arguments.of(
            "no WAL names",
            List.of(
                plain("00000002.history", 40),
                plain("000000010000000000000002.00000028.backup", 300),
                plain("000000010000000000000003.tmp"),
                plain("000000010000000000000003.partial.tmp"),
                plain("xlogtemp.jwalreceiver"),
                plain("00000001000000000000000a"),
                plain("000000000000000000000003")),
            null,
            null,
            null,
            List.of()),
        Arguments.of(
            "complete segment resumes at the next one",
            List.of(plain("000000010000000000000004"), plain("000000010000000000000005")),
            1L,
            "0/600000",
            "000000010000000000000005",
            List.of()),
        Arguments.of(
            "partial segment is rewritten from its start",
            List.of(
                plain("000000010000000000000004"),
                plain("000000010000000000000005.partial", 12345)),
            1L,
            "0/500000",
            "000000010000000000000005.partial",
            List.of()),
        Arguments.of(
            "higher segment beats higher timeline",
            List.of(plain("000000020000000000000004"), plain("000000010000000000000005.partial")),
            1L,
            "0/500000",
            "000000010000000000000005.partial",
            List.of()),
        Arguments.of(
            "same segment: higher timeline wins",
            List.of(
                plain("000000010000000000000005.partial"),
                plain("000000020000000000000005.partial")),
            2L,
            "0/500000",
            "000000020000000000000005.partial",
            List.of()),
        Arguments.of(
            "same segment and timeline: completed beats partial",
            List.of(plain("000000020000000000000005.partial"), plain("000000020000000000000005")),
            2L,
            "0/600000",
            "000000020000000000000005",
            List.of()),
        Arguments.of(
            "completed file of the wrong size is skipped",
            List.of(plain("000000010000000000000005"), plain("000000010000000000000006", 8192)),
            1L,
            "0/600000",
            "000000010000000000000005",
            List.of("segment file \"000000010000000000000006\" has incorrect size 8192, skipping")),
        Arguments.of(
            "gzip trailer gives the uncompressed size",
            List.of(plain("000000010000000000000005"), gzip("000000010000000000000006.gz", SEG)),
            1L,
            "0/700000",
            "000000010000000000000006.gz",
            List.of()),
        Arguments.of(
            "gzip of the wrong uncompressed size is skipped",
            List.of(plain("000000010000000000000005"), gzip("000000010000000000000006.gz", 4096)),
            1L,
            "0/600000",
            "000000010000000000000005",
            List.of(
                "compressed segment file \"000000010000000000000006.gz\" has incorrect"
                    + " uncompressed size 4096, skipping")),
        Arguments.of(
            "partial gzip is not checked",
            List.of(gzip("000000010000000000000007.gz.partial", 10)),
            1L,
            "0/700000",
            "000000010000000000000007.gz.partial",
            List.of()),
        Arguments.of(
            "lz4 and zst are decompressed to check the size",
            List.of(
                lz4("000000010000000000000007.lz4", SEG),
                zstd("000000010000000000000008.zst", SEG)),
            1L,
            "0/900000",
            "000000010000000000000008.zst",
            List.of()),
        Arguments.of(
            "lz4 of the wrong uncompressed size is skipped",
            List.of(
                plain("000000010000000000000005"), lz4("000000010000000000000006.lz4", SEG - 1)),
            1L,
            "0/600000",
            "000000010000000000000005",
            List.of(
                "compressed segment file \"000000010000000000000006.lz4\" has incorrect"
                    + " uncompressed size 1048575, skipping")),
        Arguments.of(
            "zst of the wrong uncompressed size is skipped",
            List.of(
                zstd("000000010000000000000005.zst", SEG),
                zstd("000000010000000000000006.zst", 2L * SEG)),
            1L,
            "0/600000",
            "000000010000000000000005.zst",
            List.of(
                "compressed segment file \"000000010000000000000006.zst\" has incorrect"
                    + " uncompressed size 2097152, skipping")),
        Arguments.of(
            "several wrong-size files are skipped down to a good one",
            List.of(
                lz4("000000010000000000000004.lz4", SEG),
                zstd("000000010000000000000005.zst", 10),
                lz4("000000010000000000000006.lz4", 0),
                plain("000000010000000000000006.partial.tmp")),
            1L,
            "0/500000",
            "000000010000000000000004.lz4",
            List.of(
                "compressed segment file \"000000010000000000000006.lz4\" has incorrect"
                    + " uncompressed size 0, skipping",
                "compressed segment file \"000000010000000000000005.zst\" has incorrect"
                    + " uncompressed size 10, skipping")),
        Arguments.of(
            "partial lz4 is not checked",
            List.of(plain("000000010000000000000009.lz4.partial", 3)),
            1L,
            "0/900000",
            "000000010000000000000009.lz4.partial",
            List.of()),
        Arguments.of(
            "segment numbers cross the log id",
            List.of(plain("000000010000000000000FFF"), plain("000000010000000100000000.partial")),
            1L,
            "1/0",
            "000000010000000100000000.partial",
            List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("directories")
  void findsResumePoint(
      String description,
      List<Spec> files,
      Long timeline,
      String start,
      String fromFile,
      List<String> expectedWarnings)
      throws IOException {
    for (Spec file : files) {
      create(file);
    }
    List<String> warnings = new ArrayList<>();

    Optional<ResumePoint> point = ResumePoint.scan(dir, SIZE, warnings::add);

    if (timeline == null) {
      assertThat(point).isEmpty();
    } else {
      assertThat(point)
          .contains(new ResumePoint(TimelineId.of(timeline), Lsn.parse(start), fromFile));
    }
    assertThat(warnings).containsExactlyElementsOf(expectedWarnings);
  }

  @Test
  void ignoresDirectoriesWithSegmentNames() throws IOException {
    Files.createDirectory(dir.resolve("000000010000000000000009"));
    create(plain("000000010000000000000003"));

    assertThat(ResumePoint.scan(dir, SIZE, w -> {}))
        .contains(
            new ResumePoint(TimelineId.FIRST, Lsn.parse("0/400000"), "000000010000000000000003"));
  }

  /** A compressed segment it cannot read: its size, and what the message says besides its name. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // Too short for a gzip trailer.
        "000000010000000000000003.gz  | 2   |",
        "000000010000000000000003.lz4 | 100 | could not decompress file",
      })
  void rejectsACompressedSegmentItCannotRead(String name, int size, String message)
      throws IOException {
    create(plain(name, size));

    assertThatThrownBy(() -> ResumePoint.scan(dir, SIZE, w -> {}))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.IO_ERROR))
        .hasMessageContaining(name)
        .hasMessageContaining(message == null ? "" : message);
  }

  @Test
  void failsOnMissingDirectory() {
    assertThatThrownBy(() -> ResumePoint.scan(dir.resolve("missing"), SIZE, w -> {}))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.IO_ERROR));
  }

  @Test
  void listsHistoryFiles() throws IOException {
    create(plain("0000000A.history", 10));
    create(plain("00000002.history", 10));
    create(plain("00000003.history.tmp", 10));
    create(plain("00000000.history", 10));
    create(plain("0000000b.history", 10));
    create(plain("000000010000000000000003"));

    assertThat(ResumePoint.historyFiles(dir))
        .containsExactly(new TimelineId(2), new TimelineId(10));
  }
}
