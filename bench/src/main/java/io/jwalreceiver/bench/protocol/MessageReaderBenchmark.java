// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.protocol;

import io.jwalreceiver.bench.support.ReplayTransport;
import io.jwalreceiver.bench.support.SyntheticWal;
import io.jwalreceiver.bench.support.ThroughputBenchmark;
import io.jwalreceiver.bench.support.WalBytes;
import io.jwalreceiver.protocol.MessageReader;
import io.jwalreceiver.protocol.replication.ReplicationDecoder;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Frame decoding of the WAL stream without a socket: a {@link ReplayTransport} hands out a
 * pre-generated 64 MiB stream of CopyData/XLogData frames (plus a keepalive every 64 messages) in
 * socket-sized reads; each operation is one {@link MessageReader#next()} and one {@link
 * ReplicationDecoder#decode}. The copy from the transport into the reader's buffer is included,
 * standing in for the kernel's copy out of the socket.
 *
 * <p>Primary result: frames/s; {@code ·walBytes}: WAL payload bytes/s. With {@code -prof gc} the
 * target is {@code gc.alloc.rate.norm} ≈ 0 B/op.
 */
public class MessageReaderBenchmark extends ThroughputBenchmark {

  /** WAL payload per XLogData message: one page, or the walsender's 128 KiB maximum. */
  @Param({"8192", "131072"})
  public int messageSize;

  /** Bytes per transport read. */
  @Param({"65536"})
  public int readSize;

  /** Generated WAL per lap of the replayed stream. */
  @Param({"67108864"})
  public long streamBytes;

  private MessageReader reader;
  private final ReplicationDecoder decoder = new ReplicationDecoder();

  @Setup
  public void setUp() {
    SyntheticWal wal = SyntheticWal.builder().messageSize(messageSize).keepalives(64, 4).build();
    byte[] frames = wal.stream(streamBytes).bytes();
    reader = new MessageReader(new ReplayTransport(frames, readSize), 1 << 20);
  }

  /** One frame: read, frame, decode; the payload is handed to the blackhole. */
  @Benchmark
  public void nextFrame(WalBytes counter, Blackhole bh) {
    reader.next();
    if (reader.type() != 'd') {
      throw new IllegalStateException("unexpected frame type " + (char) reader.type());
    }
    if (decoder.decode(reader.body()) == ReplicationDecoder.XLOG_DATA) {
      ByteBuffer payload = decoder.payload();
      counter.walBytes += payload.remaining();
      bh.consume(decoder.dataStart());
      bh.consume(payload);
    } else {
      bh.consume(decoder.replyRequested());
    }
  }
}
