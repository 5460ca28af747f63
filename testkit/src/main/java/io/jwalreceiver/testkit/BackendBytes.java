// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Backend protocol bytes built by hand, for {@link ScriptedBackend}'s scripts and for tests that
 * feed a decoder: frames, integers in network order, C strings, and whole answers (result sets,
 * ReadyForQuery, ErrorResponse). Byte-level on purpose: it uses nothing of the library under test,
 * so a test can also build frames the library would refuse.
 */
public final class BackendBytes {

  private BackendBytes() {}

  /**
   * A frame header: the type byte and an Int32 length (which counts itself, not the type).
   *
   * @param type the message type
   * @param length the length field as sent, possibly a hostile one
   * @return 5 bytes
   */
  public static byte[] frameHeader(char type, int length) {
    return new byte[] {
      (byte) type,
      (byte) (length >>> 24),
      (byte) (length >>> 16),
      (byte) (length >>> 8),
      (byte) length
    };
  }

  /**
   * A whole frame: type, length, body.
   *
   * @param type the message type
   * @param body the body
   * @return the frame's bytes
   */
  public static byte[] frame(char type, byte[] body) {
    return concat(frameHeader(type, body.length + 4), body);
  }

  /**
   * The parts one after another.
   *
   * @param parts byte arrays
   * @return their concatenation
   */
  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * A NUL-terminated UTF-8 string.
   *
   * @param s the text
   * @return its bytes and a NUL
   */
  public static byte[] cstring(String s) {
    return concat(s.getBytes(StandardCharsets.UTF_8), new byte[1]);
  }

  /**
   * An Int16 in network order.
   *
   * @param v the value (its low 16 bits)
   * @return 2 bytes
   */
  public static byte[] int16(int v) {
    return new byte[] {(byte) (v >>> 8), (byte) v};
  }

  /**
   * An Int32 in network order.
   *
   * @param v the value
   * @return 4 bytes
   */
  public static byte[] int32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  /**
   * An Int64 in network order.
   *
   * @param v the value
   * @return 8 bytes
   */
  public static byte[] int64(long v) {
    return concat(int32((int) (v >>> 32)), int32((int) v));
  }

  /**
   * ParameterStatus {@code 'S'}.
   *
   * @param name the parameter
   * @param value its value
   * @return the frame
   */
  public static byte[] parameterStatus(String name, String value) {
    return frame('S', concat(cstring(name), cstring(value)));
  }

  /**
   * RowDescription (text columns), one DataRow per row, CommandComplete with {@code tag}.
   *
   * @param columns the column names
   * @param rows the rows' values as text, null for SQL NULL
   * @param tag the command tag
   * @return the frames
   */
  public static byte[] resultSet(
      List<String> columns, List<List<@Nullable String>> rows, String tag) {
    ByteArrayOutputStream desc = new ByteArrayOutputStream();
    desc.writeBytes(int16(columns.size()));
    for (String c : columns) {
      desc.writeBytes(cstring(c));
      desc.writeBytes(concat(int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(frame('T', desc.toByteArray()));
    for (List<@Nullable String> values : rows) {
      ByteArrayOutputStream row = new ByteArrayOutputStream();
      row.writeBytes(int16(values.size()));
      for (@Nullable String v : values) {
        if (v == null) {
          row.writeBytes(int32(-1));
        } else {
          byte[] b = v.getBytes(StandardCharsets.UTF_8);
          row.writeBytes(int32(b.length));
          row.writeBytes(b);
        }
      }
      out.writeBytes(frame('D', row.toByteArray()));
    }
    out.writeBytes(frame('C', cstring(tag)));
    return out.toByteArray();
  }

  /**
   * One result set of one row, then ReadyForQuery: a whole simple-query answer.
   *
   * @param columns the column names
   * @param values the row's values as text, null for SQL NULL
   * @param tag the command tag
   * @return the frames
   */
  public static byte[] result(List<String> columns, List<@Nullable String> values, String tag) {
    return concat(resultSet(columns, List.of(values), tag), readyForQuery());
  }

  /**
   * ErrorResponse {@code 'E'} with severity ERROR, then ReadyForQuery.
   *
   * @param sqlState the five-character SQLSTATE
   * @param message the primary message
   * @return the frames
   */
  public static byte[] error(String sqlState, String message) {
    return concat(
        frame(
            'E',
            concat(
                cstring("SERROR"), cstring("C" + sqlState), cstring("M" + message), new byte[1])),
        readyForQuery());
  }

  /**
   * ReadyForQuery {@code 'Z'}, idle.
   *
   * @return the frame
   */
  public static byte[] readyForQuery() {
    return frame('Z', new byte[] {'I'});
  }
}
