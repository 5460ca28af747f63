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
   * @param incomplete the backups without a manifest, kept
   */
  public record Split(
      List<BackupEntry> kept, List<BackupEntry> removed, List<BackupEntry> incomplete) {

    /** Copies the lists. */
    public Split {
      kept = List.copyOf(kept);
      removed = List.copyOf(removed);
      incomplete = List.copyOf(incomplete);
    }
  }

  /**
   * Splits the backups.
   *
   * @param backups the archive's backups in id order
   * @param keep how many complete backups to keep, at least 1
   */
  public static Split split(List<BackupEntry> backups, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep must be at least 1: " + keep);
    }
    List<BackupEntry> complete = new ArrayList<>();
    List<BackupEntry> incomplete = new ArrayList<>();
    for (BackupEntry b : backups) {
      (b.complete() ? complete : incomplete).add(b);
    }
    int cut = Math.max(0, complete.size() - keep);
    return new Split(complete.subList(cut, complete.size()), complete.subList(0, cut), incomplete);
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
