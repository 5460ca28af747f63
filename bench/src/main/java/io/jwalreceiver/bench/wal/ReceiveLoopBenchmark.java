// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.wal;

import io.jwalreceiver.TimelineId;
import io.jwalreceiver.bench.support.BenchDirectory;
import io.jwalreceiver.bench.support.ReplayTransport;
import io.jwalreceiver.bench.support.SyntheticWal;
import io.jwalreceiver.bench.support.ThroughputBenchmark;
import io.jwalreceiver.bench.support.WalBytes;
import io.jwalreceiver.protocol.MessageReader;
import io.jwalreceiver.protocol.replication.ReplicationDecoder;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.jwalreceiver.wal.segment.SyncPolicy;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The WAL receive path without a server (DESIGN.md, "The two hot paths"): an in-memory transport
 * replaying 64 MiB of walsender frames in 64 KiB reads → {@link MessageReader} → {@link
 * ReplicationDecoder} → contiguity check → {@link SegmentFileSink#write}, with the flusher running
 * behind it. As {@code WalReceiver} does, a keepalive asking for a reply triggers a flush request
 * (under {@code ON_REQUEST}); the generated stream carries a keepalive every 64 messages, every 4th
 * asking for a reply. LSNs stay contiguous across laps of the replayed stream.
 *
 * <p>One operation is one frame; {@code ·walBytes} is WAL bytes/s. What the status-update writes to
 * the socket would cost is not included.
 */
public class ReceiveLoopBenchmark extends ThroughputBenchmark {

  private static final int SEGMENT = SyntheticWal.DEFAULT_SEGMENT_SIZE;

  @Param({"131072"})
  public int messageSize;

  @Param({"NEVER", "ON_REQUEST"})
  public SyncPolicy syncPolicy;

  /** {@code shm} (tmpfs) or {@code cwd} (the working directory's filesystem). */
  @Param({"shm", "cwd"})
  public String fs;

  private BenchDirectory dir;
  private SegmentFileSink sink;
  private MessageReader reader;
  private final ReplicationDecoder decoder = new ReplicationDecoder();
  private long streamStart;
  private long expected;
  private long bias;

  @Setup(Level.Trial)
  public void setUp() {
    SyntheticWal wal = SyntheticWal.builder().messageSize(messageSize).keepalives(64, 4).build();
    // Four whole segments, so every lap starts on a segment boundary.
    SyntheticWal.Stream stream = wal.stream(4L * SEGMENT);
    reader = new MessageReader(new ReplayTransport(stream.bytes(), 64 * 1024), 1 << 20);
    streamStart = stream.startLsn();
    dir = BenchDirectory.create(fs);
    sink = dir.openSink(syncPolicy);
    sink.startTimeline(TimelineId.FIRST, streamStart);
    expected = streamStart;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    dir.close();
  }

  /** One frame through the receive path. */
  @Benchmark
  public void receive(WalBytes counter) {
    reader.next();
    if (reader.type() != 'd') {
      throw new IllegalStateException("unexpected frame type " + (char) reader.type());
    }
    if (decoder.decode(reader.body()) == ReplicationDecoder.XLOG_DATA) {
      long start = decoder.dataStart() + bias;
      if (start != expected) {
        if (decoder.dataStart() != streamStart) {
          throw new IllegalStateException("got WAL at " + start + ", expected " + expected);
        }
        // The replayed stream wrapped around: continue its LSNs where the last lap ended.
        bias = expected - streamStart;
      }
      ByteBuffer payload = decoder.payload();
      int len = payload.remaining();
      sink.write(TimelineId.FIRST, expected, payload);
      expected += len;
      counter.walBytes += len;
    } else if (decoder.replyRequested() && syncPolicy == SyncPolicy.ON_REQUEST) {
      sink.requestFlush();
    }
  }
}
