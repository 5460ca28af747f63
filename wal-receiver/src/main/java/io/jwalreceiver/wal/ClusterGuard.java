// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What every (re)connection must pass before anything is written, so that a failover never puts a
 * foreign cluster's WAL, or WAL of another branch, into the archive:
 *
 * <ul>
 *   <li>the server's system identifier (IDENTIFY_SYSTEM) equals the archive's: the first server's,
 *       remembered, or, before any connection, the one in the long page header of a segment already
 *       in the directory ({@link ResumePoint#systemId()});
 *   <li>when the server is on a newer timeline than the archive's resume point, that timeline is in
 *       the server's history and the resume point is not beyond where the server's history left it
 *       (a diverged old primary, or a different branch).
 * </ul>
 *
 * Both refusals are errors that another attempt cannot cure (SQLSTATE 22023): the loop ends with
 * them.
 */
final class ClusterGuard {

  private @Nullable String systemId;
  private String systemIdSource = "";

  /**
   * Checks the server's identifier against the one remembered, then remembers it.
   *
   * @param serverId IDENTIFY_SYSTEM's system identifier
   * @param server the server, for the message ({@code host:port})
   * @throws PgException 22023 when they differ
   */
  void checkServer(String serverId, String server) {
    check(serverId, server);
    if (systemId == null) {
      systemId = serverId;
      systemIdSource = "the first server archived from";
    }
  }

  /**
   * Checks the server's identifier against the archive's files, when they tell one.
   *
   * @param serverId IDENTIFY_SYSTEM's system identifier
   * @param server the server, for the message
   * @param archive the archive's resume point
   * @throws PgException 22023 when they differ
   */
  void checkArchive(String serverId, String server, Optional<ResumePoint> archive) {
    String archiveId = archive.map(ResumePoint::systemId).orElse(null);
    if (archiveId != null && !archiveId.equals(serverId)) {
      throw mismatch(serverId, server, archiveId, "the archive's WAL files");
    }
  }

  private void check(String serverId, String server) {
    String known = systemId;
    if (known != null && !known.equals(serverId)) {
      throw mismatch(serverId, server, known, systemIdSource);
    }
  }

  private static PgException mismatch(String serverId, String server, String known, String source) {
    return new PgException(
        SqlState.INVALID_PARAMETER_VALUE,
        "system identifier mismatch: server "
            + server
            + " has "
            + serverId
            + ", but "
            + source
            + " have "
            + known
            + "; refusing to archive another cluster's WAL");
  }

  /**
   * Checks that streaming {@code timeline} from {@code start} on a server whose timeline is {@code
   * serverTimeline} follows the server's history.
   *
   * @param timeline the archive's timeline
   * @param start where the archive resumes (the end of what it holds, segment-aligned)
   * @param serverTimeline the server's current timeline
   * @param history the server's history file of {@code serverTimeline}, fetched only when needed
   * @throws PgException 22023 when the archive's timeline is not in the server's history, or the
   *     archive holds WAL of it beyond the point where the server's history left it
   */
  static void checkHistory(
      TimelineId timeline,
      Lsn start,
      TimelineId serverTimeline,
      Supplier<TimelineHistoryFile> history) {
    if (timeline.compareTo(serverTimeline) >= 0) {
      return;
    }
    TimelineHistoryFile file = history.get();
    if (!file.contains(timeline)) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "the archive's timeline "
              + timeline
              + " (resuming at "
              + start
              + ") is not in the history of the server's timeline "
              + serverTimeline
              + ": the archive follows a different branch; refusing to resume");
    }
    Lsn end = file.switchPointOf(timeline).orElseThrow();
    if (start.isAfter(end)) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "the archive is ahead of the server's history: it holds timeline "
              + timeline
              + " up to "
              + start
              + ", but the server's timeline "
              + serverTimeline
              + " forked from timeline "
              + timeline
              + " at "
              + end
              + " (a diverged old primary's WAL); refusing to resume");
    }
  }
}
