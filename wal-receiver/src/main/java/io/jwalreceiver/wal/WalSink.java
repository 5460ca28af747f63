// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

/**
 * Where received WAL goes. The receive thread calls {@link #write} for every XLogData payload and
 * never waits for a disk flush there; durability is the sink's job, done off the receive thread and
 * published through {@link #durablePosition()} and the flush listener.
 *
 * <p>The invariant every implementation keeps (DESIGN.md, durability rule 1): {@link
 * #durablePosition()} never exceeds what {@code FileChannel.force} (or the equivalent) has covered.
 * The receiver reports exactly that position to the server as the flush LSN.
 *
 * <p>Positions are raw LSN values ({@code long}, compared unsigned); {@code 0} means nothing.
 */
public interface WalSink extends AutoCloseable {

  /**
   * Writes WAL bytes that start at {@code startLsn} on {@code timeline}. Calls are contiguous
   * within a timeline (the receiver checks that); a payload may cross a segment boundary, and the
   * sink then completes one segment and starts the next. The first write after {@link
   * #startTimeline} starts at the position given there.
   *
   * @param payload borrowed: read from its position to its limit before returning, not kept
   * @throws io.jwalreceiver.PgException 58030 on an I/O error, 53100 when the disk is full
   */
  void write(TimelineId timeline, long startLsn, ByteBuffer payload);

  /**
   * Announces that streaming starts at {@code startLsn} (a segment start) on {@code timeline}; any
   * open segment of an earlier timeline is closed first (left {@code .partial} when incomplete).
   * Afterwards both {@link #writtenPosition()} and {@link #durablePosition()} are {@code startLsn},
   * even when that is below the previous timeline's positions (a new timeline repeats its first
   * segment from the start), as pg_receivewal resets its flush position.
   */
  void startTimeline(TimelineId timeline, long startLsn);

  /** The end of the last byte handed to {@link #write} (0 before any). */
  long writtenPosition();

  /** The end of the last byte known to be on stable storage. Never ahead of a completed force. */
  long durablePosition();

  /**
   * Asks for everything written so far to become durable, without waiting. One flush covers every
   * byte written before it started (group commit).
   */
  void requestFlush();

  /** Makes everything written so far durable and waits for it. */
  void flush();

  /**
   * Registers the callback run after each completed flush with the new durable position. It runs on
   * the flushing thread; it must be quick and thread-safe (the receiver sends a status update from
   * it in synchronous mode).
   */
  void onDurable(LongConsumer listener);

  /** True when the history file of {@code timeline} is already stored. */
  boolean hasHistoryFile(TimelineId timeline);

  /** Stores a timeline history file durably (temporary name, then rename). */
  void writeHistoryFile(TimelineHistoryFile history);

  /**
   * Flushes and closes the open segment (it stays {@code .partial} when incomplete) and stops the
   * flusher. Idempotent.
   */
  @Override
  void close();
}
