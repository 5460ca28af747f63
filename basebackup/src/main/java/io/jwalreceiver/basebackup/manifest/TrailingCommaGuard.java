// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import java.nio.ByteBuffer;

/**
 * Finds a {@code '}'} that follows a {@code ','} (whitespace between), outside JSON strings, across
 * the chunks of a manifest.
 *
 * <p>jackson-core's non-blocking parsers (2.22.3, byte-array and byte-buffer alike) accept a
 * trailing comma in an object, {@code {"Path": "a", "Size": 1, }}, when a chunk ends after the
 * comma and the {@code '}'} comes in the next one; the same bytes in one chunk are refused. The
 * manifest fuzz target found it (docs/fuzzing.md). {@link ManifestParser} uses this scan to stop
 * the parser at such a brace and refuse it with the message Jackson gives for one chunk, so that
 * what is accepted does not depend on how the bytes arrived.
 */
final class TrailingCommaGuard {

  /** Jackson's message for a {@code '}'} where an object's next field name must start. */
  static final String MESSAGE =
      "Unexpected character ('}' (code 125)): was expecting double-quote to start field name";

  private boolean inString;
  private boolean escaped;
  private byte lastSignificant;

  /**
   * Scans {@code data} from its position to its limit (not consumed).
   *
   * @return the absolute index of the first {@code '}'} preceded by a comma, or -1; the scan stops
   *     there, so a later call must not follow a hit
   */
  int scan(ByteBuffer data) {
    for (int i = data.position(), end = data.limit(); i < end; i++) {
      byte b = data.get(i);
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (b == '\\') {
          escaped = true;
        } else if (b == '"') {
          inString = false;
        }
        continue;
      }
      switch (b) {
        case ' ', '\t', '\n', '\r' -> {
          continue;
        }
        case '"' -> inString = true;
        case '}' -> {
          if (lastSignificant == ',') {
            return i;
          }
        }
        default -> {
          // any other byte: remembered below
        }
      }
      lastSignificant = b;
    }
    return -1;
  }
}
