// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SlotPosition;
import io.jwalreceiver.session.SystemIdentity;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The WAL streaming loop of pg_receivewal (protocol-notes §4): decides where to start, streams a
 * timeline into a {@link WalSink}, answers keepalives, reports positions, follows timeline
 * switches, stops at an end position or on request, and reconnects after failures unless told not
 * to.
 *
 * <p>The receive thread never waits for a disk flush: the sink flushes on its own thread, and the
 * flush position reported to the server is always the sink's {@link WalSink#durablePosition()}.
 *
 * <p>Embedders that archive into a directory start with {@code
 * io.jwalreceiver.wal.segment.WalArchiver.builder(config)}, which builds a receiver with a
 * segment-file sink and the directory's resume point. The parts are {@code StartPosition} (where to
 * start), {@code StatusSchedule} (when feedback is due), {@link StopCondition} (when to stop) and
 * the per-connection {@code ReceiveLoop}.
 */
public final class WalReceiver {

  /**
   * How to stream.
   *
   * @param slotName the physical slot, or null
   * @param statusInterval how often to send status updates; zero = only when the server asks
   * @param synchronous acknowledge every write batch as soon as it is flushed (a synchronous
   *     standby); otherwise flush at segment ends, on status updates and when the server asks
   * @param stopCondition when to stop on its own ({@link StopCondition#onRequest()} by default)
   * @param loop reconnect after a lost connection or a server error (pg_receivewal without {@code
   *     --no-loop})
   * @param retryDelay how long to wait before reconnecting
   * @param startTimeline with {@code startPosition}: where to start, overriding the archive, slot
   *     and server positions (pg_basebackup's streamer starts at the backup's start); or null
   * @param startPosition see {@code startTimeline}
   * @param temporarySlotPrefix create a temporary slot named {@code <prefix>_<walsender pid>} on
   *     the streaming connection and use it (pg_basebackup's default); or null
   */
  public record Options(
      @Nullable String slotName,
      Duration statusInterval,
      boolean synchronous,
      StopCondition stopCondition,
      boolean loop,
      Duration retryDelay,
      @Nullable TimelineId startTimeline,
      @Nullable Lsn startPosition,
      @Nullable String temporarySlotPrefix) {

    /**
     * Checks for nulls.
     *
     * @param slotName the physical slot, or null
     * @param statusInterval how often to send status updates
     * @param synchronous acknowledge every write batch
     * @param stopCondition when to stop on its own
     * @param loop reconnect after failures
     * @param retryDelay how long to wait before reconnecting
     * @param startTimeline explicit start timeline, or null
     * @param startPosition explicit start position, or null
     * @param temporarySlotPrefix temporary slot prefix, or null
     */
    public Options {
      Objects.requireNonNull(statusInterval, "statusInterval");
      Objects.requireNonNull(stopCondition, "stopCondition");
      Objects.requireNonNull(retryDelay, "retryDelay");
    }

    /**
     * pg_receivewal's defaults: no slot, status every 10 s, loop, retry after 5 s.
     *
     * @return the defaults
     */
    public static Options defaults() {
      return new Options(
          null,
          Duration.ofSeconds(10),
          false,
          StopCondition.onRequest(),
          true,
          Duration.ofSeconds(5),
          null,
          null,
          null);
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
    public Options withSlotName(@Nullable String name) {
      return new Options(
          name,
          statusInterval,
          synchronous,
          stopCondition,
          loop,
          retryDelay,
          startTimeline,
          startPosition,
          temporarySlotPrefix);
    }

    /**
     * These options with another status interval.
     *
     * @param d the interval; zero = only when the server asks
     * @return the changed options
     */
    public Options withStatusInterval(Duration d) {
      return new Options(
          slotName,
          d,
          synchronous,
          stopCondition,
          loop,
          retryDelay,
          startTimeline,
          startPosition,
          temporarySlotPrefix);
    }

    /**
     * These options with synchronous mode on or off.
     *
     * @param on whether to acknowledge every write batch once flushed
     * @return the changed options
     */
    public Options withSynchronous(boolean on) {
      return new Options(
          slotName,
          statusInterval,
          on,
          stopCondition,
          loop,
          retryDelay,
          startTimeline,
          startPosition,
          temporarySlotPrefix);
    }

    /**
     * These options stopping once WAL beyond {@code lsn} was received, or only on request when
     * null.
     *
     * @param lsn pg_receivewal's {@code --endpos}, or null
     * @return the changed options
     */
    public Options withEndPosition(@Nullable Lsn lsn) {
      return withStopCondition(lsn == null ? StopCondition.onRequest() : StopCondition.atLsn(lsn));
    }

    /**
     * These options with another stop condition.
     *
     * @param condition when to stop on its own
     * @return the changed options
     */
    public Options withStopCondition(StopCondition condition) {
      return new Options(
          slotName,
          statusInterval,
          synchronous,
          condition,
          loop,
          retryDelay,
          startTimeline,
          startPosition,
          temporarySlotPrefix);
    }

    /**
     * These options with reconnecting on or off.
     *
     * @param on whether to reconnect after failures
     * @return the changed options
     */
    public Options withLoop(boolean on) {
      return new Options(
          slotName,
          statusInterval,
          synchronous,
          stopCondition,
          on,
          retryDelay,
          startTimeline,
          startPosition,
          temporarySlotPrefix);
    }

    /**
     * These options with another retry delay.
     *
     * @param d how long to wait before reconnecting
     * @return the changed options
     */
    public Options withRetryDelay(Duration d) {
      return new Options(
          slotName,
          statusInterval,
          synchronous,
          stopCondition,
          loop,
          d,
          startTimeline,
          startPosition,
          temporarySlotPrefix);
    }

    /**
     * Starts at this timeline and (segment-aligned) position.
     *
     * @param timeline the timeline
     * @param position the position, rounded down to its segment start
     * @return the changed options
     */
    public Options withStart(TimelineId timeline, Lsn position) {
      return new Options(
          slotName,
          statusInterval,
          synchronous,
          stopCondition,
          loop,
          retryDelay,
          timeline,
          position,
          temporarySlotPrefix);
    }

    /**
     * Streams through a temporary slot {@code <prefix>_<pid>}, or none when null.
     *
     * @param prefix the slot name prefix, or null
     * @return the changed options
     */
    public Options withTemporarySlot(@Nullable String prefix) {
      return new Options(
          slotName,
          statusInterval,
          synchronous,
          stopCondition,
          loop,
          retryDelay,
          startTimeline,
          startPosition,
          prefix);
    }

    /** pg_receivewal reports a flush position only with a slot or in synchronous mode. */
    boolean reportsFlush() {
      return slotName != null || temporarySlotPrefix != null || synchronous;
    }
  }

  /** Opens the sink of one connection. */
  @FunctionalInterface
  public interface SinkFactory {
    /**
     * Opens the sink.
     *
     * @param segmentSize the server's WAL segment size
     * @param groupAccess whether the server's data directory is group-readable ({@code SHOW
     *     data_directory_mode} = 0750): files are then created 0640 instead of 0600
     * @return the sink, closed by the receiver when the connection ends
     */
    WalSink open(WalSegmentSize segmentSize, boolean groupAccess);
  }

  /**
   * What happens, for logging and metrics. Methods run on the receive thread, except {@link
   * #statusSent}, which also runs on the sink's flusher thread in synchronous mode and on the stall
   * guard's thread while a write waits for the disk (see {@link #run()}).
   */
  public interface Listener {
    /** Streaming begins (or resumes) at a position. */
    default void streamingStarted(TimelineId timeline, Lsn start) {}

    /** WAL up to {@code end} was handed to the sink. Called per message: keep it cheap. */
    default void received(long end) {}

    /** The server switched to a new timeline. */
    default void timelineSwitched(TimelineId from, TimelineId to, Lsn start) {}

    /** The connection failed; a retry follows after {@code retryIn} unless looping is off. */
    default void disconnected(PgException cause, Duration retryIn) {}

    /**
     * The server's WAL end as an XLogData message or a keepalive reported it (on a primary its
     * flush position): how far the server is ahead. Called per message: keep it cheap.
     */
    default void serverWalEnd(long walEnd) {}

    /** A status update went out. */
    default void statusSent(long write, long flush) {}

    /** An informational message, worded as pg_receivewal's verbose output. */
    default void info(String message) {}
  }

  /** Opens the replication connection; tests substitute a scripted one. */
  @FunctionalInterface
  interface ConnectionOpener {
    /** The production value. */
    ConnectionOpener REAL = ReplicationConnection::open;

    ReplicationConnection open(ConnectionConfig config, Consumer<ServerError> notices);
  }

  private final ConnectionConfig config;
  private final Options options;
  private final SinkFactory sinkFactory;
  private final Function<WalSegmentSize, Optional<ResumePoint>> resumeScan;
  private final Listener listener;
  private final InstantSource clock;
  private final ConnectionOpener connector;
  private final StopSignals signals = new StopSignals();
  private @Nullable String systemId;
  private @Nullable WalSegmentSize segmentSize;

  /**
   * A receiver into any sink.
   *
   * @param config where to connect
   * @param options how to stream
   * @param sinkFactory opens the sink once the segment size and the server's data directory mode
   *     are known (once per connection)
   * @param resumeScan where the stored WAL says to resume (pg_receivewal's directory scan)
   * @param listener what happens
   * @param clock the clock of status updates and time limits
   */
  public WalReceiver(
      ConnectionConfig config,
      Options options,
      SinkFactory sinkFactory,
      Function<WalSegmentSize, Optional<ResumePoint>> resumeScan,
      Listener listener,
      InstantSource clock) {
    this(config, options, sinkFactory, resumeScan, listener, clock, ConnectionOpener.REAL);
  }

  WalReceiver(
      ConnectionConfig config,
      Options options,
      SinkFactory sinkFactory,
      Function<WalSegmentSize, Optional<ResumePoint>> resumeScan,
      Listener listener,
      InstantSource clock,
      ConnectionOpener connector) {
    this.config = config;
    this.options = options;
    this.sinkFactory = sinkFactory;
    this.resumeScan = resumeScan;
    this.listener = listener;
    this.clock = clock;
    this.connector = connector;
  }

  /** Asks the loop to stop: flush, report the final position and return. Thread-safe. */
  public void requestStop() {
    signals.requestStop();
  }

  /**
   * Stops the loop once WAL up to {@code lsn} (exclusive) has been written and flushed: the end of
   * a base backup, learned while streaming is under way. Thread-safe.
   *
   * @param lsn the end position
   */
  public void stopAt(Lsn lsn) {
    signals.stopAt(lsn);
  }

  /**
   * Streams until the stop condition, a stop request, or (without looping) the first failure.
   *
   * @throws PgException a failure when looping is off, or one that retrying cannot fix
   */
  public void run() {
    while (!signals.requested() && !options.stopCondition().reachedAt(clock)) {
      try {
        if (streamOnce()) {
          return;
        }
        if (!options.loop()) {
          throw new PgException(SqlState.CONNECTION_FAILURE, "disconnected");
        }
        listener.disconnected(
            new PgException(
                SqlState.CONNECTION_FAILURE, "replication stream was terminated before stop point"),
            options.retryDelay());
      } catch (PgException e) {
        if (!options.loop() || !retryable(e)) {
          throw e;
        }
        listener.disconnected(e, options.retryDelay());
      }
      signals.sleepUnlessStopped(options.retryDelay());
    }
  }

  /** Errors another attempt can cure: connection trouble, server errors, disk full, I/O. */
  private static boolean retryable(PgException e) {
    String c = e.sqlState().classCode();
    return e.fromServer() || c.equals("08") || c.equals("53") || c.equals("58") || c.equals("57");
  }

  /**
   * One connection's worth of streaming.
   *
   * @return true when done (end position reached or stop requested), false when the server ended
   *     the stream and we should reconnect
   */
  private boolean streamOnce() {
    try (ReplicationConnection conn = connector.open(config, n -> listener.info(n.render()))) {
      SystemIdentity id = conn.identifySystem();
      if (id.database() != null) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "replication connection using slot \""
                + options.slotName()
                + "\" is unexpectedly database specific");
      }
      String previousId = systemId;
      if (previousId != null && !previousId.equals(id.systemId())) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "system identifier does not match between the archive and the server",
            "The server's is " + id.systemId() + ", it was " + previousId + " before.",
            null,
            null);
      }
      systemId = id.systemId();
      WalSegmentSize size = conn.walSegmentSize();
      WalSegmentSize previousSize = segmentSize;
      if (previousSize != null && !previousSize.equals(size)) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "WAL segment size changed from " + previousSize + " to " + size);
      }
      segmentSize = size;
      String activeSlot = options.slotName();
      String temporaryPrefix = options.temporarySlotPrefix();
      if (temporaryPrefix != null) {
        activeSlot = temporaryPrefix + "_" + conn.backendPid();
        conn.createPhysicalSlot(activeSlot, true, true);
        listener.info("created temporary replication slot \"" + activeSlot + "\"");
      }

      StartPosition start =
          StartPosition.decide(
              options, () -> resumeScan.apply(size), () -> readSlot(conn), id, size);
      if (options.stopCondition().passedBefore(start.lsn())) {
        // Already past the end position: nothing to do (pg_receivewal checks this before START).
        return true;
      }
      // The tools create files as the cluster does: group-readable when the server's data
      // directory allows group access (initdb -g), owner-only otherwise.
      boolean groupAccess = "0750".equals(conn.show("data_directory_mode"));
      Duration senderTimeout = StallGuard.parseTimeout(conn.show("wal_sender_timeout"));
      boolean done;
      ReceiveLoop loop;
      try (WalSink sink = sinkFactory.open(size, groupAccess)) {
        loop =
            new ReceiveLoop(
                conn, sink, options, listener, clock, signals, size, activeSlot, senderTimeout);
        done = loop.streamTimelines(start.timeline(), start.lsn());
      }
      String endReached = loop.endReached();
      if (endReached != null) {
        // pg_receivewal says it once more after closing its file (its stop callback runs again).
        listener.info(endReached);
      }
      return done;
    }
  }

  /** READ_REPLICATION_SLOT of the configured slot on 15+; empty without a slot or before 15. */
  private Optional<SlotPosition> readSlot(ReplicationConnection conn) {
    String slot = options.slotName();
    if (slot == null || conn.serverVersionNum() < 150000) {
      return Optional.empty();
    }
    Optional<SlotPosition> position = conn.readReplicationSlot(slot);
    if (position.isEmpty()) {
      throw new PgException(
          SqlState.UNDEFINED_OBJECT, "replication slot \"" + slot + "\" does not exist");
    }
    return position;
  }
}
