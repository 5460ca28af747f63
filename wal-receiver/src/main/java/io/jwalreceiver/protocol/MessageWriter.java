// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encodes frontend messages into one reusable buffer and writes them to a {@link Transport}. Each
 * message writes its type byte (if it has one), a length placeholder and its body; the writer
 * back-patches the length.
 */
public final class MessageWriter {

  private final Transport transport;
  private ByteBuffer buf = ByteBuffer.allocate(8 * 1024);
  private int lengthAt = -1;

  public MessageWriter(Transport transport) {
    this.transport = transport;
  }

  /** Encodes one message and writes it out at once. */
  public void send(Encodable message) {
    begin();
    message.encode(this);
    flush();
  }

  /**
   * Starts a message encoded by hand with {@link #beginFrame} and the {@code put} methods; {@link
   * #flush} writes it. For hot paths that must not allocate a message record.
   */
  public void begin() {
    buf.clear();
    lengthAt = -1;
  }

  /** Back-patches the open frame's length and writes everything encoded since {@link #begin}. */
  public void flush() {
    finishFrame();
    buf.flip();
    transport.write(buf);
  }

  /** Starts a frame with a type byte; the length follows. */
  public void beginFrame(byte type) {
    putByte(type);
    beginUntypedFrame();
  }

  /** Starts a frame without a type byte (StartupMessage, SSLRequest). */
  public void beginUntypedFrame() {
    lengthAt = buf.position();
    putInt(0);
  }

  private void finishFrame() {
    if (lengthAt >= 0) {
      buf.putInt(lengthAt, buf.position() - lengthAt);
      lengthAt = -1;
    }
  }

  /** Appends a byte. */
  public void putByte(byte b) {
    ensure(1);
    buf.put(b);
  }

  /** Appends a big-endian Int16. */
  public void putShort(short v) {
    ensure(2);
    buf.putShort(v);
  }

  /** Appends a big-endian Int32. */
  public void putInt(int v) {
    ensure(4);
    buf.putInt(v);
  }

  /** Appends a big-endian Int64. */
  public void putLong(long v) {
    ensure(8);
    buf.putLong(v);
  }

  /** Appends bytes. */
  public void putBytes(byte[] b) {
    ensure(b.length);
    buf.put(b);
  }

  /** Appends the remaining bytes of a buffer without moving its position. */
  public void putBytes(ByteBuffer b) {
    ensure(b.remaining());
    buf.put(b.duplicate());
  }

  /** Appends a UTF-8 string and its terminating NUL. */
  public void putCString(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    for (byte x : bytes) {
      if (x == 0) {
        throw new IllegalArgumentException("string contains a NUL byte");
      }
    }
    putBytes(bytes);
    putByte((byte) 0);
  }

  private void ensure(int n) {
    if (buf.remaining() < n) {
      int cap = buf.capacity();
      while (cap - buf.position() < n) {
        cap *= 2;
      }
      ByteBuffer bigger = ByteBuffer.allocate(cap);
      buf.flip();
      bigger.put(buf);
      buf = bigger;
    }
  }
}
