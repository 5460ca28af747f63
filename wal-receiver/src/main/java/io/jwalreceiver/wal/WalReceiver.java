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

    /**
     * An attempt to connect starts; the resume scan of the output directory follows, before {@link
     * #connected}. Called before every attempt, the first one included.
     */
    default void connecting() {}

    /**
     * Connected to {@code server} ({@code host:port}) and checked that it belongs to the archive's
     * cluster; {@code identity} is its IDENTIFY_SYSTEM answer (timeline, position).
     */
    default void connected(String server, SystemIdentity identity) {}

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
  private final ReceiverOptions options;
  private final SinkFactory sinkFactory;
  private final Function<WalSegmentSize, Optional<ResumePoint>> resumeScan;
  private final Listener listener;
  private final InstantSource clock;
  private final ConnectionOpener connector;
  private final StopSignals signals = new StopSignals();
  private final ClusterGuard guard = new ClusterGuard();
  private @Nullable WalSegmentSize segmentSize;

  /** Whether the last connection received WAL (a healthy stream resets the backoff). */
  private boolean streamedWal;

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
      ReceiverOptions options,
      SinkFactory sinkFactory,
      Function<WalSegmentSize, Optional<ResumePoint>> resumeScan,
      Listener listener,
      InstantSource clock) {
    this(config, options, sinkFactory, resumeScan, listener, clock, ConnectionOpener.REAL);
  }

  WalReceiver(
      ConnectionConfig config,
      ReceiverOptions options,
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
   * @throws PgException a failure when looping is off, or one that retrying cannot fix (among them
   *     a server of another cluster, or one whose history does not contain the archive's position)
   */
  public void run() {
    Backoff backoff = new Backoff(options.retryDelay(), options.reconnectBackoffMax());
    while (!signals.requested() && !options.stopCondition().reachedAt(clock)) {
      streamedWal = false;
      Duration wait;
      listener.connecting();
      try {
        if (streamOnce()) {
          return;
        }
        if (!options.loop()) {
          throw new PgException(SqlState.CONNECTION_FAILURE, "disconnected");
        }
        wait = nextWait(backoff);
        listener.disconnected(
            new PgException(
                SqlState.CONNECTION_FAILURE, "replication stream was terminated before stop point"),
            wait);
      } catch (PgException e) {
        if (!options.loop() || !retryable(e)) {
          throw e;
        }
        wait = nextWait(backoff);
        listener.disconnected(e, wait);
      }
      signals.sleepUnlessStopped(wait);
    }
  }

  /** A connection that streamed WAL was healthy: the backoff starts over. */
  private Duration nextWait(Backoff backoff) {
    if (streamedWal) {
      backoff.reset();
    }
    return backoff.next();
  }

  /**
   * Errors another attempt can cure: connection trouble, server errors, disk full, I/O. A missing
   * slot is not one: the server's "replication slot … does not exist" (START_REPLICATION before 15,
   * or with an archive to resume from) ends the loop as READ_REPLICATION_SLOT's does.
   */
  private static boolean retryable(PgException e) {
    if (e.sqlState().equals(SqlState.UNDEFINED_OBJECT)) {
      return false;
    }
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
      String server = conn.server().host() + ":" + conn.server().port();
      guard.checkServer(id.systemId(), server);
      WalSegmentSize size = conn.walSegmentSize();
      WalSegmentSize previousSize = segmentSize;
      if (previousSize != null && !previousSize.equals(size)) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "WAL segment size changed from " + previousSize + " to " + size);
      }
      segmentSize = size;
      boolean forcedStart = options.startPosition() != null && options.startTimeline() != null;
      Optional<ResumePoint> archived = forcedStart ? Optional.empty() : resumeScan.apply(size);
      guard.checkArchive(id.systemId(), server, archived);
      listener.connected(server, id);
      String activeSlot = options.slotName();
      String temporaryPrefix = options.temporarySlotPrefix();
      if (temporaryPrefix != null) {
        activeSlot = temporaryPrefix + "_" + conn.backendPid();
        conn.createPhysicalSlot(activeSlot, true, true);
        listener.info("created temporary replication slot \"" + activeSlot + "\"");
      }
      Lsn createdAt =
          activeSlot != null && temporaryPrefix == null && options.createSlotIfMissing()
              ? SlotCreation.ensure(conn, activeSlot, listener)
              : null;

      StartPosition start =
          StartPosition.decide(
              options,
              () -> archived,
              () -> createdAt != null ? Optional.empty() : readSlot(conn),
              id,
              size);
      ClusterGuard.checkHistory(
          start.timeline(), start.lsn(), id.timeline(), () -> conn.timelineHistory(id.timeline()));
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
        try {
          done = loop.streamTimelines(start.timeline(), start.lsn());
        } catch (PgException e) {
          throw createdAt != null ? SlotCreation.explain(e, activeSlot, createdAt, start) : e;
        } finally {
          streamedWal = loop.receivedWal();
        }
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
