// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwalreceiver.TimelineHistoryFile.Entry;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzz target for {@link TimelineHistoryFile#parse}: the {@code TIMELINE_HISTORY} content a server
 * sends (see docs/fuzzing.md).
 *
 * <p>What must hold: a file is either rejected with 08P01 or parsed into entries with strictly
 * increasing parents below the file's timeline; the content is kept byte for byte; writing the
 * entries back with {@link TimelineHistoryFile#of} and parsing that gives the same entries; the
 * lookups agree with the entries.
 */
class TimelineHistoryFileFuzzTest {

  /**
   * The last four bytes (big-endian, unsigned; 0 read as 1) are the timeline asked for; the rest is
   * the file.
   */
  @FuzzTest
  void parse(byte[] data) {
    if (data.length < 4) {
      return;
    }
    long tli = Integer.toUnsignedLong(ByteBuffer.wrap(data, data.length - 4, 4).getInt());
    TimelineId timeline = TimelineId.of(Math.max(1, tli));
    byte[] content = Arrays.copyOf(data, data.length - 4);
    TimelineHistoryFile file;
    try {
      file = TimelineHistoryFile.parse(timeline, timeline.historyFileName(), content);
    } catch (PgException e) {
      assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
      return;
    }
    assertThat(file.content()).isEqualTo(content);
    TimelineId previous = null;
    for (Entry e : file.entries()) {
      assertThat(e.parent()).isLessThan(timeline);
      if (previous != null) {
        assertThat(e.parent()).isGreaterThan(previous);
      }
      previous = e.parent();
      assertThat(file.contains(e.parent())).isTrue();
      assertThat(file.switchPointOf(e.parent())).contains(e.switchPoint());
    }
    assertThat(file.switchPointOf(timeline)).isEmpty();
    assertThat(file.parent())
        .isEqualTo(
            file.entries().isEmpty()
                ? java.util.Optional.empty()
                : java.util.Optional.of(java.util.Objects.requireNonNull(previous)));

    boolean writable = file.entries().stream().noneMatch(e -> e.reason().indexOf('\r') >= 0);
    if (writable) {
      TimelineHistoryFile written = TimelineHistoryFile.of(timeline, file.entries());
      assertThat(written.entries()).isEqualTo(file.entries());
      assertThat(TimelineHistoryFile.parse(timeline, timeline.historyFileName(), written.content()))
          .isEqualTo(written);
    }
  }
}
