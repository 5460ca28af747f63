// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.TimelineId;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A segment written in two steps, as the segment-writer tests check it: all but its last byte
 * leaves it partial, the last byte completes it (renamed, durable to its end).
 */
final class SegmentCompletion {

  private SegmentCompletion() {}

  /**
   * Writes {@code wal}, a whole segment starting at {@code start}, in two writes with a flush after
   * each, checking the files in between and after.
   *
   * @param midway further checks while only the last byte is missing
   */
  static void writeInTwoSteps(
      SegmentFileSink sink,
      TimelineId timeline,
      long start,
      byte[] wal,
      Path partial,
      Path complete,
      Runnable midway) {
    int last = wal.length - 1;
    sink.write(timeline, start, ByteBuffer.wrap(wal, 0, last));
    sink.flush();
    assertThat(partial).exists();
    assertThat(complete).doesNotExist();
    midway.run();

    sink.write(timeline, start + last, ByteBuffer.wrap(wal, last, 1));
    sink.flush();
    assertThat(sink.durablePosition()).isEqualTo(start + wal.length);
    assertThat(partial).doesNotExist();
  }
}
