// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.cli.status.ArchiveStatus.Gap;
import io.jwalreceiver.cli.status.ArchiveStatus.TimelineArchive;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveStatusTest {

  static final WalSegmentSize MB1 = new WalSegmentSize(1 << 20);

  @TempDir Path dir;

  /** A file of {@code bytes} bytes (sparse). */
  void file(String name, long bytes) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(name).toFile(), "rw")) {
      f.setLength(bytes);
    }
  }

  SegmentName seg(int tli, long number) {
    return new SegmentName(TimelineId.of(tli), number, MB1);
  }

  @Test
  void reportsSegmentsPartialCompressedHistoryAndGapsPerTimeline() throws IOException {
    file(seg(1, 1).fileName(), MB1.bytes());
    file(seg(1, 2).fileName() + ".gz", 1000);
    // 3 and 4 missing
    file(seg(1, 5).fileName() + ".zst", 1000);
    file(seg(1, 6).fileName(), 12345); // wrong size
    file(seg(1, 7).fileName() + ".partial", MB1.bytes());
    file(seg(2, 6).fileName(), MB1.bytes());
    file(seg(2, 7).fileName() + ".lz4.partial", 10);
    file("00000002.history", 42);
    file("xlogtemp.jwalreceiver", 0);
    Files.createDirectory(dir.resolve(".jwalreceiver"));

    ArchiveStatus a = ArchiveStatus.scan(dir, MB1);

    assertThat(a.segmentSizeSource()).isEqualTo("server");
    assertThat(a.historyFiles()).containsExactly(TimelineId.of(2));
    assertThat(a.otherFiles()).containsExactly("xlogtemp.jwalreceiver");
    assertThat(a.timelines())
        .extracting(TimelineArchive::timeline)
        .containsExactly(TimelineId.of(1), TimelineId.of(2));
    TimelineArchive t1 = a.timelines().get(0);
    assertThat(t1.first()).isEqualTo(seg(1, 1));
    assertThat(t1.last()).isEqualTo(seg(1, 7));
    assertThat(t1.completed()).isEqualTo(4);
    assertThat(t1.newestComplete()).contains(seg(1, 6));
    assertThat(t1.partials()).containsExactly(seg(1, 7).fileName() + ".partial");
    assertThat(t1.compressed()).isEqualTo(Map.of("gz", 1, "zst", 1));
    assertThat(t1.wrongSize()).containsExactly(seg(1, 6).fileName());
    assertThat(t1.gaps()).containsExactly(new Gap(seg(1, 3), seg(1, 4)));
    assertThat(t1.missingSegments()).isEqualTo(2);
    TimelineArchive t2 = a.timelines().get(1);
    assertThat(t2.gaps()).isEmpty();
    assertThat(t2.partials()).containsExactly(seg(2, 7).fileName() + ".lz4.partial");
    // Same segment number on two timelines: the higher timeline is the newest.
    assertThat(a.newestComplete()).contains(seg(2, 6));
    assertThat(a.hasGaps()).isTrue();
  }

  @Test
  void takesTheSegmentSizeFromAnUncompressedFileWithoutAServer() throws IOException {
    WalSegmentSize mb4 = new WalSegmentSize(4 << 20);
    // 0/0C000000 with 4 MB segments is segment 3; with 16 MB it would be another name's number.
    String name = new SegmentName(TimelineId.FIRST, 3, mb4).fileName();
    file(name + ".gz", 100);
    file(new SegmentName(TimelineId.FIRST, 4, mb4).fileName() + ".partial", mb4.bytes());

    ArchiveStatus a = ArchiveStatus.scan(dir, null);

    assertThat(a.segmentSize()).isEqualTo(mb4);
    assertThat(a.segmentSizeSource()).isEqualTo("files");
    assertThat(a.newestComplete().map(SegmentName::fileName)).contains(name);
    assertThat(a.hasGaps()).isFalse();
  }

  @Test
  void assumesSixteenMegabytesWhenNothingTells() throws IOException {
    file("000000010000000000000003.gz", 100);
    ArchiveStatus a = ArchiveStatus.scan(dir, null);
    assertThat(a.segmentSize()).isEqualTo(new WalSegmentSize(16 << 20));
    assertThat(a.segmentSizeSource()).isEqualTo("default");
  }

  @Test
  void anEmptyDirectoryHasNoTimelines() {
    ArchiveStatus a = ArchiveStatus.scan(dir, MB1);
    assertThat(a.timelines()).isEmpty();
    assertThat(a.newestComplete()).isEmpty();
    assertThat(a.hasGaps()).isFalse();
    assertThat(a.historyFiles()).isEqualTo(List.of());
  }

  @Test
  void aMissingDirectoryIsAnError() {
    assertThatThrownBy(() -> ArchiveStatus.scan(dir.resolve("nope"), MB1))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "could not open directory \"" + dir.resolve("nope") + "\": No such file or directory");
  }
}
