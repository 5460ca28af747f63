// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.protocol.MessageReader;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendDecoder;
import io.jwalreceiver.protocol.backend.BackendMessage;
import io.jwalreceiver.protocol.backend.BackendMessage.CommandComplete;
import io.jwalreceiver.protocol.backend.BackendMessage.CopyResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.DataRow;
import io.jwalreceiver.protocol.backend.BackendMessage.ErrorResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.NoticeResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ReadyForQuery;
import io.jwalreceiver.protocol.backend.BackendMessage.RowDescription;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The response to a command that mixes result sets and COPY OUT phases (BASE_BACKUP, protocol-notes
 * §5): the caller reads it step by step — {@link #nextResultSet()}, {@link #nextCopy()} and {@link
 * #nextCopyData()} — and ends with {@link #complete()}.
 *
 * <p>Server errors are thrown where they arrive, after reading up to ReadyForQuery so that the
 * connection stays usable (or is marked closed when the server went away).
 */
public final class CopyOutStream {

  /** What comes next in the response. */
  public enum Next {
    /** A result set (RowDescription). */
    RESULT_SET,
    /** A COPY OUT phase (CopyOutResponse). */
    COPY,
    /** The command completed (CommandComplete with the command's tag). */
    COMPLETE
  }

  private final ReplicationConnection connection;
  private final MessageReader reader;
  private final String commandTag;
  private @Nullable BackendMessage pending;
  private boolean inCopy;
  private boolean done;

  CopyOutStream(ReplicationConnection connection, String commandTag) {
    this.connection = connection;
    this.reader = connection.reader();
    this.commandTag = commandTag;
    // The response is read to its end on this thread, with no timeout and no wakeup.
    connection.blockingReads();
  }

  /** Looks at what comes next without consuming it. */
  public Next peek() {
    BackendMessage m = pending();
    if (m instanceof RowDescription) {
      return Next.RESULT_SET;
    }
    if (m instanceof CopyResponse cr && cr.direction() == 'H') {
      return Next.COPY;
    }
    if (m instanceof CommandComplete) {
      return Next.COMPLETE;
    }
    throw ReplicationConnection.unexpected(m, commandTag);
  }

  /** Reads one result set (RowDescription, DataRows, CommandComplete). */
  public QueryResult nextResultSet() {
    BackendMessage m = take();
    if (!(m instanceof RowDescription rd)) {
      throw ReplicationConnection.unexpected(m, commandTag + " (expected a result set)");
    }
    List<String> columns = new ArrayList<>();
    rd.fields().forEach(f -> columns.add(f.name()));
    List<List<String>> rows = new ArrayList<>();
    QueryResult.Budget budget = new QueryResult.Budget();
    while (true) {
      BackendMessage n = take();
      if (n instanceof DataRow dr) {
        budget.charge(dr.values());
        List<String> row = new ArrayList<>(dr.values().size());
        for (byte[] v : dr.values()) {
          row.add(v == null ? null : new String(v, StandardCharsets.UTF_8));
        }
        rows.add(row);
      } else if (n instanceof CommandComplete cc) {
        return new QueryResult(columns, rows, cc.tag());
      } else if (n instanceof RowDescription || n instanceof CopyResponse) {
        // A result set closed by the next one's start (no CommandComplete in between).
        pending = n;
        return new QueryResult(columns, rows, null);
      } else {
        throw ReplicationConnection.unexpected(n, commandTag + " result set");
      }
    }
  }

  /** Enters the next COPY OUT phase. */
  public void nextCopy() {
    BackendMessage m = take();
    if (!(m instanceof CopyResponse cr) || cr.direction() != 'H') {
      throw ReplicationConnection.unexpected(m, commandTag + " (expected COPY OUT)");
    }
    inCopy = true;
  }

  /**
   * The next CopyData payload of the current COPY phase, or null at its CopyDone. Borrowed: valid
   * until the next call.
   */
  public @Nullable ByteBuffer nextCopyData() {
    if (!inCopy) {
      throw new IllegalStateException("not in a COPY phase");
    }
    while (true) {
      reader.next();
      byte type = reader.type();
      if (type == 'd') {
        return reader.body();
      }
      BackendMessage m = BackendDecoder.decode(type, reader.body());
      if (m instanceof BackendMessage.CopyDone) {
        inCopy = false;
        return null;
      }
      if (m instanceof NoticeResponse n) {
        connection.notice(n.notice());
        continue;
      }
      if (m instanceof BackendMessage.ParameterStatus) {
        continue;
      }
      if (m instanceof ErrorResponse e) {
        throw failed(e);
      }
      throw Wire.violation("unexpected message " + Wire.typeName(type) + " in COPY data");
    }
  }

  /** Reads the final CommandComplete and ReadyForQuery; the connection is idle afterwards. */
  public void complete() {
    BackendMessage m = take();
    if (!(m instanceof CommandComplete)) {
      throw ReplicationConnection.unexpected(m, commandTag + " (expected completion)");
    }
    while (true) {
      BackendMessage n = connection.nextMessage();
      if (n instanceof ReadyForQuery) {
        done = true;
        connection.markReady();
        return;
      }
      if (n instanceof ErrorResponse e) {
        throw failed(e);
      }
      if (!(n instanceof CommandComplete)) {
        throw ReplicationConnection.unexpected(n, commandTag + " completion");
      }
    }
  }

  /** True once {@link #complete()} has returned. */
  public boolean isComplete() {
    return done;
  }

  private BackendMessage pending() {
    BackendMessage m = pending;
    if (m == null) {
      m = readNonCopy();
      pending = m;
    }
    return m;
  }

  private BackendMessage take() {
    BackendMessage m = pending();
    pending = null;
    return m;
  }

  private BackendMessage readNonCopy() {
    BackendMessage m = connection.nextMessage();
    if (m instanceof ErrorResponse e) {
      throw failed(e);
    }
    return m;
  }

  /** Waits for ReadyForQuery after an error (if the server is still there), then reports it. */
  private PgException failed(ErrorResponse e) {
    PgException error = new PgException(e.error());
    try {
      while (true) {
        BackendMessage n = connection.nextMessage();
        if (n instanceof ReadyForQuery) {
          connection.markReady();
          break;
        }
      }
    } catch (PgException gone) {
      connection.markClosed();
      error.addSuppressed(gone);
    }
    inCopy = false;
    done = true;
    return error;
  }
}
