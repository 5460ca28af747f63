// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.testkit.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import net.jpountz.lz4.LZ4FrameInputStream;

/** Test data and oracles for the compression tests. */
final class CompressionFixtures {

  private CompressionFixtures() {}

  /**
   * Asserts that no live thread named {@code prefix}… is left, waiting up to 5 s for them to end.
   */
  static void assertWorkersStop(String prefix) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (workers(prefix) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(workers(prefix)).as(prefix + " threads").isZero();
  }

  private static long workers(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
        .count();
  }

  /** Text-like data: compressible, with repeats at every distance up to a few hundred KiB. */
  static byte[] compressible(int size, long seed) {
    Random r = new Random(seed);
    String[] words = {
      "postgres ",
      "relation ",
      "16384 ",
      "base/5/",
      "checkpoint ",
      "\n",
      "0000",
      "WAL ",
      "tuple ",
      "xmin ",
      "page "
    };
    ByteArrayOutputStream out = new ByteArrayOutputStream(size + 32);
    while (out.size() < size) {
      if (r.nextInt(50) == 0) {
        byte[] noise = new byte[r.nextInt(300)];
        r.nextBytes(noise);
        out.writeBytes(noise);
      } else {
        out.writeBytes(words[r.nextInt(words.length)].getBytes(StandardCharsets.US_ASCII));
      }
    }
    byte[] b = out.toByteArray();
    return java.util.Arrays.copyOf(b, size);
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Everything written to it, as a channel. */
  static final class Collector implements WritableByteChannel {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean closed;

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      byte[] b = new byte[n];
      src.get(b);
      bytes.writeBytes(b);
      return n;
    }

    @Override
    public boolean isOpen() {
      return !closed;
    }

    @Override
    public void close() {
      closed = true;
    }

    byte[] toByteArray() {
      return bytes.toByteArray();
    }
  }

  /** Compresses {@code data} with the encoder, written in chunks of varying sizes. */
  static byte[] encode(Compression c, int gzipWorkers, byte[] data, long seed) throws IOException {
    Collector out = new Collector();
    try (ArchiveEncoder e = ArchiveEncoder.open(c, out, gzipWorkers)) {
      writeInChunks(e, data, seed);
      e.finish();
    }
    assertThat(out.closed).as("the target stays open").isFalse();
    return out.toByteArray();
  }

  static void writeInChunks(WritableByteChannel ch, byte[] data, long seed) throws IOException {
    Random r = new Random(seed);
    int off = 0;
    while (off < data.length) {
      int n = Math.min(data.length - off, 1 + r.nextInt(r.nextBoolean() ? 100 : 300_000));
      ByteBuffer b =
          r.nextBoolean()
              ? ByteBuffer.wrap(data, off, n).slice()
              : ByteBuffer.allocateDirect(n).put(data, off, n).flip();
      int written = ch.write(b);
      assertThat(written).isEqualTo(n);
      assertThat(b.hasRemaining()).isFalse();
      off += n;
    }
  }

  /** The JDK's / lz4-java's / zstd-jni's reading of a compressed stream. */
  static byte[] decode(Compression.Algorithm algorithm, byte[] compressed) throws IOException {
    InputStream in = new ByteArrayInputStream(compressed);
    InputStream d;
    switch (algorithm) {
      case GZIP:
        d = new GZIPInputStream(in);
        break;
      case LZ4:
        d = new LZ4FrameInputStream(in);
        break;
      case ZSTD:
        d = new ZstdInputStreamNoFinalizer(in);
        break;
      default:
        throw new IllegalArgumentException(algorithm.name());
    }
    try (d) {
      return d.readAllBytes();
    }
  }

  /**
   * Runs {@code tool -t file} when the tool is installed; returns false when it is not.
   *
   * @throws AssertionError when the tool rejects the file
   */
  static boolean toolAccepts(String tool, Path file) {
    Optional<Path> exe = Tools.find(tool);
    if (exe.isEmpty()) {
      return false;
    }
    Tools.Result r = Tools.run(Duration.ofSeconds(60), exe.get().toString(), "-t", file.toString());
    assertThat(r.exitCode()).as(tool + " -t " + file + ": " + r.all()).isZero();
    return true;
  }
}
