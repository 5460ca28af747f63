// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.SlotPosition;
import io.jwalreceiver.session.SystemIdentity;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Where streaming starts (protocol-notes §4.3): an explicit start (pg_basebackup's streamer), else
 * the archive's {@link ResumePoint}, else the slot's {@code restart_lsn} (PostgreSQL 15+), else the
 * server's current position; always a segment start. Pure apart from the two lookups it is given,
 * which run in that order and only when needed.
 *
 * @param timeline the timeline to stream
 * @param lsn the segment start to stream from
 */
record StartPosition(TimelineId timeline, Lsn lsn) {

  /**
   * Decides the start.
   *
   * @param options the explicit start and the slot name
   * @param archive the archive's resume point (pg_receivewal's directory scan)
   * @param slot the slot's position: empty when there is no slot or the server is older than 15
   *     (READ_REPLICATION_SLOT); a slot that does not exist is an error of this lookup
   * @param server IDENTIFY_SYSTEM's answer
   * @param size the server's segment size
   * @throws PgException 22023 when the archive would resume below what the slot still keeps, or the
   *     start timeline is newer than the server's
   */
  static StartPosition decide(
      ReceiverOptions options,
      Supplier<Optional<ResumePoint>> archive,
      Supplier<Optional<SlotPosition>> slot,
      SystemIdentity server,
      WalSegmentSize size) {
    Lsn forced = options.startPosition();
    TimelineId forcedTimeline = options.startTimeline();
    if (forced != null && forcedTimeline != null) {
      return new StartPosition(forcedTimeline, forced.segmentStart(size));
    }
    Optional<ResumePoint> fromArchive = archive.get();
    Optional<SlotPosition> fromSlot = slot.get();
    @Nullable Lsn restart = fromSlot.map(SlotPosition::restartLsn).orElse(null);
    StartPosition start;
    if (fromArchive.isPresent()) {
      ResumePoint r = fromArchive.get();
      start = new StartPosition(r.timeline(), r.start());
      // Resuming below the slot's reservation would leave WAL that the server may already have
      // removed between what we have and what the slot still keeps: never do that silently.
      if (restart != null
          && Long.compareUnsigned(r.start().value(), restart.segmentStart(size).value()) < 0) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "the archive ends at "
                + r.start()
                + " but replication slot \""
                + options.slotName()
                + "\" only keeps WAL from "
                + restart,
            "WAL between "
                + r.start()
                + " and "
                + restart
                + " may be missing;"
                + " the archive would have a gap.",
            "Check whether another client used the slot; archive into an empty directory to"
                + " start afresh.",
            null);
      }
    } else if (restart != null) {
      start =
          new StartPosition(
              Objects.requireNonNull(
                  fromSlot.get().restartTimeline(), "restart_tli with restart_lsn"),
              restart);
    } else {
      start = new StartPosition(server.timeline(), server.xlogPosition());
    }
    if (Long.compareUnsigned(start.timeline.value(), server.timeline().value()) > 0) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "starting timeline " + start.timeline + " is not present in the server");
    }
    return new StartPosition(start.timeline, start.lsn.segmentStart(size));
  }
}
