// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting in tests: sleeping, polling for a condition with a deadline, joining a thread. An
 * interrupt fails the test (an {@link AssertionError}, the interrupt flag kept) rather than being a
 * checked exception every caller must declare.
 */
public final class Waits {

  /** How often {@link #await} checks its condition. */
  private static final long POLL_MILLIS = 20;

  private Waits() {}

  /**
   * Sleeps.
   *
   * @param millis how long
   * @throws AssertionError when interrupted
   */
  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Waits until a condition holds.
   *
   * @param timeout how long to wait at most
   * @param condition checked every few milliseconds
   * @param what what is awaited, for the failure message
   * @throws AssertionError when the condition does not hold in time
   */
  public static void await(Duration timeout, BooleanSupplier condition, String what) {
    await(timeout, condition, () -> what);
  }

  /**
   * Waits until a condition holds.
   *
   * @param timeout how long to wait at most
   * @param condition checked every few milliseconds
   * @param what what is awaited, for the failure message; asked only on failure, so it can describe
   *     the state at that moment
   * @throws AssertionError when the condition does not hold in time
   */
  public static void await(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "timed out after " + timeout.toSeconds() + " s waiting for " + what.get());
      }
      sleep(POLL_MILLIS);
    }
  }

  /**
   * Waits for a thread to end, at most {@code timeout}; whether it did is for the caller to check
   * ({@link Thread#isAlive()}).
   *
   * @param thread the thread
   * @param timeout how long to wait at most
   * @throws AssertionError when interrupted
   */
  public static void join(Thread thread, Duration timeout) {
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
