// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code archive cleanup --keep N}: removes the complete backups older than the N newest and the
 * WAL that only they need ({@link Retention}). Each backup goes manifest first, so that one removed
 * only in part (a crash, a network cut) is never taken for complete; such a remnant is an
 * incomplete backup afterwards, reported and left alone like any other.
 */
public final class ArchiveCleaner {

  private final ObjectStore store;
  private final ArchiveLayout layout;

  /** A cleaner of the archive in {@code store}, laid out as {@code layout} says. */
  public ArchiveCleaner(ObjectStore store, ArchiveLayout layout) {
    this.store = store;
    this.layout = layout;
  }

  /**
   * What a cleanup removes and keeps.
   *
   * @param split the backups kept, removed and incomplete
   * @param keepFrom the start segment of the oldest kept backup: WAL before it goes
   * @param wal the WAL files removed
   */
  public record Plan(Retention.Split split, SegmentName keepFrom, List<WalFile> wal) {

    /** Copies the list. */
    public Plan {
      wal = List.copyOf(wal);
    }

    /** How many objects go. */
    public int objects() {
      return removedBackups().stream().mapToInt(b -> b.objects().size()).sum() + wal.size();
    }

    /** The backups removed: the complete ones, then the incomplete ones, oldest first. */
    public List<BackupEntry> removedBackups() {
      List<BackupEntry> all = new ArrayList<>(split.removed());
      all.addAll(split.removedIncomplete());
      return all;
    }

    /** How many bytes go. */
    public long bytes() {
      return removedBackups().stream().mapToLong(BackupEntry::bytes).sum()
          + wal.stream().mapToLong(WalFile::size).sum();
    }
  }

  /**
   * Decides what goes; reads the listing and the oldest kept backup's manifest, removes nothing.
   *
   * @param keep how many complete backups to keep
   * @param removeIncomplete whether incomplete backups older than the oldest kept one go too
   * @throws PgException 22023 when {@code keep} is below 1; 55000 when the archive has no complete
   *     backup; XX001 or 58030 when the oldest kept backup's manifest cannot be read (nothing can
   *     then say which WAL it needs)
   */
  public Plan plan(int keep, boolean removeIncomplete) throws IOException {
    if (keep < 1) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE, "--keep must be at least 1, not " + keep);
    }
    ArchiveContents contents = ArchiveContents.list(store, layout);
    Retention.Split split = Retention.split(contents.backups(), keep, removeIncomplete);
    if (split.kept().isEmpty()) {
      throw new PgException(
          new SqlState("55000"),
          "no complete base backup in "
              + store.location().text()
              + ": nothing says which WAL is needed, so nothing is removed");
    }
    BackupEntry oldestKept = split.kept().get(0);
    BackupManifestSummary manifest;
    try {
      manifest = BackupManifestSummary.read(store, oldestKept.manifestKey());
    } catch (PgException e) {
      throw new PgException(
          e.sqlState(),
          "cannot read the manifest of the oldest kept backup "
              + store.describe(oldestKept.manifestKey())
              + ": "
              + e.getMessage()
              + "; nothing is removed",
          e);
    }
    SegmentName keepFrom =
        SegmentName.of(manifest.startTimeline(), manifest.start(), contents.wal().segmentSize());
    return new Plan(split, keepFrom, Retention.walToRemove(contents.wal(), keepFrom));
  }

  /**
   * Removes what the plan says: the complete backups oldest first, each manifest first, then the
   * incomplete ones given up, then the WAL.
   */
  public void execute(Plan plan) throws IOException {
    for (BackupEntry backup : plan.removedBackups()) {
      List<String> keys = backup.removalOrder();
      if (!keys.isEmpty()) {
        store.delete(keys.subList(0, 1));
        store.delete(keys.subList(1, keys.size()));
      }
      removeEmptyDirectory(backup.prefix());
    }
    List<String> wal = new ArrayList<>();
    plan.wal().forEach(f -> wal.add(f.key()));
    store.delete(wal);
  }

  /** In a local archive, the backup's folder once it is empty (a store has no folders). */
  private void removeEmptyDirectory(String prefix) throws IOException {
    Path dir = store.location().directory();
    if (dir == null) {
      return;
    }
    try {
      Files.delete(dir.resolve(prefix));
    } catch (DirectoryNotEmptyException | NoSuchFileException e) {
      // Something else is in it (not ours to remove), or it is gone already.
    }
  }
}
