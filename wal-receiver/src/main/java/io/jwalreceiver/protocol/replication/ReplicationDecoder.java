// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.replication;

import io.jwalreceiver.protocol.Wire;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * Decodes the messages the walsender sends inside CopyData (protocol-notes §4.1), into this
 * object's fields rather than a new record per message: the WAL stream runs at hundreds of
 * thousands of messages per second and its budget is zero allocations per message.
 *
 * <pre>
 * XLogData          Byte1 'w' | Int64 dataStart | Int64 walEnd | Int64 sendTime | Byte[n] WAL
 * PrimaryKeepalive  Byte1 'k' | Int64 walEnd | Int64 sendTime | Byte1 replyRequested
 * </pre>
 *
 * <p>After {@link #decode} returns {@link #XLOG_DATA}, {@link #payload()} is the CopyData body
 * itself, positioned past the 25-byte header: borrowed, valid until the connection reads its next
 * frame.
 */
public final class ReplicationDecoder {

  /** XLogData. */
  public static final byte XLOG_DATA = 'w';

  /** Primary keepalive. */
  public static final byte PRIMARY_KEEPALIVE = 'k';

  private static final int XLOG_HEADER = 1 + 8 + 8 + 8;
  private static final int KEEPALIVE_SIZE = 1 + 8 + 8 + 1;

  private long dataStart;
  private long walEnd;
  private long sendTime;
  private boolean replyRequested;
  private @Nullable ByteBuffer payload;

  /**
   * Decodes one CopyData body.
   *
   * @return {@link #XLOG_DATA} or {@link #PRIMARY_KEEPALIVE}
   * @throws io.jwalreceiver.PgException 08P01 for an unknown sub-type or a short message
   */
  public byte decode(ByteBuffer body) {
    int p = body.position();
    if (body.remaining() < 1) {
      throw Wire.violation("empty CopyData message in replication stream");
    }
    byte kind = body.get(p);
    if (kind == XLOG_DATA) {
      if (body.remaining() < XLOG_HEADER) {
        throw Wire.violation("streaming header too small: " + body.remaining());
      }
      dataStart = body.getLong(p + 1);
      walEnd = body.getLong(p + 9);
      sendTime = body.getLong(p + 17);
      body.position(p + XLOG_HEADER);
      payload = body;
      return XLOG_DATA;
    }
    if (kind == PRIMARY_KEEPALIVE) {
      if (body.remaining() < KEEPALIVE_SIZE) {
        throw Wire.violation("streaming header too small: " + body.remaining());
      }
      walEnd = body.getLong(p + 1);
      sendTime = body.getLong(p + 9);
      replyRequested = body.get(p + 17) != 0;
      payload = null;
      return PRIMARY_KEEPALIVE;
    }
    throw Wire.violation("unrecognized streaming header: \"" + (char) kind + "\"");
  }

  /** XLogData: the LSN of the payload's first byte. */
  public long dataStart() {
    return dataStart;
  }

  /** The server's WAL end (its flush position on a primary) when it sent the message. */
  public long walEnd() {
    return walEnd;
  }

  /** The server's clock when it sent the message, in {@link PgTimestamp} microseconds. */
  public long sendTime() {
    return sendTime;
  }

  /** Keepalive: whether the server wants a status update at once. */
  public boolean replyRequested() {
    return replyRequested;
  }

  /**
   * XLogData: the WAL bytes, borrowed (see the class comment).
   *
   * @throws IllegalStateException when the last message decoded was not XLogData
   */
  public ByteBuffer payload() {
    ByteBuffer p = payload;
    if (p == null) {
      throw new IllegalStateException("no XLogData payload: the last message was a keepalive");
    }
    return p;
  }
}
