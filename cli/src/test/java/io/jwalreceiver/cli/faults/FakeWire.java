// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Backend protocol bytes for the scripted servers of these tests. */
final class FakeWire {

  private FakeWire() {}

  static byte[] frameHeader(char type, int length) {
    return new byte[] {(byte) type, (byte) (length >>> 24), (byte) (length >>> 16),
        (byte) (length >>> 8), (byte) length};
  }

  static byte[] frame(char type, byte[] body) {
    return concat(frameHeader(type, body.length + 4), body);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] cstring(String s) {
    return concat(s.getBytes(StandardCharsets.UTF_8), new byte[1]);
  }

  static byte[] int16(int v) {
    return new byte[] {(byte) (v >>> 8), (byte) v};
  }

  static byte[] int32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  static byte[] int64(long v) {
    return concat(int32((int) (v >>> 32)), int32((int) v));
  }

  static byte[] parameterStatus(String name, String value) {
    return frame('S', concat(cstring(name), cstring(value)));
  }

  /** RowDescription (text columns), one DataRow per row, CommandComplete with {@code tag}. */
  static byte[] resultSet(List<String> columns, List<List<String>> rows, String tag) {
    ByteArrayOutputStream desc = new ByteArrayOutputStream();
    desc.writeBytes(int16(columns.size()));
    for (String c : columns) {
      desc.writeBytes(cstring(c));
      desc.writeBytes(concat(int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(frame('T', desc.toByteArray()));
    for (List<String> values : rows) {
      ByteArrayOutputStream row = new ByteArrayOutputStream();
      row.writeBytes(int16(values.size()));
      for (String v : values) {
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

  /** One result set of one row, then ReadyForQuery: a whole simple-query answer. */
  static byte[] result(List<String> columns, List<String> values, String tag) {
    return concat(resultSet(columns, List.of(values), tag), readyForQuery());
  }

  static byte[] readyForQuery() {
    return frame('Z', new byte[] {'I'});
  }
}
