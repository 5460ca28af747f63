// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.wal.WalSink;
import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

/**
 * {@code bench wal --sink discard}: drops every byte. Nothing is ever on disk, so its durable
 * position stays 0 (invalid): the server is never told that WAL was flushed, and a synchronous
 * primary never counts on it.
 */
final class DiscardWalSink implements WalSink {

  private long written;

  @Override
  public void write(TimelineId timeline, long startLsn, ByteBuffer payload) {
    int len = payload.remaining();
    payload.position(payload.limit());
    written = startLsn + len;
  }

  @Override
  public void startTimeline(TimelineId timeline, long startLsn) {
    written = startLsn;
  }

  @Override
  public long writtenPosition() {
    return written;
  }

  @Override
  public long durablePosition() {
    return 0;
  }

  @Override
  public void requestFlush() {}

  @Override
  public void flush() {}

  @Override
  public void onDurable(LongConsumer listener) {}

  @Override
  public boolean hasHistoryFile(TimelineId timeline) {
    return true;
  }

  @Override
  public void writeHistoryFile(TimelineHistoryFile history) {}

  @Override
  public void close() {}
}
