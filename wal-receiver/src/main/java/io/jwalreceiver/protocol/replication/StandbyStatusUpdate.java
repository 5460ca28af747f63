// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.replication;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.protocol.MessageWriter;

/**
 * Standby status update, sent inside CopyData (protocol-notes §4.1).
 *
 * <pre>
 * Byte1 'r' | Int64 write | Int64 flush | Int64 apply | Int64 sendTime | Byte1 replyRequested
 * </pre>
 *
 * <p>Positions are "last byte + 1"; {@link Lsn#INVALID} (0) means unknown. The flush position must
 * never exceed what has reached disk: the server advances the slot and releases synchronous commits
 * on it.
 */
public final class StandbyStatusUpdate {

  /** Encoded size inside the CopyData: 1 + 4 × 8 + 1 bytes. */
  public static final int SIZE = 34;

  private StandbyStatusUpdate() {}

  /**
   * Sends one update as a CopyData frame, without allocating.
   *
   * @param sendTimeMicros the client clock, in {@link PgTimestamp} microseconds
   */
  public static void send(
      MessageWriter w, long write, long flush, long apply, long sendTimeMicros, boolean reply) {
    w.begin();
    w.beginFrame((byte) 'd');
    w.putByte((byte) 'r');
    w.putLong(write);
    w.putLong(flush);
    w.putLong(apply);
    w.putLong(sendTimeMicros);
    w.putByte(reply ? (byte) 1 : (byte) 0);
    w.flush();
  }
}
