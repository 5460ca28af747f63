// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the server from dropping the connection for {@code wal_sender_timeout} while the receive
 * thread is held up inside the sink. A write waits when the disk is slower than the network: the
 * next segment's file is prepared by the flusher, behind fsyncs that may take seconds. Meanwhile
 * nobody reads the server's keepalives, and the walsender ends a connection that has sent nothing
 * for {@code wal_sender_timeout}; any message from us counts, so a status update sent from this
 * guard's thread keeps it alive (CopyBothStream's sends are thread-safe).
 *
 * <p>The receive thread only marks {@link #enter()} and {@link #exit()} around each write (two
 * volatile stores, no clock read, no allocation). A daemon thread wakes every quarter of the
 * timeout; when it finds the same write still in progress as on its previous wake-up, the write has
 * been stuck for at least a quarter of the timeout and it sends a status update with the positions
 * true at that moment (the flush position is the sink's durable one, as always).
 */
final class StallGuard implements AutoCloseable {

  private static final Pattern SETTING =
      Pattern.compile("(\\d+)\\s*(us|ms|s|min|h|d)?", Pattern.CASE_INSENSITIVE);
  private static final Duration FALLBACK_TIMEOUT = Duration.ofSeconds(60);
  private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final StallGuard DISABLED = new StallGuard(0, null);

  private final long periodNanos;
  private final @Nullable Runnable sendStatus;
  private final @Nullable Thread thread;
  private volatile boolean inside;

  /** Written only by the receive thread. */
  private volatile long writes;

  private volatile boolean closed;

  private StallGuard(long periodNanos, @Nullable Runnable sendStatus) {
    this.periodNanos = periodNanos;
    this.sendStatus = sendStatus;
    if (sendStatus == null) {
      thread = null;
    } else {
      thread = new Thread(this::watch, "wal-stall-guard");
      thread.setDaemon(true);
    }
  }

  /**
   * Starts a guard for one stream.
   *
   * @param senderTimeout the server's wal_sender_timeout; zero (disabled) starts no thread
   * @param sendStatus sends a status update; called from the guard's thread
   */
  static StallGuard start(Duration senderTimeout, Runnable sendStatus) {
    if (senderTimeout.isZero() || senderTimeout.isNegative()) {
      return DISABLED;
    }
    StallGuard guard =
        new StallGuard(Math.max(MIN_PERIOD_NANOS, senderTimeout.toNanos() / 4), sendStatus);
    Objects.requireNonNull(guard.thread).start();
    return guard;
  }

  /** The receive thread is about to call into the sink. */
  @SuppressWarnings("NonAtomicVolatileUpdate") // one writer, the receive thread; the guard reads
  void enter() {
    writes++; // single writer: the receive thread
    inside = true;
  }

  /** The receive thread is back from the sink. */
  void exit() {
    inside = false;
  }

  private void watch() {
    Runnable send = Objects.requireNonNull(sendStatus);
    long seen = -1;
    while (!closed) {
      LockSupport.parkNanos(this, periodNanos);
      if (closed) {
        return;
      }
      long now = writes;
      if (inside && now == seen) {
        try {
          send.run();
        } catch (RuntimeException e) {
          // The connection is failing; the receive thread will see it.
          return;
        }
      }
      seen = now;
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /**
   * Parses {@code SHOW wal_sender_timeout}: {@code 60s}, {@code 500ms}, {@code 1min}, {@code 0}
   * (disabled). A bare number is milliseconds, the setting's unit. Text we cannot read gives the
   * server's default, 60 s.
   */
  static Duration parseTimeout(@Nullable String text) {
    Matcher m = SETTING.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      return FALLBACK_TIMEOUT;
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2).toLowerCase(Locale.ROOT);
    return switch (unit) {
      case "us" -> Duration.ofNanos(n * 1_000);
      case "s" -> Duration.ofSeconds(n);
      case "min" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> Duration.ofMillis(n);
    };
  }
}
