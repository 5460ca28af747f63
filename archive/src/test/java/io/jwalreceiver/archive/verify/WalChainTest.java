// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import static io.jwalreceiver.archive.verify.Listings.names;
import static io.jwalreceiver.archive.verify.Listings.segments;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The WAL chain from a backup's start to the newest segment, on synthetic listings. */
class WalChainTest {

  private static final TimelineId TL1 = TimelineId.FIRST;
  private static final TimelineId TL2 = TimelineId.of(2);
  private static final TimelineId TL3 = TimelineId.of(3);

  /** Backup from 0/2000028 to 0/2000138 on timeline 1. */
  private static WalChain.Result follow(WalListing wal, List<WalChain.Step> path) {
    return follow(wal, path, TL1, Lsn.parse("0/2000138"));
  }

  private static WalChain.Result follow(
      WalListing wal, List<WalChain.Step> path, TimelineId endTimeline, Lsn end) {
    return WalChain.follow(
        wal, path, TL1, Lsn.parse("0/2000028"), endTimeline, end, key -> "s3://b/" + key);
  }

  private static List<WalChain.Step> path(TimelineId target, String history) {
    return WalChain.path(
        target,
        TimelineHistoryFile.parse(
            target, target.historyFileName(), history.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<String> problems(WalChain.Result r) {
    return r.problems().stream().map(Problem::toString).toList();
  }

  private static String spans(WalChain.Result r) {
    return String.join(
        " ", r.spans().stream().map(s -> s.first() + ".." + s.last() + "=" + s.files()).toList());
  }

  @Test
  void continuousTimelineRunsToTheNewestSegment() {
    WalListing wal = Listings.wal(segments(1, 1, 6, ""));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null));
    assertThat(r.problems()).isEmpty();
    // Segment 1 is before the backup: not part of its chain.
    assertThat(spans(r)).isEqualTo("000000010000000000000002..000000010000000000000006=5");
    assertThat(r.spans().get(0).complete()).isTrue();
  }

  @Test
  void compressedSegmentsCountLikePlainOnes() {
    WalListing wal =
        Listings.wal(
            names(segments(1, 2, 3, ".gz"), segments(1, 4, 4, ".zst"), segments(1, 5, 5, ".lz4")));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null));
    assertThat(r.problems()).isEmpty();
    assertThat(spans(r)).isEqualTo("000000010000000000000002..000000010000000000000005=4");
  }

  @Test
  void aMissingSegmentIsNamed() {
    WalListing wal = Listings.wal(names(segments(1, 2, 3, ""), segments(1, 5, 6, "")));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null));
    assertThat(problems(r))
        .containsExactly(
            "s3://b/wal/000000010000000000000004: missing: the WAL chain of timeline 1 breaks"
                + " here");
    assertThat(r.spans().get(0).complete()).isFalse();
  }

  @Test
  void aRunOfMissingSegmentsIsOneProblem() {
    WalListing wal = Listings.wal(names(segments(1, 2, 2, ""), segments(1, 6, 6, "")));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null));
    assertThat(problems(r))
        .containsExactly(
            "s3://b/wal/000000010000000000000003: missing, and the 2 segments after it up to"
                + " 000000010000000000000005: the WAL chain of timeline 1 breaks here");
  }

  @Test
  void theStartSegmentMissingIsAProblem() {
    WalListing wal = Listings.wal(segments(1, 3, 5, ""));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null));
    assertThat(problems(r))
        .containsExactly(
            "s3://b/wal/000000010000000000000002: missing: the WAL chain of timeline 1 breaks"
                + " here");
  }

  @Test
  void followsATimelineSwitchWhereTheHistorySays() {
    // Timeline 1 ends at 0/5000100: its segment 5 is a .partial; timeline 2 goes on from 5.
    WalListing wal =
        Listings.wal(
            names(
                segments(1, 2, 4, ""),
                segments(1, 5, 5, ".partial"),
                new String[] {"00000002.history"},
                segments(2, 5, 7, ".gz")));
    WalChain.Result r = follow(wal, path(TL2, "1\t0/5000100\tno recovery target specified\n"));
    assertThat(r.problems()).isEmpty();
    assertThat(spans(r))
        .isEqualTo(
            "000000010000000000000002..000000010000000000000004=3"
                + " 000000020000000000000005..000000020000000000000007=3");
  }

  @Test
  void followsTwoSwitchesAndIgnoresTheOldTimelinesLaterSegments() {
    WalListing wal =
        Listings.wal(
            names(
                segments(1, 2, 8, ""), // timeline 1 went on after the switch (old primary)
                segments(2, 4, 6, ""),
                segments(3, 6, 9, "")));
    WalChain.Result r = follow(wal, path(TL3, "1\t0/4000000\tx\n2\t0/6ABCDEF\ty\n"));
    assertThat(r.problems()).isEmpty();
    assertThat(spans(r))
        .isEqualTo(
            "000000010000000000000002..000000010000000000000003=2"
                + " 000000020000000000000004..000000020000000000000005=2"
                + " 000000030000000000000006..000000030000000000000009=4");
  }

  @Test
  void theNewTimelinesFirstSegmentMissingIsNamed() {
    WalListing wal = Listings.wal(names(segments(1, 2, 4, ""), segments(2, 6, 7, "")));
    WalChain.Result r = follow(wal, path(TL2, "1\t0/5000100\tx\n"));
    assertThat(problems(r))
        .containsExactly(
            "s3://b/wal/000000020000000000000005: missing: the WAL chain of timeline 2 breaks"
                + " here");
  }

  @Test
  void theNewestTimelineMayEndInAPartial() {
    WalListing wal = Listings.wal(names(segments(1, 2, 4, ""), segments(1, 5, 5, ".zst.partial")));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null));
    assertThat(r.problems()).isEmpty();
    assertThat(spans(r)).isEqualTo("000000010000000000000002..000000010000000000000005=4");
  }

  @Test
  void aPartialInTheMiddleDoesNotStandInForTheSegment() {
    WalListing wal =
        Listings.wal(
            names(segments(1, 2, 2, ""), segments(1, 3, 3, ".partial"), segments(1, 4, 5, "")));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null));
    assertThat(problems(r))
        .containsExactly(
            "s3://b/wal/000000010000000000000003.partial: only a .partial file where the WAL"
                + " chain of timeline 1 needs the complete segment");
  }

  @Test
  void walEndingBeforeTheBackupsEndIsAProblem() {
    WalListing wal = Listings.wal(segments(1, 2, 3, ""));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null), TL1, Lsn.parse("0/5000010"));
    assertThat(problems(r))
        .containsExactly(
            "s3://b/wal/000000010000000000000005: missing: the backup needs WAL up to 0/5000010"
                + " on timeline 1, the archive's WAL of that timeline ends with"
                + " 000000010000000000000003");
  }

  @Test
  void anEndOnASegmentBoundaryNeedsOnlyTheSegmentBefore() {
    WalListing wal = Listings.wal(segments(1, 2, 4, ""));
    WalChain.Result r = follow(wal, WalChain.path(TL1, null), TL1, Lsn.parse("0/5000000"));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void noWalAtAllIsAGapAndAShortEnd() {
    WalChain.Result r = follow(Listings.wal(), WalChain.path(TL1, null));
    assertThat(r.spans()).isEmpty();
    assertThat(problems(r))
        .containsExactly(
            "s3://b/wal/000000010000000000000002: missing: the backup needs WAL up to 0/2000138"
                + " on timeline 1, the archive's WAL of that timeline ends before the backup"
                + " starts");
  }

  @Test
  void reachableTargetFallsBackToTheNewestReadableHistory() {
    TimelineHistoryFile h2 =
        TimelineHistoryFile.parse(
            TL2, TL2.historyFileName(), "1\t0/5000100\tx\n".getBytes(StandardCharsets.UTF_8));
    assertThat(WalChain.reachableTarget(TimelineId.of(4), Map.of(TL2, h2))).isEqualTo(TL2);
    assertThat(WalChain.reachableTarget(TL3, Map.of())).isEqualTo(TL1);
    assertThat(WalChain.path(TL2, h2))
        .containsExactly(
            new WalChain.Step(TL1, Lsn.parse("0/5000100")), new WalChain.Step(TL2, null));
  }

  @Test
  void listingSortsNamesAndIgnoresOthers() {
    WalListing wal =
        Listings.wal(
            "000000010000000000000002",
            "000000010000000000000002.gz",
            "000000010000000000000003.partial",
            "00000002.history",
            "000000010000000000000002.00000028.backup",
            "archive_status/000000010000000000000002.done",
            "README");
    assertThat(wal.files()).hasSize(3);
    assertThat(wal.complete(TL1)).containsOnlyKeys(2L);
    assertThat(wal.partials(TL1)).containsOnlyKeys(3L);
    assertThat(wal.histories()).containsOnlyKeys(TL2);
    assertThat(wal.newestTimeline()).contains(TL2);
    assertThat(wal.newestSegment(TL1)).hasValue(3);
  }
}
