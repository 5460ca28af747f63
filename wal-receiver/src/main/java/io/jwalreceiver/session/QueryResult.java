// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The result of one simple-protocol command: column names, rows of text values (null for SQL NULL)
 * and the command tag.
 */
public record QueryResult(
    List<String> columns, List<List<@Nullable String>> rows, @Nullable String commandTag) {

  /** Copies the lists, so the result is immutable. */
  public QueryResult {
    columns = List.copyOf(columns);
    List<List<@Nullable String>> copy = new ArrayList<>(rows.size());
    for (List<@Nullable String> r : rows) {
      copy.add(Collections.unmodifiableList(new ArrayList<>(r)));
    }
    rows = Collections.unmodifiableList(copy);
  }

  /**
   * What the rows of one result set may cost us: {@value #MAX_BYTES} bytes, counting each row as
   * its values plus {@value #ROW_OVERHEAD} bytes (so that endless empty rows are bounded too).
   * Replication commands return one row, or one per tablespace for BASE_BACKUP; the largest is a
   * timeline history file. A server that keeps sending rows is stopped here instead of filling
   * memory.
   */
  static final class Budget {
    static final long MAX_BYTES = ReplicationConnection.DEFAULT_FRAME_LIMIT;
    static final int ROW_OVERHEAD = 64;
    private long used;

    void charge(List<byte @Nullable []> values) {
      used += ROW_OVERHEAD;
      for (byte[] v : values) {
        used += v == null ? 0 : v.length;
      }
      if (used > MAX_BYTES) {
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION,
            "result set from server is larger than " + MAX_BYTES + " bytes");
      }
    }
  }

  /** The single row of a command that always returns one, or a protocol error naming it. */
  public List<@Nullable String> singleRow(String command, int minColumns) {
    if (rows.size() != 1 || columns.size() < minColumns) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "could not "
              + command
              + ": got "
              + rows.size()
              + " rows and "
              + columns.size()
              + " fields, expected 1 rows and "
              + minColumns
              + " or more fields");
    }
    return rows.get(0);
  }
}
