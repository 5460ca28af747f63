// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.compress.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * Fuzz target for {@link ArchiveDecompressor}: a server-compressed archive as it arrives, in
 * chunks, through the worker thread (see docs/fuzzing.md).
 *
 * <p>What must hold: the stream is either decompressed or rejected with 08P01 caused by the
 * decompressor's {@link IOException} (a runtime exception or error of a decompressor is a finding);
 * what comes out equals what the same decompressor reads from the bytes directly.
 */
class ArchiveDecompressorFuzzTest {

  private static final Compression.Algorithm[] ALGORITHMS = {
    Compression.Algorithm.GZIP, Compression.Algorithm.LZ4, Compression.Algorithm.ZSTD
  };

  /** Decompressed output beyond this stops the run (a small input may expand to gigabytes). */
  private static final int OUTPUT_CAP = 16 << 20;

  /** Thrown downstream to stop at the cap. */
  private static final class CapReached extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CapReached() {
      super("output cap reached", null, false, false);
    }
  }

  /**
   * Byte 0 picks the algorithm (gzip, lz4, zstd), byte 1 the largest chunk fed (times 64, plus 1);
   * the rest is the compressed archive.
   */
  @FuzzTest
  void decompress(byte[] data) throws IOException {
    if (data.length < 2) {
      return;
    }
    Compression.Algorithm algorithm = ALGORITHMS[(data[0] & 0xff) % ALGORITHMS.length];
    int maxChunk = 1 + 64 * (data[1] & 0xff);
    byte[] compressed = Arrays.copyOfRange(data, 2, data.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ArchiveDecompressor d =
        new ArchiveDecompressor(
            algorithm,
            "base.tar" + algorithm.extension(),
            b -> {
              if (out.size() + b.remaining() > OUTPUT_CAP) {
                throw new CapReached();
              }
              byte[] copy = new byte[b.remaining()];
              b.get(copy);
              out.writeBytes(copy);
            });
    Random cuts = new Random(data.length);
    try {
      for (int at = 0; at < compressed.length; ) {
        int n = Math.min(compressed.length - at, 1 + cuts.nextInt(maxChunk));
        d.feed(ByteBuffer.wrap(compressed, at, n));
        at += n;
      }
      d.finish();
    } catch (PgException e) {
      d.abort();
      if (e.getCause() instanceof CapReached) {
        return;
      }
      assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
      assertThat(e.getCause()).as("cause of %s", e.getMessage()).isInstanceOf(IOException.class);
      return;
    }
    byte[] direct;
    if (algorithm == Compression.Algorithm.LZ4) {
      try (Lz4FrameDecoder in = new Lz4FrameDecoder(new ByteArrayInputStream(compressed))) {
        direct = in.readAllBytes();
      }
    } else {
      direct = CompressionFixtures.decode(algorithm, compressed);
    }
    assertThat(out.toByteArray()).isEqualTo(direct);
  }
}
