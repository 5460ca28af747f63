// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import java.time.Duration;
import java.time.InstantSource;

/**
 * When the receive loop owes the server a standby status update (protocol-notes §4.1): every {@code
 * statusInterval} (pg_receivewal's {@code -s}; zero means only when asked), and at once when a
 * keepalive asks for a reply, which also restarts the interval. Pure: it reads the injected clock
 * and sends nothing itself. Receive thread only; allocation-free.
 */
final class StatusSchedule {

  /** The longest single wait, so that stop requests and time limits are seen promptly. */
  static final long POLL_SLICE_MILLIS = 500;

  private final InstantSource clock;
  private final long intervalMillis;

  /** Epoch milliseconds when the next update is due; {@code Long.MAX_VALUE} for never. */
  private long next;

  /**
   * A schedule whose first periodic update is due one interval from now.
   *
   * @param clock the receiver's clock
   * @param statusInterval how often to report; zero or negative means only on request
   */
  StatusSchedule(InstantSource clock, Duration statusInterval) {
    this.clock = clock;
    this.intervalMillis = statusInterval.toMillis();
    restart();
  }

  /**
   * How long the next read may wait: until the update is due, at most {@link #POLL_SLICE_MILLIS},
   * at least 1 ms.
   */
  long pollMillis() {
    return Math.max(1, Math.min(POLL_SLICE_MILLIS, next - clock.millis()));
  }

  /** True when the interval has passed since the last update (never with a zero interval). */
  boolean due() {
    return intervalMillis > 0 && clock.millis() >= next;
  }

  /**
   * Whether a keepalive needs an answer now: exactly when the server asked for a reply.
   *
   * @param replyRequested the keepalive's reply flag
   * @return true when a status update must go out at once
   */
  boolean answerKeepalive(boolean replyRequested) {
    return replyRequested;
  }

  /** An update went out (periodic or as a reply): the next one is due one interval from now. */
  void restart() {
    next = intervalMillis > 0 ? clock.millis() + intervalMillis : Long.MAX_VALUE;
  }
}
