// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The progress line on stderr while a bench runs: rewritten in place with {@code \r} once a second
 * on a terminal, a plain line every {@value #PLAIN_EVERY_SECONDS} seconds otherwise (logs, pipes).
 */
public final class ProgressLine implements AutoCloseable {

  static final int PLAIN_EVERY_SECONDS = 5;

  private final PrintStream err;
  private final Shown shown;
  private final boolean terminal;
  private final long intervalMillis;
  private final Thread thread;
  private volatile boolean stopped;
  private boolean printed;

  /**
   * What the line says.
   *
   * @param label e.g. {@code bench wal}
   * @param bytes bytes so far
   * @param seconds seconds measured so far (0 = not started)
   */
  private record Shown(String label, LongSupplier bytes, DoubleSupplier seconds) {

    /** The line's text now, or null before measuring starts. */
    @Nullable String text() {
      double s = seconds.getAsDouble();
      if (s <= 0) {
        return null;
      }
      double mb = bytes.getAsLong() / (double) Quantities.MB;
      return String.format(Locale.ROOT, "%s: %.1f MB, %.1f MB/s, %.1f s", label, mb, mb / s, s);
    }
  }

  /**
   * Starts printing.
   *
   * @param terminal whether stderr is a terminal
   */
  private ProgressLine(PrintStream err, Shown shown, boolean terminal, long intervalMillis) {
    this.err = err;
    this.shown = shown;
    this.terminal = terminal;
    this.intervalMillis = intervalMillis;
    this.thread = new Thread(this::run, "bench-progress");
    thread.setDaemon(true);
    thread.start();
  }

  /** Runs {@code work} with a progress line, ended before this returns or throws. */
  public static <T> T around(
      PrintStream err,
      String label,
      LongSupplier bytes,
      DoubleSupplier seconds,
      boolean terminal,
      Supplier<T> work) {
    return around(
        err, label, bytes, seconds, terminal, terminal ? 1000 : PLAIN_EVERY_SECONDS * 1000L, work);
  }

  /** As above, printing every {@code intervalMillis}. */
  static <T> T around(
      PrintStream err,
      String label,
      LongSupplier bytes,
      DoubleSupplier seconds,
      boolean terminal,
      long intervalMillis,
      Supplier<T> work) {
    ProgressLine line =
        new ProgressLine(err, new Shown(label, bytes, seconds), terminal, intervalMillis);
    try {
      return work.get();
    } finally {
      line.close();
    }
  }

  private void run() {
    try {
      while (!stopped) {
        Thread.sleep(intervalMillis);
        if (!stopped) {
          print();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized void print() {
    String text = shown.text();
    if (text == null) {
      return;
    }
    if (terminal) {
      err.print("\r" + text + "   ");
    } else {
      err.println(text);
    }
    err.flush();
    printed = true;
  }

  /** Stops printing; on a terminal, ends the line so the report starts on a fresh one. */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (printed && terminal) {
        err.println();
      }
    }
  }
}
