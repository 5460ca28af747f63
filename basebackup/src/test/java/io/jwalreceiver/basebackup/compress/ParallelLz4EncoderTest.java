// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static io.jwalreceiver.basebackup.compress.CompressionFixtures.compressible;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.random;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.toolAccepts;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.writeInChunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.basebackup.compress.CompressionFixtures.Collector;
import io.jwalreceiver.compress.Compression;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jpountz.lz4.LZ4Compressor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ParallelLz4EncoderTest {

  private static final int BLOCK = ParallelLz4Encoder.BLOCK_SIZE;

  @TempDir Path tmp;

  private static byte[] encode(
      byte[] data, LZ4Compressor compressor, int workers, int blocksPerChunk, long seed)
      throws IOException {
    Collector out = new Collector();
    try (ParallelLz4Encoder e = new ParallelLz4Encoder(out, compressor, workers, blocksPerChunk)) {
      writeInChunks(e, data, seed);
      e.finish();
    }
    assertThat(out.closed).as("the target stays open").isFalse();
    return out.toByteArray();
  }

  /** Our decoder and lz4-java's, which must agree. */
  private static byte[] decodeBoth(byte[] lz4) throws IOException {
    byte[] lz4java = CompressionFixtures.decode(Compression.Algorithm.LZ4, lz4);
    byte[] ours;
    try (Lz4FrameDecoder d = new Lz4FrameDecoder(new ByteArrayInputStream(lz4))) {
      ours = d.readAllBytes();
    }
    assertThat(ours).isEqualTo(lz4java);
    return ours;
  }

  static Stream<Arguments> shapes() {
    List<Arguments> all = new ArrayList<>();
    int[] sizes = {0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 17, 40 * BLOCK + 3, 3_000_001};
    for (int size : sizes) {
      for (int workers : new int[] {0, 1, 2, 4}) {
        all.add(Arguments.of(size, workers, 3));
      }
    }
    all.add(Arguments.of(6_000_000, 2, ParallelLz4Encoder.BLOCKS_PER_CHUNK));
    return all.stream();
  }

  @ParameterizedTest(name = "{0} bytes, {1} workers, {2} blocks a chunk")
  @MethodSource("shapes")
  void outputDecodesToTheInput(int size, int workers, int blocksPerChunk) throws Exception {
    byte[] data = compressible(size, size);
    byte[] lz4 = encode(data, ParallelLz4Encoder.compressorFor(1), workers, blocksPerChunk, size);
    assertThat(decodeBoth(lz4)).isEqualTo(data);
  }

  @Test
  void incompressibleBlocksAreStoredAndHighLevelsUseLz4hc() throws IOException {
    byte[] data = random(10 * BLOCK + 5, 7);
    byte[] stored = encode(data, ParallelLz4Encoder.compressorFor(1), 2, 3, 7);
    assertThat(decodeBoth(stored)).isEqualTo(data);
    // Header, 11 stored blocks with their sizes and checksums, end mark: no growth beyond framing.
    assertThat(stored.length).isEqualTo(7 + data.length + 11 * (4 + 4) + 4);

    byte[] text = compressible(2_000_000, 8);
    byte[] hc = encode(text, ParallelLz4Encoder.compressorFor(9), 2, 4, 8);
    assertThat(decodeBoth(hc)).isEqualTo(text);
    assertThat(hc.length)
        .isLessThan(encode(text, ParallelLz4Encoder.compressorFor(1), 2, 4, 8).length);
  }

  @Test
  void everyBlockCarriesAChecksumThatDecodersCheck() throws IOException {
    byte[] data = random(3 * BLOCK, 21);
    byte[] lz4 = encode(data, ParallelLz4Encoder.compressorFor(1), 2, 1, 21);
    // FLG: version 01, independent blocks, block checksums, no content checksum.
    assertThat(lz4[4]).isEqualTo((byte) 0x70);
    // One flipped bit in the second (stored) block's data.
    byte[] bad = lz4.clone();
    bad[7 + (4 + BLOCK + 4) + 4 + 100] ^= 0x01;
    assertThatThrownBy(
            () -> {
              try (Lz4FrameDecoder d = new Lz4FrameDecoder(new ByteArrayInputStream(bad))) {
                d.readAllBytes();
              }
            })
        .isInstanceOf(IOException.class)
        .hasMessageContaining("block checksum mismatch");
    assertThatThrownBy(() -> CompressionFixtures.decode(Compression.Algorithm.LZ4, bad))
        .isInstanceOf(IOException.class);
  }

  @Test
  void outputDoesNotDependOnWorkersNorChunking() throws IOException {
    byte[] data = compressible(2_500_000, 11);
    LZ4Compressor fast = ParallelLz4Encoder.compressorFor(1);
    byte[] inline = encode(data, fast, 0, 1, 1);
    assertThat(encode(data, fast, 3, 2, 2)).isEqualTo(inline);
    assertThat(encode(data, fast, 2, ParallelLz4Encoder.BLOCKS_PER_CHUNK, 3)).isEqualTo(inline);
  }

  @Test
  void blocksAreWrittenInInputOrderWhenWorkersFinishOutOfOrder() throws IOException {
    // Each block's first byte is its number; the first chunk's worker is the slowest.
    int blocks = 24;
    byte[] data = new byte[blocks * BLOCK];
    for (int b = 0; b < blocks; b++) {
      data[b * BLOCK] = (byte) b;
    }
    LZ4Compressor slowFirst =
        new DelegatingCompressor(ParallelLz4Encoder.compressorFor(1)) {
          @Override
          void before(byte[] src, int srcOff) {
            if (src[srcOff] == 0) {
              try {
                Thread.sleep(200);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    assertThat(decodeBoth(encode(data, slowFirst, 4, 1, 4))).isEqualTo(data);
  }

  @Test
  void aFailingWorkerSurfacesAsAnIoException() {
    AtomicInteger calls = new AtomicInteger();
    LZ4Compressor failsOnTheFifthBlock =
        new DelegatingCompressor(ParallelLz4Encoder.compressorFor(1)) {
          @Override
          void before(byte[] src, int srcOff) {
            if (calls.incrementAndGet() == 5) {
              throw new IllegalStateException("compressor broke");
            }
          }
        };
    for (int workers : new int[] {0, 2}) {
      calls.set(0);
      ParallelLz4Encoder e =
          new ParallelLz4Encoder(new Collector(), failsOnTheFifthBlock, workers, 2);
      try {
        assertThatThrownBy(
                () -> {
                  writeInChunks(e, compressible(2_000_000, 1), 1);
                  e.finish();
                })
            .as(workers + " workers")
            .hasMessageContaining("compressor broke");
      } finally {
        e.close();
      }
    }
  }

  @Test
  void lz4ToolAcceptsTheOutput() throws Exception {
    Path file = tmp.resolve("base.tar.lz4");
    Files.write(
        file,
        encode(
            compressible(3_000_000, 3),
            ParallelLz4Encoder.compressorFor(1),
            2,
            ParallelLz4Encoder.BLOCKS_PER_CHUNK,
            5));
    if (!toolAccepts("lz4", file)) {
      System.err.println("lz4 not installed; skipped the lz4 -t check");
    }
    Path empty = tmp.resolve("empty.lz4");
    Files.write(empty, encode(new byte[0], ParallelLz4Encoder.compressorFor(1), 2, 1, 5));
    toolAccepts("lz4", empty);
  }

  @Test
  void closeWithoutFinishStopsTheWorkers() throws Exception {
    ParallelLz4Encoder e = new ParallelLz4Encoder(new Collector(), 1, 3);
    writeInChunks(e, random(3_000_000, 2), 2);
    e.close();
    e.close();
    assertThat(e.isOpen()).isFalse();
    assertThatThrownBy(() -> e.write(ByteBuffer.allocate(1)))
        .isInstanceOf(ClosedChannelException.class);
    CompressionFixtures.assertWorkersStop("lz4-");
  }

  /** A compressor that runs a hook before each array block, then compresses as {@code real}. */
  private abstract static class DelegatingCompressor extends LZ4Compressor {
    private final LZ4Compressor real;

    DelegatingCompressor(LZ4Compressor real) {
      this.real = real;
    }

    abstract void before(byte[] src, int srcOff);

    @Override
    public int compress(
        byte[] src, int srcOff, int srcLen, byte[] dest, int destOff, int maxDestLen) {
      before(src, srcOff);
      return real.compress(src, srcOff, srcLen, dest, destOff, maxDestLen);
    }

    @Override
    public int compress(
        ByteBuffer src, int srcOff, int srcLen, ByteBuffer dest, int destOff, int maxDestLen) {
      return real.compress(src, srcOff, srcLen, dest, destOff, maxDestLen);
    }
  }
}
