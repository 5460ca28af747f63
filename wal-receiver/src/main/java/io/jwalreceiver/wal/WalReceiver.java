// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.protocol.replication.PgTimestamp;
import io.jwalreceiver.protocol.replication.ReplicationDecoder;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.CopyBothStream;
import io.jwalreceiver.session.NextTimeline;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SlotPosition;
import io.jwalreceiver.session.SystemIdentity;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The WAL streaming loop of pg_receivewal (protocol-notes §4): decides where to start, streams
 * a timeline into a {@link WalSink}, answers keepalives, reports positions, follows timeline
 * switches, stops at an end position or on request, and reconnects after failures unless told
 * not to.
 *
 * <p>The receive thread never waits for a disk flush: the sink flushes on its own thread, and the
 * flush position reported to the server is always the sink's {@link WalSink#durablePosition()}.
 */
public final class WalReceiver {

  /**
   * How to stream.
   *
   * @param slotName the physical slot, or null
   * @param statusInterval how often to send status updates; zero = only when the server asks
   * @param synchronous acknowledge every write batch as soon as it is flushed (a synchronous
   *     standby); otherwise flush at segment ends, on status updates and when the server asks
   * @param endPosition stop once WAL beyond this position has been received, or null
   * @param loop reconnect after a lost connection or a server error (pg_receivewal without
   *     {@code --no-loop})
   * @param retryDelay how long to wait before reconnecting
   * @param startTimeline with {@code startPosition}: where to start, overriding the archive, slot
   *     and server positions (pg_basebackup's streamer starts at the backup's start); or null
   * @param startPosition see {@code startTimeline}
   * @param temporarySlotPrefix create a temporary slot named {@code <prefix>_<walsender pid>} on
   *     the streaming connection and use it (pg_basebackup's default); or null
   */
  public record Options(
      String slotName,
      Duration statusInterval,
      boolean synchronous,
      Lsn endPosition,
      boolean loop,
      Duration retryDelay,
      TimelineId startTimeline,
      Lsn startPosition,
      String temporarySlotPrefix) {

    /** pg_receivewal's defaults: no slot, status every 10 s, loop, retry after 5 s. */
    public static Options defaults() {
      return new Options(null, Duration.ofSeconds(10), false, null, true, Duration.ofSeconds(5),
          null, null, null);
    }

    public Options withSlotName(String name) {
      return new Options(name, statusInterval, synchronous, endPosition, loop, retryDelay,
          startTimeline, startPosition, temporarySlotPrefix);
    }

    public Options withStatusInterval(Duration d) {
      return new Options(slotName, d, synchronous, endPosition, loop, retryDelay,
          startTimeline, startPosition, temporarySlotPrefix);
    }

    public Options withSynchronous(boolean on) {
      return new Options(slotName, statusInterval, on, endPosition, loop, retryDelay,
          startTimeline, startPosition, temporarySlotPrefix);
    }

    public Options withEndPosition(Lsn lsn) {
      return new Options(slotName, statusInterval, synchronous, lsn, loop, retryDelay,
          startTimeline, startPosition, temporarySlotPrefix);
    }

    public Options withLoop(boolean on) {
      return new Options(slotName, statusInterval, synchronous, endPosition, on, retryDelay,
          startTimeline, startPosition, temporarySlotPrefix);
    }

    public Options withRetryDelay(Duration d) {
      return new Options(slotName, statusInterval, synchronous, endPosition, loop, d,
          startTimeline, startPosition, temporarySlotPrefix);
    }

    /** Starts at this timeline and (segment-aligned) position. */
    public Options withStart(TimelineId timeline, Lsn position) {
      return new Options(slotName, statusInterval, synchronous, endPosition, loop, retryDelay,
          timeline, position, temporarySlotPrefix);
    }

    /** Streams through a temporary slot {@code <prefix>_<pid>}, or none when null. */
    public Options withTemporarySlot(String prefix) {
      return new Options(slotName, statusInterval, synchronous, endPosition, loop, retryDelay,
          startTimeline, startPosition, prefix);
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
     * Opens the sink for a server with these properties.
     *
     * @param segmentSize the server's WAL segment size
     * @param groupAccess whether the server's data directory is group-readable ({@code SHOW
     *     data_directory_mode} = 0750): files are then created 0640 instead of 0600
     */
    WalSink open(WalSegmentSize segmentSize, boolean groupAccess);
  }

  /**
   * What happens, for logging and metrics. Methods run on the receive thread, except {@link
   * #statusSent}, which also runs on the sink's flusher thread in synchronous mode and on the
   * stall guard's thread while a write waits for the disk (see {@link #run()}).
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

  private static final long POLL_SLICE_MILLIS = 500;

  private final ConnectionConfig config;
  private final Options options;
  private final SinkFactory sinkFactory;
  /** pg_receivewal's "stopped log streaming at" line once the end position was passed. */
  private String endReached;
  private final Function<WalSegmentSize, Optional<ResumePoint>> resumeScan;
  private final Listener listener;
  private final InstantSource clock;
  private final ReentrantLock stopLock = new ReentrantLock();
  private final Condition stopSignal = stopLock.newCondition();
  private volatile boolean stopRequested;
  /** pg_basebackup's stop point: stop once everything before it was written; -1 = none. */
  private volatile long stopAt = -1;
  /** The stream being read, woken by a stop so that the loop sees it at once; or null. */
  private volatile CopyBothStream current;
  /** The slot used by this connection (the configured one, or the temporary one). */
  private String activeSlot;
  private String systemId;
  private WalSegmentSize segmentSize;
  /** The server's wal_sender_timeout; zero when disabled. */
  private Duration senderTimeout = Duration.ZERO;

  /**
   * @param sinkFactory opens the sink once the segment size and the server's data directory mode
   *     are known (once per connection)
   * @param resumeScan where the stored WAL says to resume (pg_receivewal's directory scan)
   */
  public WalReceiver(
      ConnectionConfig config,
      Options options,
      SinkFactory sinkFactory,
      Function<WalSegmentSize, Optional<ResumePoint>> resumeScan,
      Listener listener,
      InstantSource clock) {
    this.config = config;
    this.options = options;
    this.sinkFactory = sinkFactory;
    this.resumeScan = resumeScan;
    this.listener = listener;
    this.clock = clock;
  }

  /** Asks the loop to stop: flush, report the final position and return. Thread-safe. */
  public void requestStop() {
    stopLock.lock();
    try {
      stopRequested = true;
      stopSignal.signalAll();
    } finally {
      stopLock.unlock();
    }
    wakeStream();
  }

  /**
   * Stops the loop once WAL up to {@code lsn} (exclusive) has been written and flushed: the end
   * of a base backup, learned while streaming is under way. Thread-safe.
   */
  public void stopAt(Lsn lsn) {
    stopAt = lsn.value();
    stopLock.lock();
    try {
      stopSignal.signalAll();
    } finally {
      stopLock.unlock();
    }
    wakeStream();
  }

  /**
   * Ends the wait of the receive loop's poll (up to {@value #POLL_SLICE_MILLIS} ms otherwise):
   * a base backup's streamer stops as soon as its end position is known and written.
   */
  private void wakeStream() {
    CopyBothStream s = current;
    if (s != null) {
      s.wakeup();
    }
  }

  /**
   * Streams until the end position, a stop request, or (without looping) the first failure.
   *
   * @throws PgException a failure when looping is off, or one that retrying cannot fix
   */
  public void run() {
    while (!stopRequested) {
      try {
        if (streamOnce()) {
          return;
        }
        if (!options.loop()) {
          throw new PgException(SqlState.CONNECTION_FAILURE, "disconnected");
        }
        listener.disconnected(
            new PgException(SqlState.CONNECTION_FAILURE, "replication stream was terminated before stop point"),
            options.retryDelay());
      } catch (PgException e) {
        if (!options.loop() || !retryable(e)) {
          throw e;
        }
        listener.disconnected(e, options.retryDelay());
      }
      sleepUnlessStopped(options.retryDelay());
    }
  }

  /** Errors another attempt can cure: connection trouble, server errors, disk full, I/O. */
  private static boolean retryable(PgException e) {
    String c = e.sqlState().classCode();
    return e.fromServer() || c.equals("08") || c.equals("53") || c.equals("58") || c.equals("57");
  }

  private void sleepUnlessStopped(Duration d) {
    stopLock.lock();
    try {
      long nanos = d.toNanos();
      while (!stopRequested && nanos > 0) {
        nanos = stopSignal.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopRequested = true;
    } finally {
      stopLock.unlock();
    }
  }

  /**
   * One connection's worth of streaming.
   *
   * @return true when done (end position reached or stop requested), false when the server ended
   *     the stream and we should reconnect
   */
  private boolean streamOnce() {
    try (ReplicationConnection conn = ReplicationConnection.open(config, n -> listener.info(n.render()))) {
      SystemIdentity id = conn.identifySystem();
      if (id.database() != null) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "replication connection using slot \"" + options.slotName()
                + "\" is unexpectedly database specific");
      }
      if (systemId != null && !systemId.equals(id.systemId())) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "system identifier does not match between the archive and the server",
            "The server's is " + id.systemId() + ", it was " + systemId + " before.",
            null,
            null);
      }
      systemId = id.systemId();
      WalSegmentSize size = conn.walSegmentSize();
      if (segmentSize != null && !segmentSize.equals(size)) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "WAL segment size changed from " + segmentSize + " to " + size);
      }
      segmentSize = size;
      activeSlot = options.slotName();
      if (options.temporarySlotPrefix() != null) {
        activeSlot = options.temporarySlotPrefix() + "_" + conn.backendPid();
        conn.createPhysicalSlot(activeSlot, true, true);
        listener.info("created temporary replication slot \"" + activeSlot + "\"");
      }

      StartPoint start = decideStart(conn, id, size);
      if (options.endPosition() != null
          && Long.compareUnsigned(start.lsn.value(), options.endPosition().value()) > 0) {
        // Already past the end position: nothing to do (pg_receivewal checks this before START).
        return true;
      }
      // The tools create files as the cluster does: group-readable when the server's data
      // directory allows group access (initdb -g), owner-only otherwise.
      boolean groupAccess = "0750".equals(conn.show("data_directory_mode"));
      senderTimeout = StallGuard.parseTimeout(conn.show("wal_sender_timeout"));
      boolean done;
      endReached = null;
      try (WalSink sink = sinkFactory.open(size, groupAccess)) {
        done = streamTimelines(conn, sink, start.timeline, start.lsn);
      }
      if (endReached != null) {
        // pg_receivewal says it once more after closing its file (its stop callback runs again).
        listener.info(endReached);
      }
      return done;
    }
  }

  private record StartPoint(TimelineId timeline, Lsn lsn) {}

  /** protocol-notes §4.3: archive, else slot (15+), else the server's position. */
  private StartPoint decideStart(ReplicationConnection conn, SystemIdentity id, WalSegmentSize size) {
    if (options.startPosition() != null) {
      return new StartPoint(options.startTimeline(), options.startPosition().segmentStart(size));
    }
    Optional<ResumePoint> fromArchive = resumeScan.apply(size);
    Optional<SlotPosition> slot = Optional.empty();
    if (options.slotName() != null && conn.serverVersionNum() >= 150000) {
      slot = conn.readReplicationSlot(options.slotName());
      if (slot.isEmpty()) {
        throw new PgException(
            SqlState.UNDEFINED_OBJECT,
            "replication slot \"" + options.slotName() + "\" does not exist");
      }
    }
    StartPoint start;
    if (fromArchive.isPresent()) {
      ResumePoint r = fromArchive.get();
      start = new StartPoint(r.timeline(), r.start());
      // Resuming below the slot's reservation would leave WAL that the server may already have
      // removed between what we have and what the slot still keeps: never do that silently.
      if (slot.isPresent() && slot.get().restartLsn() != null
          && Long.compareUnsigned(
                  r.start().value(), slot.get().restartLsn().segmentStart(size).value()) < 0) {
        throw new PgException(
            SqlState.INVALID_PARAMETER_VALUE,
            "the archive ends at " + r.start() + " but replication slot \"" + options.slotName()
                + "\" only keeps WAL from " + slot.get().restartLsn(),
            "WAL between " + r.start() + " and " + slot.get().restartLsn() + " may be missing;"
                + " the archive would have a gap.",
            "Check whether another client used the slot; archive into an empty directory to"
                + " start afresh.",
            null);
      }
    } else if (slot.isPresent() && slot.get().restartLsn() != null) {
      start = new StartPoint(slot.get().restartTimeline(), slot.get().restartLsn());
    } else {
      start = new StartPoint(id.timeline(), id.xlogPosition());
    }
    Lsn aligned = start.lsn.segmentStart(size);
    if (Long.compareUnsigned(start.timeline.value(), id.timeline().value()) > 0) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "starting timeline " + start.timeline + " is not present in the server");
    }
    return new StartPoint(start.timeline, aligned);
  }

  /** Streams from {@code tli}/{@code start}, following timeline switches. */
  private boolean streamTimelines(
      ReplicationConnection conn, WalSink sink, TimelineId tli, Lsn start) {
    while (true) {
      if (tli.value() > 1 && !sink.hasHistoryFile(tli)) {
        sink.writeHistoryFile(conn.timelineHistory(tli));
      }
      listener.info("starting log streaming at " + start + " (timeline " + tli + ")");
      listener.streamingStarted(tli, start);
      // Prepare the first segment file before asking for WAL: a bad .partial fails here, and
      // zero-filling does not hold up the stream.
      sink.startTimeline(tli, start.value());
      CopyBothStream stream = conn.startReplication(activeSlot, start, tli);
      Outcome outcome;
      current = stream;
      try {
        // A stop that came before the stream existed is seen by the loop's first check.
        outcome = stream(stream, sink, tli, start.value());
      } finally {
        current = null;
      }
      switch (outcome) {
        case DONE:
          return true;
        case SERVER_ENDED:
          return false;
        case END_OF_TIMELINE:
        default:
          NextTimeline next = stream.endOfTimeline();
          long received = sink.writtenPosition();
          if (Long.compareUnsigned(next.timeline().value(), tli.value()) <= 0) {
            throw new PgException(
                SqlState.PROTOCOL_VIOLATION,
                "server reported unexpected next timeline " + next.timeline()
                    + ", following timeline " + tli);
          }
          if (received != 0 && Long.compareUnsigned(next.startPosition().value(), received) > 0) {
            throw new PgException(
                SqlState.PROTOCOL_VIOLATION,
                "server stopped streaming timeline " + tli + " at " + Lsn.of(received)
                    + ", but reported next timeline " + next.timeline() + " to begin at "
                    + next.startPosition());
          }
          listener.timelineSwitched(tli, next.timeline(), next.startPosition());
          tli = next.timeline();
          start = next.startPosition().segmentStart(segmentSize);
          if (options.endPosition() != null
              && Long.compareUnsigned(start.value(), options.endPosition().value()) > 0) {
            return true;
          }
      }
    }
  }

  private enum Outcome {
    DONE,
    END_OF_TIMELINE,
    SERVER_ENDED
  }

  /** The receive loop for one START_REPLICATION. Hot: no allocation per message. */
  private Outcome stream(CopyBothStream stream, WalSink sink, TimelineId tli, long start) {
    boolean reportFlush = options.reportsFlush();
    if (options.synchronous()) {
      // Acknowledge the moment a flush completes: from the flusher's thread, under the stream's
      // send lock.
      sink.onDurable(durable -> sendStatus(stream, sink, reportFlush, false));
    } else {
      sink.onDurable(durable -> {});
    }
    // The first update tells the server where we are (write position, and the flush position
    // the slot may advance to).
    sendStatus(stream, sink, reportFlush, false);
    try (StallGuard guard = StallGuard.start(senderTimeout,
        () -> sendStatus(stream, sink, reportFlush, false))) {
      return receive(stream, sink, tli, start, reportFlush, guard);
    }
  }

  /** The loop of {@link #stream}, with the stall guard around the sink's writes. */
  private Outcome receive(CopyBothStream stream, WalSink sink, TimelineId tli, long start,
      boolean reportFlush, StallGuard guard) {
    long expected = start;
    long intervalMillis = options.statusInterval().toMillis();
    long nextStatus = intervalMillis > 0 ? clock.millis() + intervalMillis : Long.MAX_VALUE;
    long end = options.endPosition() == null ? -1 : options.endPosition().value();
    while (true) {
      if (stopRequested || reachedStopAt(sink.writtenPosition())) {
        stopCleanly(stream, sink, reportFlush);
        return Outcome.DONE;
      }
      long now = clock.millis();
      long wait = Math.max(1, Math.min(POLL_SLICE_MILLIS, nextStatus - now));
      CopyBothStream.Event ev = stream.poll(wait);
      switch (ev) {
        case XLOG_DATA: {
          ReplicationDecoder m = stream.message();
          if (m.dataStart() != expected) {
            throw gotUnexpectedOffset(m.dataStart(), expected);
          }
          listener.serverWalEnd(m.walEnd());
          ByteBuffer payload = m.payload();
          int len = payload.remaining();
          guard.enter();
          sink.write(tli, expected, payload);
          guard.exit();
          expected += len;
          listener.received(expected);
          if (options.synchronous()) {
            sink.requestFlush();
          }
          if (end != -1 && Long.compareUnsigned(expected, end) > 0) {
            endReached = "stopped log streaming at " + Lsn.of(expected) + " (timeline " + tli + ")";
            listener.info(endReached);
            stopCleanly(stream, sink, reportFlush);
            return Outcome.DONE;
          }
          break;
        }
        case KEEPALIVE:
          listener.serverWalEnd(stream.message().walEnd());
          if (stream.message().replyRequested()) {
            // Answer at once with what is true now; let the flusher catch up for the next one.
            sendStatus(stream, sink, reportFlush, false);
            if (reportFlush) {
              sink.requestFlush();
            }
            nextStatus = intervalMillis > 0 ? clock.millis() + intervalMillis : Long.MAX_VALUE;
          }
          break;
        case END_OF_TIMELINE:
          sink.flush();
          return Outcome.END_OF_TIMELINE;
        case END_OF_STREAM:
          sink.flush();
          return Outcome.SERVER_ENDED;
        case TIMEOUT:
        default:
          break;
      }
      if (intervalMillis > 0 && clock.millis() >= nextStatus) {
        sendStatus(stream, sink, reportFlush, false);
        if (reportFlush) {
          sink.requestFlush();
        }
        nextStatus = clock.millis() + intervalMillis;
      }
    }
  }

  private boolean reachedStopAt(long written) {
    long at = stopAt;
    return at != -1 && written != 0 && Long.compareUnsigned(written, at) >= 0;
  }

  private static PgException gotUnexpectedOffset(long got, long expected) {
    return new PgException(
        SqlState.PROTOCOL_VIOLATION,
        String.format("got WAL data offset %s, expected %s", Lsn.of(got), Lsn.of(expected)));
  }

  /** Flush, report the final positions, then end the COPY (pg_receivewal on SIGINT / endpos). */
  private void stopCleanly(CopyBothStream stream, WalSink sink, boolean reportFlush) {
    sink.flush();
    sendStatus(stream, sink, reportFlush, false);
    NextTimeline next = stream.finish();
    if (next != null) {
      listener.info("server ended timeline while stopping; next timeline " + next.timeline());
    }
  }

  private void sendStatus(CopyBothStream stream, WalSink sink, boolean reportFlush, boolean reply) {
    long write = sink.writtenPosition();
    long flush = reportFlush ? sink.durablePosition() : 0;
    stream.sendStatus(write, flush, 0, PgTimestamp.toMicros(clock.instant()), reply);
    listener.statusSent(write, flush);
  }
}
