// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.jspecify.annotations.Nullable;

/**
 * A daemon thread running one task for a test (a receiver, a write load, a sampler), keeping what
 * the task threw so that the test can fail with it.
 */
public final class BackgroundThread {

  /** What the thread runs. */
  @FunctionalInterface
  public interface Task {
    /**
     * Runs to the end.
     *
     * @throws Exception anything, kept as {@link #failure()}
     */
    void run() throws Exception;
  }

  private final FutureTask<@Nullable Void> outcome;
  private final Thread thread;

  private BackgroundThread(String name, Task task) {
    this.outcome =
        new FutureTask<>(
            () -> {
              task.run();
              return null;
            });
    this.thread = new Thread(outcome, name);
    thread.setDaemon(true);
  }

  /** Starts {@code task} on a daemon thread called {@code name}. */
  public static BackgroundThread start(String name, Task task) {
    BackgroundThread t = new BackgroundThread(name, task);
    t.thread.start();
    return t;
  }

  /** What the task threw, or null while it runs or when it ended normally. */
  public @Nullable Throwable failure() {
    if (!outcome.isDone()) {
      return null;
    }
    try {
      outcome.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
    }
  }

  /** Whether the task still runs. */
  public boolean isAlive() {
    return thread.isAlive();
  }

  /** Waits up to {@code timeout} for the task to end ({@link Waits#join}). */
  public void join(Duration timeout) {
    Waits.join(thread, timeout);
  }
}
