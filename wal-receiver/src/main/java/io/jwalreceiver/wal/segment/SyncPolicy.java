// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

/** When {@link SegmentFileSink} forces written WAL to stable storage. */
public enum SyncPolicy {

  /**
   * The default: force when the receiver asks ({@code requestFlush}, {@code flush}), when a segment
   * is completed (before its rename), when a segment is left {@code .partial}, and the directory
   * after every create and rename. The durable position only covers forced bytes.
   */
  ON_REQUEST,

  /**
   * {@code --no-sync}: never force anything. The durable position simply follows the written
   * position, so it is <em>not</em> durable: a crash of the machine can lose WAL that was already
   * reported to the server as flushed. For tests, benchmarks and {@code --no-sync} only; it must
   * not be combined with {@code --synchronous} or with a replication slot that matters.
   */
  NEVER
}
