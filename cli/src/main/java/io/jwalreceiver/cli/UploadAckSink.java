// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.archive.upload.WalFileName;
import io.jwalreceiver.archive.upload.WalUploader;
import io.jwalreceiver.wal.WalSink;
import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

/**
 * {@code receivewal --ack-after-upload}: the segment sink, except that the durable position (the
 * flush position reported to the server, which moves the slot) never passes the end of the newest
 * segment the uploader stored, in order, in the archive. Before the first one it is 0, which the
 * server ignores: the slot stays where it is.
 */
final class UploadAckSink implements WalSink {

  private final WalSink sink;
  private final WalUploader uploader;
  private final WalSegmentSize segmentSize;

  UploadAckSink(WalSink sink, WalUploader uploader, WalSegmentSize segmentSize) {
    this.sink = sink;
    this.uploader = uploader;
    this.segmentSize = segmentSize;
  }

  /** The end position of the newest uploaded segment, 0 when none. */
  static long uploadedEnd(WalUploader uploader, WalSegmentSize size) {
    WalFileName newest = uploader.newestUploadedSegment();
    if (newest == null) {
      return 0;
    }
    // position = log id << 32 | segment in log id; a log id spans 2^32 bytes whatever the size.
    long logId = newest.position() >>> 32;
    long segment = newest.position() & 0xFFFF_FFFFL;
    return (logId << 32) + (segment + 1) * size.bytes();
  }

  @Override
  public long durablePosition() {
    long durable = sink.durablePosition();
    long uploaded = uploadedEnd(uploader, segmentSize);
    return Long.compareUnsigned(durable, uploaded) <= 0 ? durable : uploaded;
  }

  @Override
  public void write(TimelineId timeline, long startLsn, ByteBuffer payload) {
    sink.write(timeline, startLsn, payload);
  }

  @Override
  public void startTimeline(TimelineId timeline, long startLsn) {
    sink.startTimeline(timeline, startLsn);
  }

  @Override
  public long writtenPosition() {
    return sink.writtenPosition();
  }

  @Override
  public void requestFlush() {
    sink.requestFlush();
  }

  @Override
  public void flush() {
    sink.flush();
  }

  @Override
  public void onDurable(LongConsumer listener) {
    sink.onDurable(listener);
  }

  @Override
  public boolean hasHistoryFile(TimelineId timeline) {
    return sink.hasHistoryFile(timeline);
  }

  @Override
  public void writeHistoryFile(TimelineHistoryFile history) {
    sink.writeHistoryFile(history);
  }

  @Override
  public void close() {
    sink.close();
  }
}
