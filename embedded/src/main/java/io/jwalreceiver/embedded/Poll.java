// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Polling a condition about a server until it holds or a deadline passes: the one loop under the
 * testkit's server waits and the demo's. A condition that throws (the server is not accepting
 * connections yet) counts as not holding; the last such exception comes with the timeout.
 */
public final class Poll {

  /** How often the condition is checked. */
  public static final Duration INTERVAL = Duration.ofMillis(100);

  private Poll() {}

  /** The deadline passed before the condition held. */
  public static final class TimedOut extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient @Nullable RuntimeException lastFailure;

    TimedOut(Duration timeout, @Nullable RuntimeException lastFailure) {
      super("timed out after " + timeout.toSeconds() + " s", lastFailure);
      this.lastFailure = lastFailure;
    }

    /**
     * What the condition threw the last time it threw.
     *
     * @return the exception, or null when the condition only ever returned false
     */
    public @Nullable RuntimeException lastFailure() {
      return lastFailure;
    }
  }

  /**
   * Checks a condition every {@link #INTERVAL} until it holds.
   *
   * @param timeout how long to keep trying
   * @param condition the condition; an exception it throws counts as false
   * @throws TimedOut when the condition has not held by the deadline
   * @throws InterruptedException when interrupted while sleeping (the flag is cleared, as {@link
   *     Thread#sleep} leaves it)
   */
  public static void until(Duration timeout, BooleanSupplier condition)
      throws TimedOut, InterruptedException {
    until(timeout, INTERVAL, condition);
  }

  /**
   * Checks a condition every {@code interval} until it holds.
   *
   * @param timeout how long to keep trying
   * @param interval the pause between two checks
   * @param condition the condition; an exception it throws counts as false
   * @throws TimedOut when the condition has not held by the deadline
   * @throws InterruptedException when interrupted while sleeping (the flag is cleared, as {@link
   *     Thread#sleep} leaves it)
   */
  public static void until(Duration timeout, Duration interval, BooleanSupplier condition)
      throws TimedOut, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      Thread.sleep(interval.toMillis());
    }
    throw new TimedOut(timeout, last);
  }
}
