// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.lz4.LZ4FrameOutputStream.BLOCKSIZE;
import net.jpountz.lz4.LZ4FrameOutputStream.FLG;

/**
 * Fuzz targets for {@link Lz4FrameDecoder}, which reads server-compressed {@code .tar.lz4} archives
 * (see docs/fuzzing.md).
 *
 * <p>What must hold: any byte stream is either decoded or rejected with an {@link IOException};
 * {@code read} keeps the InputStream contract (at least one byte or -1, then -1 for good); what
 * lz4-java's frame writer wrote decodes to the original bytes.
 */
class Lz4FrameDecoderFuzzTest {

  /** Decoded output beyond this is not read (a small frame may expand to gigabytes). */
  private static final int OUTPUT_CAP = 16 << 20;

  /** The input is the compressed stream. */
  @FuzzTest
  void decode(byte[] data) {
    try (Lz4FrameDecoder in = new Lz4FrameDecoder(new ByteArrayInputStream(data))) {
      byte[] buf = new byte[8192];
      long total = 0;
      while (total < OUTPUT_CAP) {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
          assertThat(in.read(buf, 0, buf.length)).isEqualTo(-1);
          assertThat(in.read()).isEqualTo(-1);
          break;
        }
        assertThat(n).isBetween(1, buf.length);
        total += n;
      }
    } catch (IOException rejected) {
      // the documented failure
    }
  }

  /**
   * Byte 0 picks the writer's options (block size 64 KiB to 4 MiB, block checksums, content size,
   * content checksum); the rest is the content.
   */
  @FuzzTest
  @SuppressWarnings("EnumOrdinal") // the first fuzz byte picks a block size by its index
  void roundTrip(byte[] data) throws IOException {
    if (data.length < 1) {
      return;
    }
    int options = data[0] & 0xff;
    byte[] content = Arrays.copyOfRange(data, 1, data.length);
    BLOCKSIZE blockSize = BLOCKSIZE.values()[options & 3];
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    FLG.Bits[] bits =
        (options & 4) != 0
            ? new FLG.Bits[] {FLG.Bits.BLOCK_INDEPENDENCE, FLG.Bits.BLOCK_CHECKSUM}
            : new FLG.Bits[] {FLG.Bits.BLOCK_INDEPENDENCE};
    if ((options & 8) != 0) {
      bits = Arrays.copyOf(bits, bits.length + 1);
      bits[bits.length - 1] = FLG.Bits.CONTENT_CHECKSUM;
    }
    try (LZ4FrameOutputStream out =
        (options & 16) != 0
            ? new LZ4FrameOutputStream(compressed, blockSize, content.length, bits)
            : new LZ4FrameOutputStream(compressed, blockSize, bits)) {
      out.write(content);
    }
    byte[] twice = concat(compressed.toByteArray(), compressed.toByteArray());
    try (Lz4FrameDecoder in = new Lz4FrameDecoder(new ByteArrayInputStream(twice))) {
      assertThat(in.readAllBytes()).isEqualTo(concat(content, content));
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
