// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.Poll;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting in tests: sleeping, polling for a condition with a deadline ({@link Poll}'s loop, checked
 * more often), joining a thread. An interrupt fails the test (an {@link AssertionError}, the
 * interrupt flag kept) rather than being a checked exception every caller must declare.
 */
public final class Waits {

  /** How often {@link #await} checks its condition. */
  private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

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
      throw interrupted(e);
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
   * @param condition checked every few milliseconds; an exception it throws counts as false and
   *     becomes the cause of the failure when the time is up
   * @param what what is awaited, for the failure message; asked only on failure, so it can describe
   *     the state at that moment
   * @throws AssertionError when the condition does not hold in time
   */
  public static void await(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
    try {
      Poll.until(timeout, POLL_INTERVAL, condition);
    } catch (Poll.TimedOut e) {
      throw new AssertionError(
          "timed out after " + timeout.toSeconds() + " s waiting for " + what.get(),
          e.lastFailure());
    } catch (InterruptedException e) {
      throw interrupted(e);
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
      throw interrupted(e);
    }
  }

  /** The test fails on an interrupt; the flag stays set for whoever looks next. */
  private static AssertionError interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    return new AssertionError("interrupted", e);
  }
}
