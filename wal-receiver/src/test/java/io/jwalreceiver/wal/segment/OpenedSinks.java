// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.PgException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The sinks a test opened, closed after it. A failure on close is ignored: a test that injects
 * failures has already checked them.
 */
final class OpenedSinks implements AfterEachCallback {

  private final List<SegmentFileSink> opened = new ArrayList<>();

  /** Closes {@code sink} after the test. */
  void add(SegmentFileSink sink) {
    opened.add(sink);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (SegmentFileSink sink : opened) {
      try {
        sink.close();
      } catch (PgException e) {
        // already checked by the test
      }
    }
    opened.clear();
  }
}
