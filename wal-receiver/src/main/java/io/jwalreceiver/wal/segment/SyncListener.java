// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

/**
 * Told how long each force of a WAL file took ({@code FileChannel.force}: fsync or fdatasync) on
 * {@link SegmentFileSink}'s flusher thread: the forces that make written WAL durable, at flush
 * requests, segment ends and when a segment is left {@code .partial}. Zero-filling of spare files
 * and directory forces are not reported. For metrics; it must be quick and thread-safe.
 */
@FunctionalInterface
public interface SyncListener {

  /**
   * One force completed.
   *
   * @param nanos how long it took, in nanoseconds
   */
  void synced(long nanos);
}
