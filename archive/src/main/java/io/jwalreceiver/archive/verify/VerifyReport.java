// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@code archive verify} found.
 *
 * @param location the archive, as given
 * @param segmentSize the segment size (from the segments' headers; 16 MiB when none has one)
 * @param segmentFiles how many segment files ({@code .partial} included) the WAL has
 * @param historyFiles how many history files
 * @param walBytes the stored size of all segment files
 * @param newestTimeline the newest timeline the archive knows of, or null when it has no WAL
 * @param backups the complete backups checked, oldest first
 * @param incomplete the ids of backups without a manifest (failed or running: not checked)
 * @param problems everything wrong, one entry each; empty when the archive is sound
 */
public record VerifyReport(
    String location,
    WalSegmentSize segmentSize,
    int segmentFiles,
    int historyFiles,
    long walBytes,
    @Nullable TimelineId newestTimeline,
    List<BackupResult> backups,
    List<String> incomplete,
    List<Problem> problems) {

  /** Copies the lists. */
  public VerifyReport {
    backups = List.copyOf(backups);
    incomplete = List.copyOf(incomplete);
    problems = List.copyOf(problems);
  }

  /** Whether nothing is wrong. */
  public boolean ok() {
    return problems.isEmpty();
  }

  /**
   * One complete backup and its WAL chain.
   *
   * @param id the backup id
   * @param objects how many objects it has
   * @param bytes their total size
   * @param startTimeline the timeline of its start
   * @param start its start LSN
   * @param endTimeline the timeline of its end
   * @param end its end LSN
   * @param chain its WAL chain to the newest segment, by timeline (empty when the manifest could
   *     not be read)
   */
  public record BackupResult(
      String id,
      int objects,
      long bytes,
      @Nullable TimelineId startTimeline,
      @Nullable Lsn start,
      @Nullable TimelineId endTimeline,
      @Nullable Lsn end,
      List<WalChain.Span> chain) {

    /** Copies the list. */
    public BackupResult {
      chain = List.copyOf(chain);
    }
  }
}
