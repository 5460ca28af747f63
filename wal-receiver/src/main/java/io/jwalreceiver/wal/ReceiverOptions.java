// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link WalReceiver} streams. Start from {@link #defaults()} (pg_receivewal's) and change
 * settings with the {@code with…} methods or a {@link #toBuilder() builder}.
 *
 * @param slotName the physical slot, or null
 * @param statusInterval how often to send status updates; zero = only when the server asks
 * @param synchronous acknowledge every write batch as soon as it is flushed (a synchronous
 *     standby); otherwise flush at segment ends, on status updates and when the server asks
 * @param stopCondition when to stop on its own ({@link StopCondition#onRequest()} by default)
 * @param loop reconnect after a lost connection or a server error (pg_receivewal without {@code
 *     --no-loop})
 * @param retryDelay how long to wait before reconnecting (the first wait with a growing backoff)
 * @param reconnectBackoffMax null for pg_receivewal's fixed {@code retryDelay}; otherwise each
 *     failed attempt in a row doubles the wait, up to this, and a connection that streamed WAL
 *     resets it to {@code retryDelay}
 * @param startTimeline with {@code startPosition}: where to start, overriding the archive, slot and
 *     server positions (pg_basebackup's streamer starts at the backup's start); or null
 * @param startPosition see {@code startTimeline}
 * @param temporarySlotPrefix create a temporary slot named {@code <prefix>_<walsender pid>} on the
 *     streaming connection and use it (pg_basebackup's default); or null
 * @param createSlotIfMissing when {@code slotName} does not exist on the server connected to (a new
 *     primary after a failover), create it (physical, RESERVE_WAL) instead of failing
 */
public record ReceiverOptions(
    @Nullable String slotName,
    Duration statusInterval,
    boolean synchronous,
    StopCondition stopCondition,
    boolean loop,
    Duration retryDelay,
    @Nullable Duration reconnectBackoffMax,
    @Nullable TimelineId startTimeline,
    @Nullable Lsn startPosition,
    @Nullable String temporarySlotPrefix,
    boolean createSlotIfMissing) {

  /**
   * Checks for nulls.
   *
   * @param slotName the physical slot, or null
   * @param statusInterval how often to send status updates
   * @param synchronous acknowledge every write batch
   * @param stopCondition when to stop on its own
   * @param loop reconnect after failures
   * @param retryDelay how long to wait before reconnecting
   * @param reconnectBackoffMax the cap of a growing backoff, or null for a fixed delay
   * @param startTimeline explicit start timeline, or null
   * @param startPosition explicit start position, or null
   * @param temporarySlotPrefix temporary slot prefix, or null
   * @param createSlotIfMissing create {@code slotName} when the server lacks it
   */
  public ReceiverOptions {
    Objects.requireNonNull(statusInterval, "statusInterval");
    Objects.requireNonNull(stopCondition, "stopCondition");
    Objects.requireNonNull(retryDelay, "retryDelay");
  }

  /**
   * pg_receivewal's defaults: no slot, status every 10 s, loop, retry after a fixed 5 s.
   *
   * @return the defaults
   */
  public static ReceiverOptions defaults() {
    return new Builder().build();
  }

  /**
   * A builder holding these options.
   *
   * @return the builder
   */
  public Builder toBuilder() {
    return Builder.of(this);
  }

  /**
   * The end position of {@link StopCondition.AtLsn}, or null for any other condition.
   *
   * @return pg_receivewal's {@code --endpos}, or null
   */
  public @Nullable Lsn endPosition() {
    return stopCondition instanceof StopCondition.AtLsn at ? at.end() : null;
  }

  /**
   * These options with another slot.
   *
   * @param name the physical slot, or null for none
   * @return the changed options
   */
  public ReceiverOptions withSlotName(@Nullable String name) {
    return toBuilder().slotName(name).build();
  }

  /**
   * These options with another status interval.
   *
   * @param d the interval; zero = only when the server asks
   * @return the changed options
   */
  public ReceiverOptions withStatusInterval(Duration d) {
    return toBuilder().statusInterval(d).build();
  }

  /**
   * These options with synchronous mode on or off.
   *
   * @param on whether to acknowledge every write batch once flushed
   * @return the changed options
   */
  public ReceiverOptions withSynchronous(boolean on) {
    return toBuilder().synchronous(on).build();
  }

  /**
   * These options stopping once WAL beyond {@code lsn} was received, or only on request when null.
   *
   * @param lsn pg_receivewal's {@code --endpos}, or null
   * @return the changed options
   */
  public ReceiverOptions withEndPosition(@Nullable Lsn lsn) {
    return withStopCondition(lsn == null ? StopCondition.onRequest() : StopCondition.atLsn(lsn));
  }

  /**
   * These options with another stop condition.
   *
   * @param condition when to stop on its own
   * @return the changed options
   */
  public ReceiverOptions withStopCondition(StopCondition condition) {
    return toBuilder().stopCondition(condition).build();
  }

  /**
   * These options with reconnecting on or off.
   *
   * @param on whether to reconnect after failures
   * @return the changed options
   */
  public ReceiverOptions withLoop(boolean on) {
    return toBuilder().loop(on).build();
  }

  /**
   * These options with another retry delay.
   *
   * @param d how long to wait before reconnecting
   * @return the changed options
   */
  public ReceiverOptions withRetryDelay(Duration d) {
    return toBuilder().retryDelay(d).build();
  }

  /**
   * Starts at this timeline and (segment-aligned) position.
   *
   * @param timeline the timeline
   * @param position the position, rounded down to its segment start
   * @return the changed options
   */
  public ReceiverOptions withStart(TimelineId timeline, Lsn position) {
    return toBuilder().startTimeline(timeline).startPosition(position).build();
  }

  /**
   * Streams through a temporary slot {@code <prefix>_<pid>}, or none when null.
   *
   * @param prefix the slot name prefix, or null
   * @return the changed options
   */
  public ReceiverOptions withTemporarySlot(@Nullable String prefix) {
    return toBuilder().temporarySlotPrefix(prefix).build();
  }

  /** pg_receivewal reports a flush position only with a slot or in synchronous mode. */
  boolean reportsFlush() {
    return slotName != null || temporarySlotPrefix != null || synchronous;
  }

  /**
   * Builds {@link ReceiverOptions}; each setter names the record component it sets, and every
   * setting starts at pg_receivewal's default. Start from {@link ReceiverOptions#defaults()}'s
   * {@link ReceiverOptions#toBuilder()}.
   */
  public static final class Builder {
    private @Nullable String slotName;
    private Duration statusInterval = Duration.ofSeconds(10);
    private boolean synchronous;
    private StopCondition stopCondition = StopCondition.onRequest();
    private boolean loop = true;
    private Duration retryDelay = Duration.ofSeconds(5);
    private @Nullable Duration reconnectBackoffMax;
    private @Nullable TimelineId startTimeline;
    private @Nullable Lsn startPosition;
    private @Nullable String temporarySlotPrefix;
    private boolean createSlotIfMissing;

    private Builder() {}

    /** The builder of {@link ReceiverOptions#toBuilder()}: every setting from {@code o}. */
    private static Builder of(ReceiverOptions o) {
      return new Builder()
          .slotName(o.slotName)
          .statusInterval(o.statusInterval)
          .synchronous(o.synchronous)
          .stopCondition(o.stopCondition)
          .loop(o.loop)
          .retryDelay(o.retryDelay)
          .reconnectBackoff(o.reconnectBackoffMax)
          .startTimeline(o.startTimeline)
          .startPosition(o.startPosition)
          .temporarySlotPrefix(o.temporarySlotPrefix)
          .createSlotIfMissing(o.createSlotIfMissing);
    }

    /** Sets {@link ReceiverOptions#slotName()}. */
    public Builder slotName(@Nullable String value) {
      this.slotName = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#statusInterval()}. */
    public Builder statusInterval(Duration value) {
      this.statusInterval = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#synchronous()}. */
    public Builder synchronous(boolean value) {
      this.synchronous = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#stopCondition()}. */
    public Builder stopCondition(StopCondition value) {
      this.stopCondition = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#loop()}. */
    public Builder loop(boolean value) {
      this.loop = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#retryDelay()}. */
    public Builder retryDelay(Duration value) {
      this.retryDelay = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#reconnectBackoffMax()}. */
    public Builder reconnectBackoff(@Nullable Duration value) {
      this.reconnectBackoffMax = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#startTimeline()}. */
    public Builder startTimeline(@Nullable TimelineId value) {
      this.startTimeline = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#startPosition()}. */
    public Builder startPosition(@Nullable Lsn value) {
      this.startPosition = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#temporarySlotPrefix()}. */
    public Builder temporarySlotPrefix(@Nullable String value) {
      this.temporarySlotPrefix = value;
      return this;
    }

    /** Sets {@link ReceiverOptions#createSlotIfMissing()}. */
    public Builder createSlotIfMissing(boolean value) {
      this.createSlotIfMissing = value;
      return this;
    }

    /** The options. */
    public ReceiverOptions build() {
      return new ReceiverOptions(
          slotName,
          statusInterval,
          synchronous,
          stopCondition,
          loop,
          retryDelay,
          reconnectBackoffMax,
          startTimeline,
          startPosition,
          temporarySlotPrefix,
          createSlotIfMissing);
    }
  }
}
