// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressLineTest {

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(buffer, true, StandardCharsets.UTF_8);

  /** Runs until the progress line printed twice (or 10 s passed), returning what was printed. */
  private String runUntilPrinted(boolean terminal, String marker) {
    String result =
        ProgressLine.around(
            err,
            "bench test",
            () -> 5 * Quantities.MB,
            () -> 2.0,
            terminal,
            10,
            () -> {
              long deadline = System.nanoTime() + 10_000_000_000L;
              while (text().split(marker, -1).length < 3 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
              }
              return "done";
            });
    assertThat(result).isEqualTo("done");
    return text();
  }

  private String text() {
    return buffer.toString(StandardCharsets.UTF_8);
  }

  @Test
  void plainLinesWhenNotATerminal() {
    String out = runUntilPrinted(false, "\n");
    assertThat(out).startsWith("bench test: 5.0 MB, 2.5 MB/s, 2.0 s\n").doesNotContain("\r");
  }

  @Test
  void oneLineRewrittenOnATerminalAndEndedAtTheEnd() {
    String out = runUntilPrinted(true, "\r");
    assertThat(out).startsWith("\rbench test: 5.0 MB, 2.5 MB/s, 2.0 s").endsWith("\n");
    assertThat(out.indexOf('\n')).isEqualTo(out.length() - 1);
  }

  @Test
  void nothingBeforeMeasuringStarts() {
    String out =
        ProgressLine.around(
            err,
            "bench test",
            () -> 0,
            () -> 0.0,
            false,
            10,
            () -> {
              try {
                Thread.sleep(100);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return text();
            });
    assertThat(out).isEmpty();
  }
}
