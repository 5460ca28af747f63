// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An immutable run of bytes for message records that carry opaque or secret data (SASL messages):
 * copied on the way in and on the way out, compared by content, and shown by its length only, so a
 * record's {@code toString} never prints a nonce, a proof or a key.
 */
public final class ByteString {

  private final byte[] bytes;

  private ByteString(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * A byte string holding a copy of {@code bytes}.
   *
   * @param bytes the content (not kept)
   * @return the byte string
   */
  public static ByteString copyOf(byte[] bytes) {
    return new ByteString(bytes.clone());
  }

  /**
   * A copy of the content.
   *
   * @return a new array
   */
  public byte[] toArray() {
    return bytes.clone();
  }

  /**
   * The number of bytes.
   *
   * @return the length
   */
  public int length() {
    return bytes.length;
  }

  /**
   * A read-only view of the content, positioned at its start.
   *
   * @return the view
   */
  public ByteBuffer view() {
    return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ByteString b && Arrays.equals(b.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** The length only: {@code "12 bytes"}. */
  @Override
  public String toString() {
    return bytes.length + " bytes";
  }
}
