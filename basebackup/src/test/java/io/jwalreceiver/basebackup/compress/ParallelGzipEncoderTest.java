// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static io.jwalreceiver.basebackup.compress.CompressionFixtures.compressible;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.random;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.toolAccepts;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.writeInChunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.basebackup.compress.CompressionFixtures.Collector;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ParallelGzipEncoderTest {

  private static final int SMALL_BLOCK = 32 * 1024;

  @TempDir Path tmp;

  private static byte[] encode(byte[] data, int level, int workers, int blockSize, long seed)
      throws IOException {
    Collector out = new Collector();
    try (ParallelGzipEncoder e = new ParallelGzipEncoder(out, level, workers, blockSize)) {
      writeInChunks(e, data, seed);
      e.finish();
    }
    return out.toByteArray();
  }

  static Stream<Arguments> shapes() {
    List<Arguments> all = new ArrayList<>();
    int[] sizes = {
      0,
      1,
      SMALL_BLOCK - 1,
      SMALL_BLOCK,
      SMALL_BLOCK + 1,
      5 * SMALL_BLOCK + 17,
      ParallelGzipEncoder.DEFAULT_BLOCK_SIZE * 3,
      3_000_000
    };
    for (int size : sizes) {
      for (int workers : new int[] {0, 1, 2, 4}) {
        all.add(Arguments.of(size, workers, SMALL_BLOCK));
      }
    }
    all.add(Arguments.of(4_000_000, 2, ParallelGzipEncoder.DEFAULT_BLOCK_SIZE));
    return all.stream();
  }

  @ParameterizedTest(name = "{0} bytes, {1} workers, {2}-byte blocks")
  @MethodSource("shapes")
  void outputIsOneGzipMemberOfTheInput(int size, int workers, int blockSize) throws Exception {
    for (byte[] data : new byte[][] {compressible(size, size), random(size, size)}) {
      byte[] gz = encode(data, -1, workers, blockSize, size + workers);
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
        assertThat(in.readAllBytes()).isEqualTo(data);
      }
      assertSingleMember(gz, data);
    }
  }

  /** One deflate stream after the 10-byte header, then exactly CRC-32 and ISIZE. */
  private static void assertSingleMember(byte[] gz, byte[] data) throws DataFormatException {
    assertThat(gz[0]).isEqualTo((byte) 0x1f);
    assertThat(gz[1]).isEqualTo((byte) 0x8b);
    assertThat(gz[3]).as("no optional header fields").isZero();
    Inflater inflater = new Inflater(true);
    inflater.setInput(gz, 10, gz.length - 10);
    byte[] out = new byte[data.length + 1];
    int n = 0;
    while (!inflater.finished()) {
      int k = inflater.inflate(out, n, out.length - n);
      assertThat(k > 0 || !inflater.needsInput()).as("stream ended early").isTrue();
      n += k;
    }
    assertThat(n).isEqualTo(data.length);
    assertThat(inflater.getRemaining()).as("trailer only").isEqualTo(8);
    inflater.end();
    ByteBuffer trailer =
        ByteBuffer.wrap(gz, gz.length - 8, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    CRC32 crc = new CRC32();
    crc.update(data);
    assertThat(trailer.getInt()).isEqualTo((int) crc.getValue());
    assertThat(trailer.getInt()).isEqualTo(data.length);
  }

  @Test
  void outputDoesNotDependOnTheNumberOfWorkers() throws IOException {
    byte[] data = compressible(2_000_000, 7);
    byte[] inline = encode(data, 6, 0, SMALL_BLOCK, 1);
    assertThat(encode(data, 6, 1, SMALL_BLOCK, 2)).isEqualTo(inline);
    assertThat(encode(data, 6, 3, SMALL_BLOCK, 3)).isEqualTo(inline);
  }

  @Test
  void compressesAboutAsWellAsOneDeflater() throws IOException {
    byte[] data = compressible(4_000_000, 11);
    for (int level : new int[] {1, 6, 9}) {
      byte[] parallel = encode(data, level, 2, ParallelGzipEncoder.DEFAULT_BLOCK_SIZE, level);
      Deflater d = new Deflater(level, true);
      d.setInput(data);
      d.finish();
      byte[] buf = new byte[data.length];
      int single = 0;
      while (!d.finished()) {
        single += d.deflate(buf);
      }
      d.end();
      // The dictionary carries the window across blocks: the difference is the sync markers.
      assertThat((double) parallel.length)
          .as("level " + level)
          .isLessThan(
              single * 1.01 + 18 + 5.0 * data.length / ParallelGzipEncoder.DEFAULT_BLOCK_SIZE);
    }
  }

  @Test
  void gzipToolAcceptsTheOutput() throws Exception {
    byte[] data = compressible(3_000_000, 3);
    Path file = tmp.resolve("out.tar.gz");
    Files.write(file, encode(data, 1, 2, SMALL_BLOCK, 5));
    if (!toolAccepts("gzip", file)) {
      System.err.println("gzip not installed; skipped the gzip -t check");
    }
    Path empty = tmp.resolve("empty.gz");
    Files.write(empty, encode(new byte[0], -1, 2, SMALL_BLOCK, 5));
    toolAccepts("gzip", empty);
  }

  @Test
  void writeFailuresSurfaceAsIoExceptions() {
    WritableByteChannel broken =
        new WritableByteChannel() {
          @Override
          public int write(ByteBuffer src) throws IOException {
            throw new IOException("No space left on device");
          }

          @Override
          public boolean isOpen() {
            return true;
          }

          @Override
          public void close() {}
        };
    ParallelGzipEncoder e = new ParallelGzipEncoder(broken, -1, 2, SMALL_BLOCK);
    try {
      assertThatThrownBy(
              () -> {
                writeInChunks(e, compressible(1_000_000, 1), 1);
                e.finish();
              })
          .isInstanceOf(IOException.class)
          .hasMessageContaining("No space left on device");
    } finally {
      e.close();
    }
  }

  @Test
  void closeWithoutFinishStopsTheWorkers() throws Exception {
    ParallelGzipEncoder e = new ParallelGzipEncoder(new Collector(), -1, 3, SMALL_BLOCK);
    writeInChunks(e, random(500_000, 2), 2);
    e.close();
    e.close();
    assertThat(e.isOpen()).isFalse();
    assertThatThrownBy(() -> e.write(ByteBuffer.allocate(1)))
        .isInstanceOf(java.nio.channels.ClosedChannelException.class);
    // Other tests' encoders are closed too by now (tests run sequentially in this class).
    CompressionFixtures.assertWorkersStop("gzip-");
  }
}
