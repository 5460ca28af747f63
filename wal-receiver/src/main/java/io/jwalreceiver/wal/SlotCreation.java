// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.session.CreatedSlot;
import io.jwalreceiver.session.ReplicationConnection;
import org.jspecify.annotations.Nullable;

/**
 * {@link ReceiverOptions#createSlotIfMissing()}: after a failover the new primary lacks the
 * archiver's physical slot; it is created there (RESERVE_WAL) and streaming starts where the
 * archive needs, which the server may or may not still have.
 */
final class SlotCreation {

  /** {@code undefined_file}: the walsender's "requested WAL segment … has already been removed". */
  private static final String UNDEFINED_FILE = "58P01";

  private SlotCreation() {}

  /**
   * Creates {@code slot} unless the server has it.
   *
   * @return where the new slot reserves WAL from, or null when the slot existed
   */
  static @Nullable Lsn ensure(
      ReplicationConnection conn, String slot, WalReceiver.Listener listener) {
    if (conn.serverVersionNum() >= 150000 && conn.readReplicationSlot(slot).isPresent()) {
      return null;
    }
    CreatedSlot created;
    try {
      created = conn.createPhysicalSlot(slot, false, true);
    } catch (PgException e) {
      if (e.sqlState().equals(SqlState.DUPLICATE_OBJECT)) {
        return null; // Before 15 there is no READ_REPLICATION_SLOT: creating tells.
      }
      throw e;
    }
    Lsn at = created.consistentPoint() == null ? Lsn.of(0) : created.consistentPoint();
    listener.info("created replication slot \"" + slot + "\" (reserving WAL from " + at + ")");
    return at;
  }

  /**
   * A failure of the first stream through a slot just created: when the server has removed the WAL
   * the archive needs, an error that says so and ends the loop; else {@code e} unchanged.
   */
  static PgException explain(
      PgException e, @Nullable String slot, Lsn createdAt, StartPosition start) {
    if (!e.fromServer() || !e.sqlState().code().equals(UNDEFINED_FILE)) {
      return e;
    }
    return new PgException(
        SqlState.INVALID_PARAMETER_VALUE,
        "the server no longer has the WAL the archive needs: the archive resumes at "
            + start.lsn()
            + " on timeline "
            + start.timeline()
            + ", but replication slot \""
            + slot
            + "\" was created reserving WAL from "
            + createdAt
            + " and the server answered: "
            + e.getMessage(),
        e);
  }
}
