// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.SegmentName;
import org.jspecify.annotations.Nullable;

/** Work the receive thread queues for the {@link Flusher}, done strictly in queue order. */
sealed interface FlushJob {

  /** The file this job holds, closed when the sink stops before the job ran; or null. */
  @Nullable SegmentFile file();

  /** A full segment: force, close, rename to its final name, force the directory, publish. */
  record Complete(SegmentFile file, long epoch) implements FlushJob {}

  /** A spare the receive thread started writing into: rename it to {@code <segment>.partial}. */
  record Activate(SegmentFile file) implements FlushJob {}

  /** An incomplete segment left behind: force, close, keep {@code .partial}, publish its end. */
  record ClosePartial(SegmentFile file, long end, long epoch) implements FlushJob {}

  /** Open (or reuse) the first segment of a timeline; the receive thread waits for it. */
  final class OpenFirst implements FlushJob {
    final SegmentName segment;

    /** Set by the flusher under the lock. */
    @Nullable SegmentFile result;

    /** Set by the flusher under the lock. */
    boolean done;

    OpenFirst(SegmentName segment) {
      this.segment = segment;
    }

    @Override
    public @Nullable SegmentFile file() {
      return result;
    }
  }
}
