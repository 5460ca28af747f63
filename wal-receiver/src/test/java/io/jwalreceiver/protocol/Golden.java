// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import io.jwalreceiver.testkit.GoldenFiles;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The server-to-client byte streams captured from a real server, stored under {@code
 * src/test/resources/golden/} (see the README there).
 */
public final class Golden {

  /** Every captured server-to-client stream. */
  public static final List<String> SERVER_STREAMS =
      List.of(
          "pg15-startup-trust.bin",
          "pg15-identify-system.bin",
          "pg15-show-wal-segment-size.bin",
          "pg15-create-replication-slot.bin",
          "pg15-read-replication-slot.bin",
          "pg15-drop-replication-slot.bin",
          "pg15-error-drop-missing-slot.bin",
          "pg15-notice.bin",
          "pg15-auth-md5-request.bin",
          "pg15-auth-scram.bin");

  private Golden() {}

  /** The bytes of one golden file. */
  public static byte[] load(String name) {
    return GoldenFiles.load(name);
  }

  /** One frame: its type byte and a copy of its body. */
  public record Frame(byte type, byte[] body) {
    public Frame {
      body = body.clone();
    }

    @Override
    public byte[] body() {
      return body.clone();
    }

    /** A read-only view of the body, positioned at its start. */
    public ByteBuffer bodyView() {
      return ByteBuffer.wrap(body).asReadOnlyBuffer();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Frame f && f.type == type && Arrays.equals(f.body, body);
    }

    @Override
    public int hashCode() {
      return type * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
      return "Frame['" + (char) type + "', " + HexFormat.of().formatHex(body) + "]";
    }
  }

  /**
   * Splits a stream into frames with a deliberately naive loop, independent of {@link
   * MessageReader}, so the two can be checked against each other.
   */
  public static List<Frame> frames(byte[] stream) {
    List<Frame> frames = new ArrayList<>();
    int at = 0;
    while (at < stream.length) {
      int len = ByteBuffer.wrap(stream, at + 1, 4).getInt();
      frames.add(new Frame(stream[at], Arrays.copyOfRange(stream, at + 5, at + 1 + len)));
      at += 1 + len;
    }
    if (at != stream.length) {
      throw new IllegalStateException("golden stream ends inside a frame");
    }
    return frames;
  }
}
