// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.tar.TarFixtures.Recorder;
import io.jwalreceiver.basebackup.tar.TarFixtures.Split;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz targets for the tar reader, which parses what the server sends as a base backup (see
 * docs/fuzzing.md).
 *
 * <p>What must hold: a stream is either read to its end or rejected with 08P01, nothing else; the
 * listener contract holds throughout ({@link Recorder} checks it); cutting the stream into other
 * chunks changes neither the members reported nor the error; {@link TarReader#offset()} counts
 * every byte fed. A header that parses and fits the ustar fields encodes back to a block that
 * parses to the same header.
 */
class TarReaderFuzzTest {

  /**
   * Byte 0 picks the largest chunk of the second reading (times 8, plus 1); the rest is the stream.
   */
  @FuzzTest
  void stream(byte[] data) {
    if (data.length < 1) {
      return;
    }
    byte[] tar = Arrays.copyOfRange(data, 1, data.length);
    Outcome whole = read(tar, Split.whole());
    Outcome cut = read(tar, Split.random(data.length, 1 + 8 * (data[0] & 0xff)));
    assertThat(cut.recorder.members).isEqualTo(whole.recorder.members);
    assertThat(cut.recorder.ends).isEqualTo(whole.recorder.ends);
    assertThat(cut.error).isEqualTo(whole.error);
  }

  /**
   * The input, cut or padded with zeros to 512 bytes, is one header block. A base-256 number (GNU:
   * first byte 0x80, the rest unsigned; or 0xff, the whole field in two's complement) must read as
   * that value when it fits 63 bits and a sign, and be refused otherwise.
   */
  @FuzzTest
  void header(byte[] data) {
    byte[] block = Arrays.copyOf(data, TarHeader.BLOCK_SIZE);
    int[][] numbers = {
      {TarHeader.MODE, 8},
      {TarHeader.UID, 8},
      {TarHeader.GID, 8},
      {TarHeader.SIZE, 12},
      {TarHeader.MTIME, 12}
    };
    for (int[] field : numbers) {
      int first = block[field[0]] & 0xff;
      if (first != 0x80 && first != 0xff) {
        continue;
      }
      byte[] bytes = Arrays.copyOfRange(block, field[0], field[0] + field[1]);
      BigInteger value =
          first == 0x80
              ? new BigInteger(1, Arrays.copyOfRange(bytes, 1, bytes.length))
              : new BigInteger(bytes);
      Long expected = value.bitLength() <= 63 ? value.longValue() : null;
      Long actual;
      try {
        actual = TarHeader.number(ByteBuffer.wrap(block), 0, field[0], field[1], "field", 0);
      } catch (PgException e) {
        assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
        actual = null;
      }
      assertThat(actual).as("base-256 field at %d", field[0]).isEqualTo(expected);
    }
    TarHeader h;
    try {
      h = TarHeader.parse(ByteBuffer.wrap(block).asReadOnlyBuffer(), 0);
    } catch (PgException e) {
      assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
      return;
    }
    if (h.name().getBytes(StandardCharsets.UTF_8).length > 100
        || h.linkname().getBytes(StandardCharsets.UTF_8).length > 100
        || h.mtime() < 0) {
      return; // the writer refuses these; pax headers carry them instead
    }
    TarHeader again = TarHeader.parse(ByteBuffer.wrap(h.encode()), 0);
    assertThat(again).isEqualTo(h);
  }

  /** The members, the end, and the error message if the stream was rejected. */
  private record Outcome(Recorder recorder, String error) {}

  private static Outcome read(byte[] tar, Split split) {
    Recorder r = new Recorder();
    TarReader reader = new TarReader(r);
    long fed = 0;
    try {
      for (ByteBuffer chunk : split.apply(tar)) {
        int n = chunk.remaining();
        reader.feed(chunk);
        fed += n;
        // Plain checks: this loop may run once per byte.
        if (chunk.hasRemaining() || reader.offset() != fed) {
          throw new AssertionError(
              "after "
                  + fed
                  + " bytes fed: offset "
                  + reader.offset()
                  + ", "
                  + chunk.remaining()
                  + " bytes of the chunk left");
        }
      }
      boolean boundary = reader.atMemberBoundary();
      try {
        reader.finish();
        assertThat(boundary).as("finish() succeeds only at a member boundary").isTrue();
      } catch (PgException e) {
        assertThat(boundary).as("finish() failed at a member boundary: %s", e).isFalse();
        throw e;
      }
      assertThat(r.ends).isEqualTo(1);
      return new Outcome(r, null);
    } catch (PgException e) {
      assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
      return new Outcome(r, e.getMessage());
    }
  }
}
