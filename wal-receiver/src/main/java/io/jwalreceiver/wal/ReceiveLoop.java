// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.protocol.replication.PgTimestamp;
import io.jwalreceiver.protocol.replication.ReplicationDecoder;
import io.jwalreceiver.session.CopyBothStream;
import io.jwalreceiver.session.NextTimeline;
import io.jwalreceiver.session.ReplicationConnection;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import org.jspecify.annotations.Nullable;

/**
 * The streaming of one connection: START_REPLICATION per timeline, the receive loop, timeline
 * switches, the clean stop. Status updates follow the {@link StatusSchedule}; the stop follows the
 * {@link StopCondition} and the {@link StopSignals}. The flush position reported is always the
 * sink's {@link WalSink#durablePosition()}, and only with a slot or in synchronous mode.
 */
final class ReceiveLoop {

  private final ReplicationConnection conn;
  private final WalSink sink;
  private final ReceiverOptions options;
  private final WalReceiver.Listener listener;
  private final InstantSource clock;
  private final StopSignals signals;
  private final WalSegmentSize segmentSize;
  private final @Nullable String slot;
  private final Duration senderTimeout;
  private final boolean reportFlush;

  /** pg_receivewal's "stopped log streaming at" line once the end position was passed. */
  private @Nullable String endReached;

  /** Whether any WAL arrived on this connection. */
  private boolean receivedWal;

  ReceiveLoop(
      ReplicationConnection conn,
      WalSink sink,
      ReceiverOptions options,
      WalReceiver.Listener listener,
      InstantSource clock,
      StopSignals signals,
      WalSegmentSize segmentSize,
      @Nullable String slot,
      Duration senderTimeout) {
    this.conn = conn;
    this.sink = sink;
    this.options = options;
    this.listener = listener;
    this.clock = clock;
    this.signals = signals;
    this.segmentSize = segmentSize;
    this.slot = slot;
    this.senderTimeout = senderTimeout;
    this.reportFlush = options.reportsFlush();
  }

  /** Whether any WAL arrived on this connection: the stream was healthy. */
  boolean receivedWal() {
    return receivedWal;
  }

  /** The "stopped log streaming at" line when the end position was passed, else null. */
  @Nullable String endReached() {
    return endReached;
  }

  private enum Outcome {
    DONE,
    END_OF_TIMELINE,
    SERVER_ENDED
  }

  /**
   * Streams from {@code tli}/{@code start}, following timeline switches.
   *
   * @return true when done (stop condition or request), false when the server ended the stream
   */
  boolean streamTimelines(TimelineId tli, Lsn start) {
    StopCondition stop = options.stopCondition();
    while (true) {
      if (tli.value() > 1 && !sink.hasHistoryFile(tli)) {
        sink.writeHistoryFile(conn.timelineHistory(tli));
      }
      listener.info("starting log streaming at " + start + " (timeline " + tli + ")");
      listener.streamingStarted(tli, start);
      // Prepare the first segment file before asking for WAL: a bad .partial fails here, and
      // zero-filling (and its fsyncs) does not hold up the stream while the server's
      // wal_sender_timeout runs (SlowFsyncIT). A file this prepared and that no WAL reached (a
      // START_REPLICATION the server refused: a missing slot before 15, a start it does not have)
      // is removed when the sink closes, so nothing is left, as with pg_receivewal, which opens
      // its file on the first WAL message.
      sink.startTimeline(tli, start.value());
      CopyBothStream stream = conn.startReplication(slot, start, tli);
      Outcome outcome;
      signals.reading(stream);
      try {
        // A stop that came before the stream existed is seen by the loop's first check.
        outcome = stream(stream, tli, start.value());
      } finally {
        signals.reading(null);
      }
      if (outcome == Outcome.DONE) {
        return true;
      }
      if (outcome == Outcome.SERVER_ENDED) {
        return false;
      }
      NextTimeline next = stream.endOfTimeline();
      long received = sink.writtenPosition();
      if (Long.compareUnsigned(next.timeline().value(), tli.value()) <= 0) {
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION,
            "server reported unexpected next timeline "
                + next.timeline()
                + ", following timeline "
                + tli);
      }
      if (received != 0 && Long.compareUnsigned(next.startPosition().value(), received) > 0) {
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION,
            "server stopped streaming timeline "
                + tli
                + " at "
                + Lsn.of(received)
                + ", but reported next timeline "
                + next.timeline()
                + " to begin at "
                + next.startPosition());
      }
      listener.timelineSwitched(tli, next.timeline(), next.startPosition());
      tli = next.timeline();
      start = next.startPosition().segmentStart(segmentSize);
      if (stop.passedBefore(start)) {
        return true;
      }
    }
  }

  /** The receive loop for one START_REPLICATION. Hot: no allocation per message. */
  private Outcome stream(CopyBothStream stream, TimelineId tli, long start) {
    if (options.synchronous()) {
      // Acknowledge the moment a flush completes: from the flusher's thread, under the stream's
      // send lock.
      sink.onDurable(durable -> sendStatus(stream));
    } else {
      sink.onDurable(durable -> {});
    }
    // The first update tells the server where we are (write position, and the flush position
    // the slot may advance to).
    sendStatus(stream);
    try (StallGuard guard = StallGuard.start(senderTimeout, () -> sendStatus(stream))) {
      return receive(stream, tli, start, guard);
    }
  }

  /** The loop of {@link #stream}, with the stall guard around the sink's writes. */
  private Outcome receive(CopyBothStream stream, TimelineId tli, long start, StallGuard guard) {
    long expected = start;
    StatusSchedule schedule = new StatusSchedule(clock, options.statusInterval());
    StopCondition stop = options.stopCondition();
    while (true) {
      if (signals.requested()
          || signals.reachedStopAt(sink.writtenPosition())
          || stop.reachedAt(clock)) {
        stopCleanly(stream);
        return Outcome.DONE;
      }
      CopyBothStream.Event ev = stream.poll(schedule.pollMillis());
      switch (ev) {
        case XLOG_DATA:
          {
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
            receivedWal = true;
            listener.received(expected);
            if (options.synchronous()) {
              sink.requestFlush();
            }
            if (stop.reachedBy(expected)) {
              endReached =
                  "stopped log streaming at " + Lsn.of(expected) + " (timeline " + tli + ")";
              listener.info(endReached);
              stopCleanly(stream);
              return Outcome.DONE;
            }
            break;
          }
        case KEEPALIVE:
          listener.serverWalEnd(stream.message().walEnd());
          if (schedule.answerKeepalive(stream.message().replyRequested())) {
            // Answer at once with what is true now; let the flusher catch up for the next one.
            sendStatus(stream);
            if (reportFlush) {
              sink.requestFlush();
            }
            schedule.restart();
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
      if (schedule.due()) {
        sendStatus(stream);
        if (reportFlush) {
          sink.requestFlush();
        }
        schedule.restart();
      }
    }
  }

  private static PgException gotUnexpectedOffset(long got, long expected) {
    return new PgException(
        SqlState.PROTOCOL_VIOLATION,
        String.format("got WAL data offset %s, expected %s", Lsn.of(got), Lsn.of(expected)));
  }

  /** Flush, report the final positions, then end the COPY (pg_receivewal on SIGINT / endpos). */
  private void stopCleanly(CopyBothStream stream) {
    sink.flush();
    sendStatus(stream);
    NextTimeline next = stream.finish();
    if (next != null) {
      listener.info("server ended timeline while stopping; next timeline " + next.timeline());
    }
  }

  /** The flush position is the sink's durable one: never ahead of a completed force. */
  private void sendStatus(CopyBothStream stream) {
    long write = sink.writtenPosition();
    long flush = reportFlush ? sink.durablePosition() : 0;
    stream.sendStatus(write, flush, 0, PgTimestamp.toMicros(clock.instant()), false);
    listener.statusSent(write, flush);
  }
}
