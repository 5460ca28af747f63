// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reading primitives shared by the decoders: NUL-terminated strings and bounds checks that fail
 * with SQLSTATE 08P01 rather than with a runtime exception from {@link ByteBuffer}.
 */
public final class Wire {

  private Wire() {}

  /** Reads a NUL-terminated UTF-8 string and moves past the NUL. */
  public static String cString(ByteBuffer b) {
    int start = b.position();
    int limit = b.limit();
    for (int i = start; i < limit; i++) {
      if (b.get(i) == 0) {
        String s = decode(b, start, i - start);
        b.position(i + 1);
        return s;
      }
    }
    throw violation("string not terminated within message");
  }

  /** Decodes {@code len} bytes at {@code offset} as UTF-8, without moving the position. */
  public static String decode(ByteBuffer b, int offset, int len) {
    if (b.hasArray()) {
      return new String(b.array(), b.arrayOffset() + offset, len, StandardCharsets.UTF_8);
    }
    byte[] tmp = new byte[len];
    b.get(offset, tmp);
    return new String(tmp, StandardCharsets.UTF_8);
  }

  /** Checks that {@code n} more bytes can be read. */
  public static void need(ByteBuffer b, int n, String what) {
    if (n < 0 || b.remaining() < n) {
      throw violation(
          "message too short for " + what + " (" + b.remaining() + " bytes left, need " + n + ")");
    }
  }

  /** Reads a big-endian Int32 after a bounds check. */
  public static int int32(ByteBuffer b, String what) {
    need(b, 4, what);
    return b.getInt();
  }

  /** Reads a big-endian Int16 after a bounds check. */
  public static short int16(ByteBuffer b, String what) {
    need(b, 2, what);
    return b.getShort();
  }

  /** Reads a byte after a bounds check. */
  public static byte int8(ByteBuffer b, String what) {
    need(b, 1, what);
    return b.get();
  }

  /** Reads the rest of the buffer into a new array. */
  public static byte[] rest(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** Fails unless the buffer was read to its end. */
  public static void end(ByteBuffer b, String what) {
    if (b.hasRemaining()) {
      throw violation(b.remaining() + " unexpected trailing bytes in " + what);
    }
  }

  /** A protocol-violation error (SQLSTATE 08P01). */
  public static PgException violation(String message) {
    return new PgException(SqlState.PROTOCOL_VIOLATION, "protocol violation: " + message);
  }

  /** Renders a type byte for messages: {@code 'R'} or {@code 0x05}. */
  public static String typeName(byte type) {
    return type >= 0x20 && type < 0x7f ? "'" + (char) type + "'" : String.format("0x%02x", type);
  }
}
