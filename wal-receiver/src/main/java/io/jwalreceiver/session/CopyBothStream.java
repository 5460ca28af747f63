// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.protocol.MessageReader;
import io.jwalreceiver.protocol.MessageWriter;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendDecoder;
import io.jwalreceiver.protocol.backend.BackendMessage;
import io.jwalreceiver.protocol.backend.BackendMessage.CommandComplete;
import io.jwalreceiver.protocol.backend.BackendMessage.DataRow;
import io.jwalreceiver.protocol.backend.BackendMessage.ErrorResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.NoticeResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ReadyForQuery;
import io.jwalreceiver.protocol.backend.BackendMessage.RowDescription;
import io.jwalreceiver.protocol.frontend.FrontendMessage;
import io.jwalreceiver.protocol.replication.ReplicationDecoder;
import io.jwalreceiver.protocol.replication.StandbyStatusUpdate;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The COPY BOTH phase after START_REPLICATION: WAL and keepalives in, status updates out.
 *
 * <p>One thread reads ({@link #poll}); status updates may be sent from any thread ({@link
 * #sendStatus} takes a lock around the writer), so a flusher thread can acknowledge the moment its
 * fsync completes.
 */
public final class CopyBothStream {

  /** What {@link #poll} found. */
  public enum Event {
    /** XLogData: see {@link #message()}. */
    XLOG_DATA,
    /** A primary keepalive: see {@link #message()}. */
    KEEPALIVE,
    /** Nothing arrived before the timeout. */
    TIMEOUT,
    /**
     * The server finished a historic timeline (it sent CopyDone); call {@link #endOfTimeline()} to
     * learn the next one.
     */
    END_OF_TIMELINE,
    /**
     * The server ended the stream without CopyDone (it is shutting down); the connection is over.
     */
    END_OF_STREAM
  }

  private final ReplicationConnection connection;
  private final MessageReader reader;
  private final MessageWriter writer;
  private final ReentrantLock sendLock = new ReentrantLock();
  private final ReplicationDecoder decoder = new ReplicationDecoder();
  private @Nullable NextTimeline immediateNext;
  private boolean serverCopyDone;
  private boolean clientCopyDone;
  private boolean finished;

  CopyBothStream(ReplicationConnection connection, @Nullable NextTimeline immediateNext) {
    this.connection = connection;
    this.reader = connection.reader();
    this.writer = connection.writer();
    this.immediateNext = immediateNext;
    this.serverCopyDone = immediateNext != null;
    this.clientCopyDone = immediateNext != null;
  }

  /**
   * Makes a {@link #poll} waiting on another thread return {@link Event#TIMEOUT} now (or the next
   * one), so that its caller can look at a stop request without waiting out the timeout. Any
   * thread.
   */
  public void wakeup() {
    connection.wakeup();
  }

  /** The decoded message after {@link Event#XLOG_DATA} or {@link Event#KEEPALIVE}. */
  public ReplicationDecoder message() {
    return decoder;
  }

  /**
   * Waits up to {@code timeoutMillis} (0 = forever) for the next message.
   *
   * @throws PgException the server's error, or 08006 when the connection drops
   */
  public Event poll(long timeoutMillis) {
    if (serverCopyDone) {
      return Event.END_OF_TIMELINE;
    }
    if (finished) {
      return Event.END_OF_STREAM;
    }
    while (true) {
      if (!reader.next(timeoutMillis)) {
        return Event.TIMEOUT;
      }
      byte type = reader.type();
      if (type == 'd') {
        return decoder.decode(reader.body()) == ReplicationDecoder.XLOG_DATA
            ? Event.XLOG_DATA
            : Event.KEEPALIVE;
      }
      BackendMessage m = BackendDecoder.decode(type, reader.body());
      if (m instanceof BackendMessage.CopyDone) {
        serverCopyDone = true;
        return Event.END_OF_TIMELINE;
      }
      if (m instanceof CommandComplete) {
        // Server shutdown: the walsender reports completion and exits without CopyDone.
        finished = true;
        connection.markClosed();
        return Event.END_OF_STREAM;
      }
      if (m instanceof ErrorResponse e) {
        finished = true;
        connection.markClosed();
        throw new PgException(e.error());
      }
      if (m instanceof NoticeResponse n) {
        connection.notice(n.notice());
        continue;
      }
      if (m instanceof BackendMessage.ParameterStatus) {
        continue;
      }
      throw Wire.violation("unexpected message " + Wire.typeName(type) + " in replication stream");
    }
  }

  /**
   * Sends a standby status update (protocol-notes §4.1). Thread-safe.
   *
   * @param write end of what has been written
   * @param flush end of what is durable (never ahead of a completed fsync), or 0
   * @param nowMicros the client clock in PgTimestamp microseconds
   */
  public void sendStatus(
      long write, long flush, long apply, long nowMicros, boolean replyRequested) {
    sendLock.lock();
    try {
      if (clientCopyDone || finished) {
        return;
      }
      StandbyStatusUpdate.send(writer, write, flush, apply, nowMicros, replyRequested);
    } finally {
      sendLock.unlock();
    }
  }

  /**
   * After {@link Event#END_OF_TIMELINE}: answers the server's CopyDone and reads the next timeline
   * and its start position; the connection is then ready for another command.
   */
  public NextTimeline endOfTimeline() {
    if (!serverCopyDone) {
      throw new IllegalStateException("the server has not ended the timeline");
    }
    if (immediateNext != null) {
      NextTimeline n = immediateNext;
      immediateNext = null;
      connection.markReady();
      return n;
    }
    sendCopyDone();
    NextTimeline next = null;
    while (true) {
      BackendMessage m = connection.nextMessage();
      if (m instanceof RowDescription) {
        continue;
      }
      if (m instanceof DataRow row) {
        next = parseNextTimeline(row);
      } else if (m instanceof CommandComplete) {
        // the end of the result; ReadyForQuery follows
      } else if (m instanceof ErrorResponse e) {
        throw new PgException(e.error());
      } else if (m instanceof ReadyForQuery) {
        connection.markReady();
        if (next == null) {
          throw Wire.violation("server ended the timeline without naming the next one");
        }
        return next;
      } else {
        throw ReplicationConnection.unexpected(m, "end of timeline");
      }
    }
  }

  /**
   * Ends streaming from our side (end position reached, stop requested): CopyDone, then drains what
   * the server still sends until it completes the command. Returns the next timeline if the server
   * happened to end the timeline at the same time, else null.
   */
  public @Nullable NextTimeline finish() {
    if (finished) {
      return null;
    }
    if (serverCopyDone) {
      return endOfTimeline();
    }
    sendCopyDone();
    NextTimeline next = null;
    while (true) {
      reader.next();
      byte type = reader.type();
      if (type == 'd') {
        continue; // WAL already in flight; we asked to stop
      }
      BackendMessage m = BackendDecoder.decode(type, reader.body());
      if (m instanceof BackendMessage.CopyDone
          || m instanceof CommandComplete
          || m instanceof RowDescription
          || m instanceof BackendMessage.ParameterStatus) {
        continue;
      }
      if (m instanceof DataRow row) {
        next = parseNextTimeline(row);
      } else if (m instanceof NoticeResponse n) {
        connection.notice(n.notice());
      } else if (m instanceof ErrorResponse e) {
        throw new PgException(e.error());
      } else if (m instanceof ReadyForQuery) {
        finished = true;
        connection.markReady();
        return next;
      } else {
        throw ReplicationConnection.unexpected(m, "stop of streaming");
      }
    }
  }

  private void sendCopyDone() {
    sendLock.lock();
    try {
      if (!clientCopyDone) {
        clientCopyDone = true;
        writer.send(new FrontendMessage.CopyDone());
      }
    } finally {
      sendLock.unlock();
    }
  }

  /**
   * Reads START_REPLICATION's answer (already sent as {@code text}): CopyBothResponse enters the
   * stream; a result row naming the next timeline (the start was the end of an older timeline)
   * gives a stream that reports {@link Event#END_OF_TIMELINE} at once.
   *
   * @throws PgException the server's refusal, worded {@code could not send replication command "…":
   *     …} as pg_receivewal words it
   */
  static CopyBothStream enter(ReplicationConnection connection, String text) {
    PgException error = null;
    NextTimeline next = null;
    while (true) {
      BackendMessage m = connection.nextMessage();
      if (m instanceof BackendMessage.CopyResponse cr && cr.direction() == 'W' && error == null) {
        return new CopyBothStream(connection, null);
      } else if (m instanceof ErrorResponse er) {
        error =
            new PgException("could not send replication command \"" + text + "\": ", er.error());
      } else if (m instanceof RowDescription || m instanceof CommandComplete) {
        // framing around the rows; nothing to keep
      } else if (m instanceof DataRow dr) {
        next = parseNextTimeline(dr);
      } else if (m instanceof ReadyForQuery) {
        if (error != null) {
          connection.markReady();
          throw error;
        }
        if (next == null) {
          connection.markReady();
          throw Wire.violation("START_REPLICATION completed without streaming");
        }
        // The connection stays busy: the stream reports the end of the timeline first.
        return new CopyBothStream(connection, next);
      } else {
        throw ReplicationConnection.unexpected(m, "START_REPLICATION");
      }
    }
  }

  static NextTimeline parseNextTimeline(DataRow row) {
    if (row.values().size() < 2 || row.values().get(0) == null || row.values().get(1) == null) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "unexpected result set after end-of-timeline: got "
              + row.values().size()
              + " fields, expected 2");
    }
    String tli = new String(row.values().get(0), StandardCharsets.US_ASCII);
    String pos = new String(row.values().get(1), StandardCharsets.US_ASCII);
    return new NextTimeline(TimelineId.parse(tli), Lsn.parse(pos));
  }
}
