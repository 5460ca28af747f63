// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Which spool files are uploaded, in which order, and which may then be removed. */
class UploadPlanTest {

  private static List<WalFileName> files(String... names) {
    return Stream.of(names).map(n -> WalFileName.parse(n).orElseThrow()).toList();
  }

  private static List<String> eligible(List<WalFileName> spool, List<WalFileName> stored) {
    return UploadPlan.of(spool, stored).eligible().stream().map(WalFileName::fileName).toList();
  }

  @Test
  void completedSegmentsAndHistoryFilesButNeverTheLivePartial() {
    List<WalFileName> spool =
        files(
            "000000010000000000000003",
            "000000010000000000000001.gz",
            "000000010000000000000004.partial",
            "000000010000000000000002.lz4");
    assertThat(eligible(spool, List.of()))
        .containsExactly(
            "000000010000000000000001.gz",
            "000000010000000000000002.lz4",
            "000000010000000000000003");
  }

  @Test
  void thePartialOfAnEndedTimelineGoesBeforeTheNextTimelinesHistory() {
    List<WalFileName> spool =
        files(
            "000000020000000000000005.partial",
            "00000002.history",
            "000000010000000000000004",
            "000000010000000000000005.partial");
    assertThat(eligible(spool, List.of()))
        .containsExactly(
            "000000010000000000000004", "000000010000000000000005.partial", "00000002.history");
  }

  @Test
  void aHistoryFileAloneDoesNotEndTheTimelineOfAPartial() {
    // receivewal restarted on the old timeline's .partial: it may be rewriting it right now.
    List<WalFileName> spool = files("00000002.history", "000000010000000000000005.partial");
    assertThat(eligible(spool, List.of())).containsExactly("00000002.history");
    // The next timeline's segment in the store ends it (its local copy was removed).
    assertThat(eligible(spool, files("000000020000000000000006")))
        .containsExactly("000000010000000000000005.partial", "00000002.history");
  }

  @Test
  void theHistoryFileMayBeInTheStoreOnly() {
    List<WalFileName> spool =
        files("000000010000000000000005.partial", "000000020000000000000006.partial");
    assertThat(eligible(spool, List.of())).isEmpty();
    assertThat(eligible(spool, files("00000002.history")))
        .containsExactly("000000010000000000000005.partial");
  }

  @Test
  void aPartialSupersededOnItsOwnTimelineStaysLocal() {
    // pg_receivewal leaves the .gz.partial when a later run completes the segment uncompressed.
    List<WalFileName> spool =
        files(
            "000000010000000000000005.gz.partial",
            "000000010000000000000005",
            "000000010000000000000006.partial");
    assertThat(eligible(spool, List.of())).containsExactly("000000010000000000000005");
  }

  @Test
  void removesEverythingTheResumeScanRanksBelowTheNewestCompletedSegment() {
    List<WalFileName> spool =
        files(
            "00000002.history",
            "000000010000000000000004",
            "000000010000000000000005.partial",
            "000000020000000000000005",
            "000000020000000000000006",
            "000000020000000000000007.partial");
    UploadPlan plan = UploadPlan.of(spool, List.of());
    assertThat(plan.newestCompleted()).isEqualTo(spool.get(4));
    assertThat(spool.stream().filter(plan::mayRemove).map(WalFileName::fileName))
        .containsExactly(
            "000000010000000000000004",
            "000000010000000000000005.partial",
            "000000020000000000000005");
  }

  @Test
  void keepsAnEndedPartialThatTheResumeScanWouldStillChoose() {
    List<WalFileName> spool =
        files(
            "00000002.history",
            "000000010000000000000004",
            "000000010000000000000005.partial",
            "000000020000000000000005.partial");
    UploadPlan plan = UploadPlan.of(spool, List.of());
    assertThat(spool.stream().filter(plan::mayRemove)).isEmpty();
    assertThat(plan.eligible())
        .extracting(WalFileName::fileName)
        .contains("000000010000000000000005.partial");
  }

  @Test
  void nothingIsRemovableWithoutACompletedSegment() {
    UploadPlan plan = UploadPlan.of(files("00000001.history"), List.of());
    assertThat(plan.newestCompleted()).isNull();
    assertThat(plan.mayRemove(files("00000001.history").get(0))).isFalse();
  }
}
