// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.compress;

import io.jwalreceiver.basebackup.compress.ArchiveEncoder;
import io.jwalreceiver.bench.support.DataBytes;
import io.jwalreceiver.bench.support.HeapPages;
import io.jwalreceiver.bench.support.SyntheticWal;
import io.jwalreceiver.bench.support.ThroughputBenchmark;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.zip.GZIPOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Client-side compression per codec and level, as basebackup's tar output and receivewal's segments
 * use it: {@link ArchiveEncoder} (gzip on {@code ParallelGzipEncoder}, LZ4 on {@code
 * ParallelLz4Encoder}, zstd through receivewal's {@code SegmentEncoder}) next to plain {@link
 * GZIPOutputStream} from {@code java.util.zip}, the baseline a Java program gets for free.
 *
 * <p>The input is realistic, not zeros: {@code heap} is pgbench_accounts-like heap pages ({@link
 * HeapPages}), what a base backup of a pgbench database mostly holds; {@code wal} is synthetic WAL
 * ({@link SyntheticWal}), what receivewal compresses. One operation compresses {@code inputBytes}
 * of it, written in 64 KiB pieces (a CopyData-sized chunk), to a channel that only counts: {@code
 * ·inBytes} is uncompressed bytes/s, {@code ·outBytes} compressed bytes/s, and outBytes ÷ inBytes
 * the compression ratio.
 *
 * <p>{@code codec} values: {@code gzip-2t:L} our gzip on two worker threads (what {@code -z} uses
 * on a 2-core machine), {@code gzip-1t:L} our gzip on the calling thread, {@code jdk-gzip:L} {@code
 * GZIPOutputStream} with its deflater at level L, {@code lz4:L} (0–2 fast, 3–12 LZ4HC) and {@code
 * zstd:L} on the calling thread, {@code zstd-2t:L} zstd with {@code workers=2}. The encoder (and
 * its thread pool) is created per operation, as per archive in a backup.
 */
public class CompressionBenchmark extends ThroughputBenchmark {

  @Param({
    "gzip-2t:1",
    "gzip-2t:6",
    "gzip-1t:6",
    "jdk-gzip:1",
    "jdk-gzip:6",
    "lz4:0",
    "lz4:9",
    "zstd:1",
    "zstd:3",
    "zstd:9",
    "zstd-2t:3"
  })
  public String codec;

  @Param({"heap", "wal"})
  public String data;

  /** Uncompressed bytes per operation. */
  @Param({"33554432"})
  public int inputBytes;

  private static final int PIECE = 64 * 1024;

  private byte[] input;
  private String algorithm;
  private int level;
  private int threads;

  @Setup
  public void setUp() {
    input =
        switch (data) {
          case "heap" -> HeapPages.generate(inputBytes);
          case "wal" -> SyntheticWal.builder().build().walBytes(0x1000000L, inputBytes);
          default -> throw new IllegalArgumentException("data " + data);
        };
    int colon = codec.indexOf(':');
    String name = codec.substring(0, colon);
    level = Integer.parseInt(codec.substring(colon + 1));
    threads = name.endsWith("-2t") ? 2 : 0;
    algorithm = name.replace("-2t", "").replace("-1t", "");
  }

  /** Compresses the input once, start to finish. */
  @Benchmark
  public void compress(DataBytes counter) throws IOException {
    Counting sink = new Counting();
    if (algorithm.equals("jdk-gzip")) {
      try (GZIPOutputStream gz = new LeveledGzip(sink, level)) {
        for (int off = 0; off < input.length; off += PIECE) {
          gz.write(input, off, Math.min(PIECE, input.length - off));
        }
      }
    } else {
      Compression compression =
          switch (algorithm) {
            case "gzip" -> Compression.of(Compression.Algorithm.GZIP, level);
            case "lz4" -> Compression.of(Compression.Algorithm.LZ4, level);
            case "zstd" ->
                new Compression(
                    Compression.Algorithm.ZSTD, level, threads > 1 ? threads : 0, false);
            default -> throw new IllegalArgumentException("codec " + codec);
          };
      try (ArchiveEncoder encoder = ArchiveEncoder.open(compression, sink, threads)) {
        for (int off = 0; off < input.length; off += PIECE) {
          encoder.write(ByteBuffer.wrap(input, off, Math.min(PIECE, input.length - off)));
        }
        encoder.finish();
      }
    }
    counter.inBytes += input.length;
    counter.outBytes += sink.bytes;
  }

  /** {@link GZIPOutputStream} at a chosen level (its own constructor only takes the default). */
  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(OutputStream out, int level) throws IOException {
      super(out, PIECE);
      def.setLevel(level);
    }
  }

  /** Counts what is written and drops it. */
  private static final class Counting extends OutputStream implements WritableByteChannel {
    long bytes;

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      src.position(src.limit());
      bytes += n;
      return n;
    }

    @Override
    public void write(int b) {
      bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      bytes += len;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }
}
