// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEGMENT;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NavigableMap;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standby is being archived when it is promoted: the archiver follows the new timeline, writes
 * {@code 00000002.history}, leaves the old timeline's last segment {@code .partial} as
 * pg_receivewal does (it is never completed: the old timeline ends inside it), and archives the new
 * timeline from the segment of the switch point. A restart of the archiver afterwards resumes on
 * the new timeline, leaving the old {@code .partial} alone. Archiving from a standby (cascading)
 * and following its promotion holds on every version 13–18 (issue #14).
 */
class PromotionIT {

  private static final TimelineId TLI2 = new TimelineId(2);

  @TempDir Path tmp;

  @FaultTest.OnSelected
  void followsThePromotedStandbysNewTimeline(int major) throws Exception {
    String slot = "faults_promote";
    String app = "faults_promote";
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    FaultKit.Events events = new FaultKit.Events();
    try (PostgresServer primary = PostgresServer.start(FaultKit.options(major));
        PostgresServer standby = primary.createStandby()) {
      standby.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
      try (FaultKit.Running archiver =
          FaultKit.startArchiver(
              standby.host(), standby.port(), app, dir, slot, events, "archiver-promote")) {
        // Mid-stream on timeline 1: a segment and a half of WAL, replayed and archived.
        String before = primary.generateWal(SEGMENT.bytes() + SEGMENT.bytes() / 2);
        standby.awaitReplay(before, TIMEOUT);
        FaultKit.await(
            TIMEOUT,
            () -> Long.compareUnsigned(events.received.get(), FaultKit.lsn(before)) >= 0,
            () -> "timeline 1 archived up to " + before);
        standby.promote();
        events.awaitArchivedLoad(standby, 2L * SEGMENT.bytes(), TIMEOUT);
        assertThat(archiver.failure()).isNull();
      }
      assertThat(events.switches.get()).as("timeline switches followed").isEqualTo(1);

      // The history file, as the server has it.
      Path history = dir.resolve("00000002.history");
      assertThat(history).exists();
      assertThat(Files.mismatch(history, standby.dataDir().resolve("pg_wal/00000002.history")))
          .isEqualTo(-1L);
      long switchPoint = switchPoint(Files.readString(history));

      // Timeline 1: complete segments identical to the old primary's, then the .partial of the
      // segment the timeline ends in, holding everything below the switch point.
      NavigableMap<Long, String> old = FaultKit.segments(dir, TimelineId.FIRST);
      long switchSegment = SEGMENT.segmentNumber(Lsn.of(switchPoint));
      assertThat(old.lastKey()).isEqualTo(switchSegment);
      assertThat(old.lastEntry().getValue()).endsWith(".partial");
      long bytes = FaultKit.assertArchiveIntact(dir, primary, TimelineId.FIRST);
      bytes +=
          FaultKit.assertHoldsUpTo(
              dir, primary, TimelineId.FIRST, switchPoint, "old timeline up to the switch point");

      // Timeline 2 starts with the switch point's segment (holding timeline 1's WAL below it).
      NavigableMap<Long, String> next = FaultKit.segments(dir, TLI2);
      assertThat(next.firstKey()).isEqualTo(switchSegment);
      bytes += FaultKit.assertArchiveIntact(dir, standby, TLI2);

      // A restart resumes on timeline 2 and leaves the old .partial alone.
      Path oldPartial = dir.resolve(old.lastEntry().getValue());
      byte[] oldContent = Files.readAllBytes(oldPartial);
      FaultKit.Events again = new FaultKit.Events();
      try (FaultKit.Running archiver =
          FaultKit.startArchiver(
              standby.host(), standby.port(), app, dir, slot, again, "archiver-promote-2")) {
        String more = standby.generateWal(SEGMENT.bytes());
        FaultKit.await(
            TIMEOUT,
            () -> Long.compareUnsigned(again.received.get(), FaultKit.lsn(more)) >= 0,
            () -> "archived after the restart up to " + more);
        assertThat(archiver.failure()).isNull();
      }
      assertThat(again.switches.get()).isZero();
      assertThat(Files.readAllBytes(oldPartial)).isEqualTo(oldContent);
      assertThat(FaultKit.segments(dir, TimelineId.FIRST)).isEqualTo(old);
      bytes += FaultKit.assertArchiveIntact(dir, standby, TLI2);
      FaultKit.report(
          "promotion of an archived standby, PostgreSQL " + major,
          "promotions",
          1,
          "switch point",
          Lsn.of(switchPoint),
          "old timeline partial",
          old.lastEntry().getValue(),
          "new timeline segments",
          FaultKit.segments(dir, TLI2).size(),
          "WAL bytes checked",
          bytes,
          "bytes lost",
          0);
    }
  }

  /** The switch point of the last line of a history file: {@code 1<TAB>0/3000148<TAB>...}. */
  private static long switchPoint(String history) {
    List<String> lines = history.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    String[] fields = lines.get(lines.size() - 1).split("\\s+");
    return FaultKit.lsn(fields[1]);
  }
}
