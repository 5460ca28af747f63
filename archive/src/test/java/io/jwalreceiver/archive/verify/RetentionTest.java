// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import static io.jwalreceiver.archive.verify.Listings.names;
import static io.jwalreceiver.archive.verify.Listings.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.StoredObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What cleanup keeps and removes, on synthetic listings. */
class RetentionTest {

  private static List<BackupEntry> backups() {
    List<StoredObject> objects = new ArrayList<>();
    objects.addAll(
        Listings.objects("basebackups/20261201T000000Z/", "backup_manifest", "base.tar.gz"));
    objects.addAll(
        Listings.objects("basebackups/20261202T000000Z/", "base.tar")); // failed: no manifest
    objects.addAll(
        Listings.objects(
            "basebackups/20261203T000000Z/", "16384.tar", "backup_manifest", "base.tar"));
    objects.addAll(
        Listings.objects("basebackups/20261204T000000Z/", "backup_manifest", "base.tar"));
    objects.addAll(Listings.objects("basebackups/20261205T000000Z/", "base.tar")); // running
    objects.addAll(Listings.objects("basebackups/notes/", "README")); // not a backup
    return BackupEntry.group(objects, ArchiveLayout.STORE);
  }

  private static List<String> ids(List<BackupEntry> backups) {
    return backups.stream().map(BackupEntry::id).toList();
  }

  @Test
  void keepsTheNewestCompleteBackupsAndNeverAnIncompleteOne() {
    Retention.Split split = Retention.split(backups(), 2);
    assertThat(ids(split.kept())).containsExactly("20261203T000000Z", "20261204T000000Z");
    assertThat(ids(split.removed())).containsExactly("20261201T000000Z");
    assertThat(ids(split.incomplete())).containsExactly("20261202T000000Z", "20261205T000000Z");
  }

  @Test
  void removeIncompleteTakesOnlyThoseOlderThanTheOldestKept() {
    Retention.Split split = Retention.split(backups(), 2, true);
    assertThat(ids(split.removed())).containsExactly("20261201T000000Z");
    // 20261202 failed before the kept 20261203 started; 20261205 may be running.
    assertThat(ids(split.removedIncomplete())).containsExactly("20261202T000000Z");
    assertThat(ids(split.incomplete())).containsExactly("20261205T000000Z");
    assertThat(split.removedIncomplete().get(0).removalOrder())
        .containsExactly("basebackups/20261202T000000Z/base.tar");
    assertThat(Retention.split(backups(), 3, true).removedIncomplete()).isEmpty();
  }

  @Test
  void keepingMoreThanThereAreRemovesNothing() {
    Retention.Split split = Retention.split(backups(), 5);
    assertThat(split.kept()).hasSize(3);
    assertThat(split.removed()).isEmpty();
    assertThatThrownBy(() -> Retention.split(backups(), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBackupGoesManifestFirst() {
    BackupEntry b = backups().get(2);
    assertThat(b.removalOrder())
        .containsExactly(
            "basebackups/20261203T000000Z/backup_manifest",
            "basebackups/20261203T000000Z/16384.tar",
            "basebackups/20261203T000000Z/base.tar");
    assertThat(b.bytes()).isEqualTo(3000);
  }

  @Test
  void removesWalBeforeTheOldestKeptStartOnItsTimelineAndOlderOnes() {
    WalListing wal =
        Listings.wal(
            names(
                segments(1, 1, 5, ""),
                segments(1, 6, 6, ".partial"),
                new String[] {"00000002.history"},
                segments(2, 6, 9, ".gz"),
                segments(3, 7, 7, ""))); // a newer timeline forked from 2 later: kept
    SegmentName keepFrom = new SegmentName(TimelineId.of(2), 8, Listings.SIZE);
    List<String> removed = Retention.walToRemove(wal, keepFrom).stream().map(WalFile::key).toList();
    assertThat(removed)
        .containsExactly(
            "wal/000000010000000000000001",
            "wal/000000010000000000000002",
            "wal/000000010000000000000003",
            "wal/000000010000000000000004",
            "wal/000000010000000000000005",
            "wal/000000010000000000000006.partial",
            "wal/000000020000000000000006.gz",
            "wal/000000020000000000000007.gz");
  }

  @Test
  void keepsWalOfNewerTimelinesAndFromTheStartSegmentOn() {
    WalListing wal = Listings.wal(names(segments(1, 2, 4, ""), segments(2, 2, 2, "")));
    SegmentName keepFrom = new SegmentName(TimelineId.FIRST, 3, Listings.SIZE);
    assertThat(Retention.walToRemove(wal, keepFrom))
        .extracting(WalFile::key)
        .containsExactly("wal/000000010000000000000002");
  }
}
