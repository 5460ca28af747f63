// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.wal;

import io.jwalreceiver.TimelineId;
import io.jwalreceiver.bench.support.BenchDirectory;
import io.jwalreceiver.bench.support.SyntheticWal;
import io.jwalreceiver.bench.support.ThroughputBenchmark;
import io.jwalreceiver.bench.support.WalBytes;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.jwalreceiver.wal.segment.SyncPolicy;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link SegmentFileSink#write} on the receive thread, with the real flusher behind it: segment
 * completion (force, rename, directory force), pre-zeroing of the next segment, and, under {@code
 * ON_REQUEST}, a flush request every {@code flushEveryMiB} as the receiver issues them. Completed
 * segments are deleted at once so the run needs only a few segments of space. The receive thread
 * waits only when the flusher has not pre-zeroed the next segment yet, which is the back-pressure
 * of a disk slower than the writer: on a real disk with {@code ON_REQUEST} this benchmark therefore
 * measures the disk.
 *
 * <p>One operation is one write of {@code payloadSize} bytes; {@code ·walBytes} is bytes/s. {@code
 * fs=shm} writes to {@code /dev/shm} (tmpfs), {@code fs=cwd} to the working directory; record
 * {@code df -T} of both with the results.
 */
public class SegmentFileSinkBenchmark extends ThroughputBenchmark {

  private static final int SEGMENT = SyntheticWal.DEFAULT_SEGMENT_SIZE;

  /** Bytes per write: one page, or a full 128 KiB XLogData payload. */
  @Param({"8192", "131072"})
  public int payloadSize;

  @Param({"NEVER", "ON_REQUEST"})
  public SyncPolicy syncPolicy;

  /** Under ON_REQUEST: request a flush after this many MiB written. */
  @Param({"16"})
  public int flushEveryMiB;

  /** {@code shm} (tmpfs) or {@code cwd} (the working directory's filesystem). */
  @Param({"shm", "cwd"})
  public String fs;

  private BenchDirectory dir;
  private SegmentFileSink sink;
  private ByteBuffer view;
  private long lsn;
  private long flushEvery;
  private long sinceFlush;

  @Setup(Level.Trial)
  public void setUp() {
    SyntheticWal wal = SyntheticWal.builder().build();
    byte[] segmentBytes = wal.walBytes(wal.startLsn(), SEGMENT);
    view = ByteBuffer.wrap(segmentBytes);
    dir = BenchDirectory.create(fs);
    sink = dir.openSink(syncPolicy);
    lsn = wal.startLsn();
    sink.startTimeline(TimelineId.FIRST, lsn);
    flushEvery = (long) flushEveryMiB << 20;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    dir.close();
  }

  /** One positional write; the payload cycles through one pre-generated segment of WAL. */
  @Benchmark
  public void write(WalBytes counter) {
    int offset = (int) (lsn & (SEGMENT - 1));
    view.limit(offset + payloadSize).position(offset);
    sink.write(TimelineId.FIRST, lsn, view);
    lsn += payloadSize;
    counter.walBytes += payloadSize;
    if (syncPolicy == SyncPolicy.ON_REQUEST) {
      sinceFlush += payloadSize;
      if (sinceFlush >= flushEvery) {
        sinceFlush = 0;
        sink.requestFlush();
      }
    }
  }
}
