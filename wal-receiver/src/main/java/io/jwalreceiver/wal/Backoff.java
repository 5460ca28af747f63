// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The wait before each reconnection: pg_receivewal's fixed delay, or, with a cap, a delay that
 * doubles after every failed attempt in a row up to the cap and starts over after a connection that
 * streamed WAL. Used by the receive thread only.
 */
final class Backoff {

  private final Duration first;
  private final @Nullable Duration max;
  private Duration next;

  /**
   * A backoff.
   *
   * @param first the fixed delay, or the first of a growing one
   * @param max the cap of a growing delay, or null for a fixed one
   */
  Backoff(Duration first, @Nullable Duration max) {
    this.first = first;
    this.max = max;
    this.next = first;
  }

  /** The wait before the coming attempt; the one after it grows when the backoff does. */
  Duration next() {
    Duration now = next;
    Duration cap = max;
    if (cap != null) {
      Duration doubled = now.isZero() ? Duration.ofMillis(1) : now.multipliedBy(2);
      next = doubled.compareTo(cap) > 0 ? (now.compareTo(cap) > 0 ? now : cap) : doubled;
    }
    return now;
  }

  /** A connection streamed WAL: the next wait is the first one again. */
  void reset() {
    next = first;
  }
}
