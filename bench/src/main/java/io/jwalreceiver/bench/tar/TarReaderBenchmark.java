// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.tar;

import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarListener;
import io.jwalreceiver.basebackup.tar.TarReader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.bench.support.DataBytes;
import io.jwalreceiver.bench.support.HeapPages;
import io.jwalreceiver.bench.support.ThroughputBenchmark;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link TarReader} on an in-memory archive shaped like a base backup's {@code base.tar}:
 * directories, many small files (control files, {@code pg_xact}, free-space and visibility maps)
 * and relation files of heap pages up to 1 MiB (about 300 members in 64 MiB), written by our {@link
 * TarWriter}. The archive is fed in {@code chunkSize} pieces, the way CopyData messages arrive (the
 * server sends tar data in messages of up to 32 KiB); the listener hands every data view to a
 * blackhole, so the benchmark measures parsing and the per-chunk and per-member overhead, not
 * copying: the throughput is far above any disk or network by design.
 *
 * <p>One operation is one whole archive. {@code ·inBytes}: archive bytes/s. With {@code -prof gc}
 * {@code gc.alloc.rate.norm} ÷ {@link #members} is the allocation per member (the header record and
 * its name).
 */
public class TarReaderBenchmark extends ThroughputBenchmark {

  /** Bytes per {@link TarReader#feed} call. */
  @Param({"32768", "1048576"})
  public int chunkSize;

  /** Approximate archive size. */
  @Param({"67108864"})
  public int archiveBytes;

  private byte[] archive;
  private ByteBuffer[] chunks;

  /** The archive in one direct buffer, and the one view re-pointed at each chunk of it. */
  private ByteBuffer oneView;

  /** Members in the archive (directories and files). */
  public int members;

  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(7);
    byte[] heap = HeapPages.generate(1 << 20);
    ByteArrayOutputStream out = new ByteArrayOutputStream(archiveBytes + (1 << 20));
    TarWriter writer = new TarWriter(out, "base.tar");
    long mtime = 1_790_000_000L;
    writer.writeEntry(
        TarHeader.directory("base/16384", 0700, 101, 104, mtime), ByteBuffer.allocate(0));
    members = 1;
    int relfilenode = 16385;
    while (out.size() < archiveBytes) {
      int kind = random.nextInt(10);
      int size;
      String name;
      if (kind < 6) {
        // Small files: _fsm, _vm, pg_xact, catalog relations of a few pages.
        size = kind < 3 ? 8192 * (1 + random.nextInt(3)) : random.nextInt(4096);
        name = "base/16384/" + relfilenode + (kind < 3 ? "_fsm" : "");
      } else {
        size = 8192 * (1 + random.nextInt(128));
        name = "base/16384/" + relfilenode;
      }
      relfilenode++;
      writer.writeEntry(
          TarHeader.regularFile(name, size, 0600, 101, 104, mtime), ByteBuffer.wrap(heap, 0, size));
      members++;
    }
    writer.finish();
    archive = out.toByteArray();
    int n = (archive.length + chunkSize - 1) / chunkSize;
    chunks = new ByteBuffer[n];
    for (int i = 0; i < n; i++) {
      int from = i * chunkSize;
      chunks[i] =
          ByteBuffer.wrap(archive, from, Math.min(chunkSize, archive.length - from)).slice();
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(archive.length);
    direct.put(0, archive);
    oneView = direct.duplicate();
  }

  /** Parses the whole archive, chunk by chunk (a separate buffer object per chunk). */
  @Benchmark
  public void readArchive(DataBytes counter, Blackhole bh) {
    TarReader reader = reader(bh);
    for (ByteBuffer chunk : chunks) {
      reader.feed(chunk.clear());
    }
    finish(reader, counter);
  }

  /**
   * Parses the whole archive the way the backup path feeds it: one direct buffer and one view
   * object re-pointed at each chunk, as {@code MessageReader} hands out every CopyData body.
   */
  @Benchmark
  public void readArchiveThroughOneView(DataBytes counter, Blackhole bh) {
    TarReader reader = reader(bh);
    ByteBuffer view = oneView;
    for (int from = 0; from < archive.length; from += chunkSize) {
      view.limit(Math.min(from + chunkSize, archive.length)).position(from);
      reader.feed(view);
    }
    finish(reader, counter);
  }

  private static TarReader reader(Blackhole bh) {
    return new TarReader(
        new TarListener() {
          @Override
          public void entryStart(TarHeader header) {
            bh.consume(header);
          }

          @Override
          public void entryData(ByteBuffer data) {
            bh.consume(data.remaining());
          }

          @Override
          public void entryEnd(TarHeader header) {
            bh.consume(header.size());
          }
        });
  }

  private void finish(TarReader reader, DataBytes counter) {
    reader.finish();
    if (!reader.endBlocksSeen()) {
      throw new IllegalStateException("archive end not seen");
    }
    counter.inBytes += archive.length;
  }
}
