// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import io.jwalreceiver.testkit.GoldenFiles;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds wire bytes by hand for tests: big-endian integers, C-strings and raw bytes. */
public final class WireBytes {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private WireBytes() {}

  public static WireBytes create() {
    return new WireBytes();
  }

  /** Bytes from hex digits; blanks are ignored ({@code "00 00 00 08"}). */
  public static byte[] hex(String digits) {
    return GoldenFiles.hex(digits);
  }

  /** A whole frame: type byte, Int32 length (body + 4), body. */
  public static byte[] frame(char type, byte[] body) {
    return create().int8(type).int32(body.length + 4).bytes(body).toArray();
  }

  public WireBytes int8(int v) {
    out.write(v);
    return this;
  }

  public WireBytes int16(int v) {
    out.write(v >>> 8);
    out.write(v);
    return this;
  }

  public WireBytes int32(int v) {
    int16(v >>> 16);
    int16(v);
    return this;
  }

  /** UTF-8 bytes and a terminating NUL. */
  public WireBytes cString(String s) {
    return ascii(s).int8(0);
  }

  /** UTF-8 bytes without a terminator. */
  public WireBytes ascii(String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  public WireBytes bytes(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  public byte[] toArray() {
    return out.toByteArray();
  }
}
