// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One connection service file ({@code ~/.pg_service.conf}, {@code PGSERVICEFILE}, {@code
 * pg_service.conf} in {@code PGSYSCONFDIR}) read the way libpq 18's {@code parseServiceFile} reads
 * it.
 *
 * <p>The file is a list of {@code [name]} sections of {@code keyword=value} lines. Lines are read
 * as libpq's {@code fgets} into a 1024-byte buffer reads them: a line of 1023 bytes or more
 * (newline included) is an error, and a NUL byte ends a line's text. Surrounding whitespace is
 * dropped from each line; empty lines and lines starting with {@code #} are skipped. A section
 * matches when the text after {@code [} starts with the service name followed by {@code ]}
 * (anything after the {@code ]} is ignored, as libpq ignores it). Inside the matching section each
 * line must be {@code keyword=value} with a libpq keyword, taken byte for byte: no space is trimmed
 * around {@code =} and no quoting is undone. The first value of a keyword wins. The section ends at
 * the next line starting with {@code [}.
 *
 * <p>Not supported: libpq's {@code ldap://} lines (a build with LDAP looks the service up in a
 * directory); here such a line is a syntax error, as in a libpq built without LDAP.
 *
 * <p>Bounded: the reader holds one line at a time, and stops with an error after {@link
 * #MAX_FILE_BYTES} bytes (libpq has no such limit).
 */
final class ServiceFile {

  /** libpq reads service files with {@code fgets} into {@code char buf[1024]}. */
  static final int LINE_BUFFER = 1024;

  /** A service file larger than this is refused (libpq reads any size). */
  static final long MAX_FILE_BYTES = 1L << 20;

  private ServiceFile() {}

  /** What one file said about a service. */
  record Result(boolean found, Map<String, String> values) {}

  /**
   * Reads {@code service} from {@code file}.
   *
   * @param keywords the keywords a service may set (libpq's option list)
   * @return whether the section was found, and the keywords it sets in file order (first value of
   *     each)
   * @throws PgException 08001 with libpq's text when the file cannot be opened, has a line too
   *     long, a line that is not {@code keyword=value} with a known keyword, or a nested {@code
   *     service}/{@code servicefile}
   */
  static Result read(Path file, String service, Set<String> keywords) {
    if (file.toString().isEmpty()) {
      throw fail("service file \"\" not found");
    }
    if (Files.isDirectory(file)) {
      // libpq's fopen opens a directory and its first fgets fails: read as an empty file.
      return new Result(false, Map.of());
    }
    InputStream raw;
    try {
      raw = Files.newInputStream(file);
    } catch (IOException | UnsupportedOperationException e) {
      throw fail("service file \"" + file + "\" not found");
    }
    try (InputStream in = new BufferedInputStream(raw)) {
      return parse(in, file.toString(), service, keywords);
    } catch (IOException e) {
      // libpq's fgets stops at a read error as at the end of the file.
      throw fail("could not read service file \"" + file + "\": " + e.getMessage());
    }
  }

  static Result parse(InputStream in, String fileName, String service, Set<String> keywords)
      throws IOException {
    // Bytes kept as ISO-8859-1 chars so that comparisons are byte for byte, as in libpq.
    String serviceBytes = latin1(service);
    Map<String, String> values = new LinkedHashMap<>();
    boolean groupFound = false;
    byte[] buf = new byte[LINE_BUFFER - 1];
    long total = 0;
    int lineNumber = 0;
    while (true) {
      int len = 0;
      int b = -1;
      while (len < buf.length && (b = in.read()) >= 0) {
        buf[len++] = (byte) b;
        if (b == '\n') {
          break;
        }
      }
      if (len == 0) {
        break;
      }
      total += len;
      if (total > MAX_FILE_BYTES) {
        throw fail("service file \"" + fileName + "\" is larger than " + MAX_FILE_BYTES + " bytes");
      }
      lineNumber++;
      int textLength = 0;
      while (textLength < len && buf[textLength] != 0) {
        textLength++;
      }
      if (textLength >= LINE_BUFFER - 1) {
        throw fail("line " + lineNumber + " too long in service file \"" + fileName + "\"");
      }
      int end = textLength;
      while (end > 0 && isSpace(buf[end - 1])) {
        end--;
      }
      int start = 0;
      while (start < end && isSpace(buf[start])) {
        start++;
      }
      if (start == end || buf[start] == '#') {
        continue;
      }
      String line = new String(buf, start, end - start, StandardCharsets.ISO_8859_1);
      if (line.charAt(0) == '[') {
        if (groupFound) {
          break;
        }
        groupFound =
            line.startsWith(serviceBytes, 1)
                && line.length() > serviceBytes.length() + 1
                && line.charAt(serviceBytes.length() + 1) == ']';
        continue;
      }
      if (!groupFound) {
        continue;
      }
      int equals = line.indexOf('=');
      if (equals < 0) {
        throw syntaxError(fileName, lineNumber);
      }
      String key = utf8(line.substring(0, equals));
      String value = utf8(line.substring(equals + 1));
      if (key.equals("service") || key.equals("servicefile")) {
        throw fail(
            "nested \""
                + key
                + "\" specifications not supported in service file \""
                + fileName
                + "\", line "
                + lineNumber);
      }
      if (!keywords.contains(key)) {
        throw syntaxError(fileName, lineNumber);
      }
      values.putIfAbsent(key, value);
    }
    return new Result(groupFound, values);
  }

  private static String latin1(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  private static String utf8(String latin1) {
    return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  /** C's {@code isspace} in the C locale. */
  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  private static PgException syntaxError(String fileName, int lineNumber) {
    return fail("syntax error in service file \"" + fileName + "\", line " + lineNumber);
  }

  private static PgException fail(String message) {
    return new PgException(SqlState.CONNECTION_UNABLE, message);
  }
}
