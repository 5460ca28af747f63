// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The worker pools of the parallel encoders: daemon threads named {@code NAME-POOL-N}. */
final class CompressionThreads {

  private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

  private CompressionThreads() {}

  /** A fixed pool of {@code threads} daemon threads named after {@code algorithm}. */
  static ExecutorService pool(String algorithm, int threads) {
    int poolNumber = POOL_NUMBER.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, algorithm + "-" + poolNumber + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Stops the pool and waits for a running task to end (a block takes milliseconds), so that the
   * caller may then free what the tasks use.
   */
  static void stop(ExecutorService pool) {
    pool.shutdownNow();
    try {
      pool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits for a task; its failure becomes an IOException.
   *
   * @throws IOException {@code ALGORITHM compression failed: CAUSE}, or interrupted
   */
  static void await(Future<?> done, String algorithm) throws IOException {
    try {
      done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IOException(algorithm + " compression failed: " + cause, cause);
    }
  }
}
