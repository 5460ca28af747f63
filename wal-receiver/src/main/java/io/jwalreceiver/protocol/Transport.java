// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import java.nio.ByteBuffer;

/**
 * The byte pipe under the codec. Implementations (TCP, TLS, Unix socket) live in the session layer;
 * the codec only needs these calls. All failures are raised as {@code PgException}.
 */
public interface Transport extends AutoCloseable {

  /**
   * Whether {@link #read} takes direct buffers (channel-based transports); stream-based ones (TLS)
   * need heap buffers.
   */
  default boolean directBuffers() {
    return false;
  }

  /**
   * Reads at least one byte into {@code dst} (a direct buffer when {@link #directBuffers()}, else a
   * heap buffer), waiting at most {@code timeoutMillis} (0 = forever).
   *
   * @return the number of bytes read, 0 when the timeout passed with nothing to read
   * @throws io.jwalreceiver.PgException 08006 at end of stream or on an I/O failure
   */
  int read(ByteBuffer dst, long timeoutMillis);

  /**
   * Makes a {@link #read} waiting on another thread return 0 now, or the next one if none is
   * waiting. Any thread. Transports that cannot do this leave the read to its timeout.
   */
  default void wakeup() {}

  /**
   * Says that from now on reads come from one thread, without a timeout and without {@link
   * #wakeup()} (a COPY OUT read to its end), so a transport may wait for data inside the read
   * itself: one system call per wait instead of a readiness poll and a retry. A later read with a
   * timeout still honours it. Transports for which this changes nothing ignore it.
   */
  default void blockingReads() {}

  /** Writes every remaining byte of {@code src} (a heap buffer). */
  void write(ByteBuffer src);

  /** Closes the connection; never throws. */
  @Override
  void close();
}
