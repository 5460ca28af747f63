// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendMessage;
import io.jwalreceiver.protocol.backend.BackendMessage.CommandComplete;
import io.jwalreceiver.protocol.backend.BackendMessage.DataRow;
import io.jwalreceiver.protocol.backend.BackendMessage.EmptyQueryResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ErrorResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ReadyForQuery;
import io.jwalreceiver.protocol.backend.BackendMessage.RowDescription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The simple-query exchange of one command that answers with rows (protocol-notes §2): sends the
 * Query, collects RowDescription and DataRows within the {@link QueryResult.Budget}, and returns at
 * ReadyForQuery. A server error is thrown only once ReadyForQuery has arrived, so the connection
 * stays usable; a command that enters COPY leaves the connection closed.
 */
final class SimpleQuery {

  /** A result with its values as the server sent them (text format bytes, null for NULL). */
  record RawResult(
      List<String> columns, List<List<byte @Nullable []>> rows, @Nullable String commandTag) {

    /** The values decoded as UTF-8 text. */
    QueryResult decode() {
      List<List<@Nullable String>> decoded = new ArrayList<>(rows.size());
      for (List<byte @Nullable []> r : rows) {
        List<@Nullable String> row = new ArrayList<>(r.size());
        for (byte[] v : r) {
          row.add(v == null ? null : new String(v, StandardCharsets.UTF_8));
        }
        decoded.add(row);
      }
      return new QueryResult(columns, decoded, commandTag);
    }
  }

  private SimpleQuery() {}

  /** Sends {@code text} on {@code connection} and reads its whole answer. */
  static RawResult run(ReplicationConnection connection, String text) {
    connection.send(text);
    List<String> columns = new ArrayList<>();
    List<List<byte @Nullable []>> rows = new ArrayList<>();
    QueryResult.Budget budget = new QueryResult.Budget();
    String tag = null;
    PgException error = null;
    while (true) {
      BackendMessage m = connection.nextMessage();
      if (m instanceof RowDescription rd) {
        columns.clear();
        rd.fields().forEach(f -> columns.add(f.name()));
      } else if (m instanceof DataRow dr) {
        budget.charge(dr.values());
        rows.add(dr.values());
      } else if (m instanceof CommandComplete cc) {
        tag = cc.tag();
      } else if (m instanceof EmptyQueryResponse) {
        tag = "";
      } else if (m instanceof ErrorResponse er) {
        error = new PgException(er.error());
      } else if (m instanceof ReadyForQuery) {
        connection.markReady();
        if (error != null) {
          throw error;
        }
        return new RawResult(columns, rows, tag);
      } else if (m instanceof BackendMessage.CopyResponse cr) {
        // A command that enters COPY is not for a simple query; leave the connection unusable.
        connection.markClosed();
        connection.close();
        throw Wire.violation("unexpected COPY response " + cr.direction() + " to \"" + text + "\"");
      } else {
        throw ReplicationConnection.unexpected(m, "command \"" + text + "\"");
      }
    }
  }
}
