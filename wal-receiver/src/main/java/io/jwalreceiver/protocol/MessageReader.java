// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * Pulls one backend frame at a time from a {@link Transport} into one reusable buffer.
 *
 * <pre>
 * Byte1  type
 * Int32  length, counting itself but not the type byte (at least 4)
 * Byte[length - 4] body
 * </pre>
 *
 * <p>After {@link #next} returns, {@link #type()} and {@link #body()} describe the frame; the body
 * is a view into the reader's buffer and stays valid only until the next call. The length is
 * checked against the frame limit before any buffer grows, so a hostile length cannot exhaust
 * memory.
 */
public final class MessageReader {

  private static final int HEADER = 5;
  private static final int INITIAL_CAPACITY = 64 * 1024;

  /**
   * The largest frame limit: header plus body must stay at most 1 GiB (the server builds every
   * message in a buffer capped at 1 GB), so size arithmetic and buffer doubling cannot overflow.
   */
  public static final int MAX_FRAME_LIMIT = (1 << 30) - HEADER;

  /**
   * The longest message (length word included) of a type that is never long, as libpq allows:
   * authentication, parameter status, command tags, ReadyForQuery, copy responses. Only CopyData,
   * DataRow, RowDescription, ErrorResponse, NoticeResponse, NotificationResponse and
   * FunctionCallResponse can be longer; for them the frame limit applies.
   */
  static final int SHORT_MESSAGE_LIMIT = 30000;

  private final Transport transport;
  private final int frameLimit;
  private ByteBuffer buf;

  /** Start of unconsumed bytes in {@link #buf}; the buffer's position marks their end. */
  private int start;

  private byte type;
  private @Nullable ByteBuffer body;

  /**
   * The one view object handed out as {@link #body()}, re-pointed at each frame so reading a frame
   * allocates nothing; replaced only when {@link #buf} grows.
   */
  private ByteBuffer view;

  /** Offset in {@link #buf} just past the current frame. */
  private int bodyEnd;

  private long framesRead;

  /**
   * @param transport where the bytes come from
   * @param frameLimit the largest body accepted, in bytes, at most {@link #MAX_FRAME_LIMIT}
   */
  public MessageReader(Transport transport, int frameLimit) {
    this(transport, frameLimit, INITIAL_CAPACITY);
  }

  /**
   * @param initialCapacity the buffer's starting size; a buffer many frames long keeps the
   *     compaction copies (moving a partly received frame to the front) rare on a WAL stream of 128
   *     KiB messages
   */
  public MessageReader(Transport transport, int frameLimit, int initialCapacity) {
    if (frameLimit < 0 || frameLimit > MAX_FRAME_LIMIT) {
      throw new IllegalArgumentException(
          "frame limit must be between 0 and " + MAX_FRAME_LIMIT + ", got " + frameLimit);
    }
    this.transport = transport;
    this.frameLimit = frameLimit;
    this.buf = allocate(Math.max(HEADER, initialCapacity));
    this.view = buf.duplicate();
  }

  /** Reads the next frame, blocking until it is complete. */
  public void next() {
    if (!next(0)) {
      throw new IllegalStateException("unreachable: a read without timeout returned nothing");
    }
  }

  /**
   * Reads the next frame, waiting at most {@code timeoutMillis} for more bytes per read (0 =
   * forever). Bytes of an incomplete frame stay buffered for the next call.
   *
   * @return true when a frame is ready; false when the wait timed out first
   */
  public boolean next(long timeoutMillis) {
    // Release the previous frame.
    if (body != null) {
      start = bodyEnd;
      body = null;
    }
    while (true) {
      int available = buf.position() - start;
      if (available == 0 && start > 0) {
        buf.position(0);
        start = 0;
      }
      if (available >= HEADER) {
        int len = buf.getInt(start + 1);
        if (len < 4) {
          throw Wire.violation(
              "invalid message length "
                  + len
                  + " for message type "
                  + Wire.typeName(buf.get(start)));
        }
        int bodyLen = len - 4;
        if (len > SHORT_MESSAGE_LIMIT && !mayBeLong(buf.get(start))) {
          // libpq's rule and words: only these types can be long; a longer one means the
          // stream is out of step (or hostile).
          throw new PgException(
              SqlState.PROTOCOL_VIOLATION,
              "lost synchronization with server: got message type \""
                  + (char) (buf.get(start) & 0xff)
                  + "\", length "
                  + len);
        }
        if (bodyLen > frameLimit) {
          throw Wire.violation(
              "message of type "
                  + Wire.typeName(buf.get(start))
                  + " is "
                  + bodyLen
                  + " bytes, more than the limit of "
                  + frameLimit);
        }
        if (available >= HEADER + bodyLen) {
          type = buf.get(start);
          // slice() would allocate a view per frame; re-point the reusable one instead. Its
          // position is the body's first byte, not 0: decoders read relative to position().
          view.clear();
          view.limit(start + HEADER + bodyLen).position(start + HEADER);
          body = view;
          bodyEnd = start + HEADER + bodyLen;
          framesRead++;
          return true;
        }
        ensureRoom(HEADER + bodyLen);
      } else {
        ensureRoom(HEADER);
      }
      int n = transport.read(buf, timeoutMillis);
      if (n == 0) {
        return false;
      }
    }
  }

  /** Makes room for a frame of {@code frameSize} bytes starting at {@link #start}. */
  private void ensureRoom(int frameSize) {
    if (start + frameSize <= buf.capacity()) {
      return;
    }
    int used = buf.position() - start;
    if (frameSize <= buf.capacity()) {
      // Compact: move the unconsumed bytes to the front (an overlapping copy is safe here).
      buf.put(0, buf, start, used);
    } else {
      int cap = buf.capacity();
      while (cap < frameSize) {
        cap = cap * 2 < 0 ? Integer.MAX_VALUE : cap * 2;
      }
      ByteBuffer bigger = allocate(cap);
      bigger.put(0, buf, start, used);
      buf = bigger;
      view = buf.duplicate();
    }
    buf.position(used);
    start = 0;
  }

  /**
   * A direct buffer when the transport reads channels: WAL then goes from the socket to the file
   * without a copy through the Java heap.
   */
  private ByteBuffer allocate(int capacity) {
    return transport.directBuffers()
        ? ByteBuffer.allocateDirect(capacity)
        : ByteBuffer.allocate(capacity);
  }

  /** The type byte of the current frame. */
  public byte type() {
    return type;
  }

  /**
   * The body of the current frame: from its position (the first body byte, not necessarily 0) to
   * its limit. The same object is returned for every frame. Borrowed: valid until the next call to
   * {@link #next}.
   */
  public ByteBuffer body() {
    if (body == null) {
      throw new IllegalStateException("no current frame: call next() first");
    }
    return body;
  }

  /** How many frames have been read. */
  public long framesRead() {
    return framesRead;
  }

  /** libpq's VALID_LONG_MESSAGE_TYPE. */
  private static boolean mayBeLong(byte type) {
    return switch (type) {
      case 'd', 'D', 'T', 'E', 'N', 'A', 'V' -> true;
      default -> false;
    };
  }
}
