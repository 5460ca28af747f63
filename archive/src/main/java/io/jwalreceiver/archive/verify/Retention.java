// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.SegmentName;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code archive cleanup --keep N} keeps and removes. Pure: it reads listings.
 *
 * <ul>
 *   <li>The N newest complete backups (by id, which is the start time) are kept; older complete
 *       ones are removed.
 *   <li>Incomplete backups (no manifest: failed, or still running) are kept and reported.
 *   <li>WAL segments and {@code .partial} files before the start segment of the oldest kept backup,
 *       on its timeline and older ones, are removed: no kept backup can need them. History files
 *       are always kept (they are tiny, and recovery to any timeline needs them).
 * </ul>
 */
public final class Retention {

  private Retention() {}

  /**
   * The backups split by what cleanup does with them.
   *
   * @param kept the complete backups kept, oldest first
   * @param removed the complete backups removed, oldest first
   * @param incomplete the backups without a manifest that are kept
   * @param removedIncomplete the backups without a manifest that are removed (only with {@code
   *     removeIncomplete}, and only those older than the oldest kept backup)
   */
  public record Split(
      List<BackupEntry> kept,
      List<BackupEntry> removed,
      List<BackupEntry> incomplete,
      List<BackupEntry> removedIncomplete) {

    /** Copies the lists. */
    public Split {
      kept = List.copyOf(kept);
      removed = List.copyOf(removed);
      incomplete = List.copyOf(incomplete);
      removedIncomplete = List.copyOf(removedIncomplete);
    }
  }

  /**
   * Splits the backups, keeping every incomplete one.
   *
   * @param backups the archive's backups in id order
   * @param keep how many complete backups to keep, at least 1
   */
  public static Split split(List<BackupEntry> backups, int keep) {
    return split(backups, keep, false);
  }

  /**
   * Splits the backups.
   *
   * @param backups the archive's backups in id order
   * @param keep how many complete backups to keep, at least 1
   * @param removeIncomplete whether incomplete backups older than the oldest kept one go too (a
   *     failed backup, or what an interrupted cleanup left); newer ones may still be running and
   *     are always kept
   */
  public static Split split(List<BackupEntry> backups, int keep, boolean removeIncomplete) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep must be at least 1: " + keep);
    }
    List<BackupEntry> complete = new ArrayList<>();
    for (BackupEntry b : backups) {
      if (b.complete()) {
        complete.add(b);
      }
    }
    int cut = Math.max(0, complete.size() - keep);
    List<BackupEntry> kept = complete.subList(cut, complete.size());
    List<BackupEntry> incomplete = new ArrayList<>();
    List<BackupEntry> removedIncomplete = new ArrayList<>();
    for (BackupEntry b : backups) {
      if (!b.complete()) {
        boolean old = !kept.isEmpty() && b.id().compareTo(kept.get(0).id()) < 0;
        (removeIncomplete && old ? removedIncomplete : incomplete).add(b);
      }
    }
    return new Split(kept, complete.subList(0, cut), incomplete, removedIncomplete);
  }

  /**
   * The WAL files no kept backup needs: segments and {@code .partial} files before {@code
   * keepFrom}'s segment on its timeline or an older one.
   *
   * @param wal the archive's WAL
   * @param keepFrom the start segment of the oldest kept backup
   */
  public static List<WalFile> walToRemove(WalListing wal, SegmentName keepFrom) {
    List<WalFile> remove = new ArrayList<>();
    for (WalFile f : wal.files()) {
      SegmentName s = f.segment();
      if (s.timeline().compareTo(keepFrom.timeline()) <= 0
          && s.segmentNumber() < keepFrom.segmentNumber()) {
        remove.add(f);
      }
    }
    return remove;
  }
}
