// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;

/**
 * When a {@link WalReceiver} stops on its own. Whatever the condition, {@link
 * WalReceiver#requestStop()} stops it too, and a stop always ends cleanly: flush, a final status
 * update, CopyDone.
 *
 * <ul>
 *   <li>{@link OnRequest}: only when asked (pg_receivewal without {@code --endpos}); the default;
 *   <li>{@link AtLsn}: once WAL beyond a position was received (pg_receivewal's {@code
 *       -E/--endpos});
 *   <li>{@link AtTime}: once the receiver's clock reaches an instant, checked between messages and
 *       at least every half second.
 * </ul>
 */
public sealed interface StopCondition
    permits StopCondition.OnRequest, StopCondition.AtLsn, StopCondition.AtTime {

  /**
   * Stops only on {@link WalReceiver#requestStop()}.
   *
   * @return the condition
   */
  static StopCondition onRequest() {
    return OnRequest.INSTANCE;
  }

  /**
   * Stops once WAL beyond {@code end} was received (pg_receivewal's {@code --endpos}).
   *
   * @param end the end position
   * @return the condition
   */
  static StopCondition atLsn(Lsn end) {
    return new AtLsn(end);
  }

  /**
   * Stops once the clock reaches {@code deadline}.
   *
   * @param deadline when to stop
   * @return the condition
   */
  static StopCondition atTime(Instant deadline) {
    return new AtTime(deadline);
  }

  /**
   * True when streaming from {@code start} would only receive WAL past the condition: nothing to
   * stream (pg_receivewal checks its end position before START_REPLICATION).
   *
   * @param start the segment start streaming would begin at
   * @return whether to stop without streaming
   */
  default boolean passedBefore(Lsn start) {
    return false;
  }

  /**
   * True once WAL up to {@code received} (exclusive) has arrived and the condition is met by it.
   *
   * @param received the end of the WAL received so far
   * @return whether to stop
   */
  default boolean reachedBy(long received) {
    return false;
  }

  /**
   * True when the condition is met at the time {@code clock} tells, whatever was received. Only a
   * time condition reads the clock.
   *
   * @param clock the receiver's clock
   * @return whether to stop
   */
  default boolean reachedAt(InstantSource clock) {
    return false;
  }

  /** Only {@link WalReceiver#requestStop()} stops the receiver. */
  enum OnRequest implements StopCondition {
    /** The single value. */
    INSTANCE
  }

  /**
   * Stops once WAL beyond {@code end} was received.
   *
   * @param end pg_receivewal's {@code --endpos}
   */
  record AtLsn(Lsn end) implements StopCondition {

    /**
     * Checks for null.
     *
     * @param end the end position
     */
    public AtLsn {
      Objects.requireNonNull(end, "end");
    }

    @Override
    public boolean passedBefore(Lsn start) {
      return Long.compareUnsigned(start.value(), end.value()) > 0;
    }

    @Override
    public boolean reachedBy(long received) {
      return Long.compareUnsigned(received, end.value()) > 0;
    }
  }

  /**
   * Stops once the receiver's clock reaches {@code deadline}.
   *
   * @param deadline when to stop
   */
  record AtTime(Instant deadline) implements StopCondition {

    /**
     * Checks for null.
     *
     * @param deadline when to stop
     */
    public AtTime {
      Objects.requireNonNull(deadline, "deadline");
    }

    @Override
    public boolean reachedAt(InstantSource clock) {
      return clock.millis() >= deadline.toEpochMilli();
    }
  }
}
