// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.SegmentName;

/**
 * Told when {@link SegmentFileSink} has completed a segment: the file is forced, renamed from
 * {@code .partial} to its final name, and the directory is forced. Runs on the sink's flusher
 * thread; it must be quick and thread-safe.
 */
@FunctionalInterface
public interface SegmentListener {

  /**
   * A segment is complete and durable under its final name.
   *
   * @param segment the completed segment
   */
  void segmentCompleted(SegmentName segment);
}
