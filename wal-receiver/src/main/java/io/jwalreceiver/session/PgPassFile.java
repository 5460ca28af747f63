// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The password file ({@code ~/.pgpass}, {@code PGPASSFILE}, {@code passfile=}) read the way libpq's
 * {@code passwordFromFile} reads it.
 *
 * <p>Each line is {@code hostname:port:database:username:password}. In the first four fields a
 * field that is exactly {@code *} matches anything; a backslash takes the next character literally,
 * so {@code \:} and {@code \\} stand for {@code :} and {@code \}. A line whose first character is
 * {@code #} is a comment, and the first matching line wins. The file is read as UTF-8.
 *
 * <p>Host matching: an empty host, or a Unix socket directory equal to the default socket
 * directory, is looked up as {@code localhost}; any other host name, address or socket directory is
 * compared as given.
 *
 * <p>A missing or unreadable file yields no password silently. A file that is not a regular file,
 * or that has any group or other permission bit (0077), is ignored with libpq's warning sent to the
 * warning sink. On file systems without POSIX permissions the permission check is skipped, as libpq
 * skips it on Windows.
 */
public final class PgPassFile {

  private static final Set<PosixFilePermission> GROUP_OR_OTHER =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private static final String LOCALHOST = "localhost";

  private PgPassFile() {}

  /**
   * Looks up the password for one connection.
   *
   * @param file the password file
   * @param host the host name, IP address or Unix socket directory; null or empty for the default
   * @param port the port
   * @param database the database name; no lookup is done when it is null or empty
   * @param user the user name; no lookup is done when it is null or empty
   * @param defaultSocketDir the socket directory that is matched as {@code localhost}
   * @param warnings receives libpq's {@code WARNING: password file ...} lines (without a newline)
   * @return the password of the first matching line, unescaped, or empty
   */
  public static Optional<String> lookup(
      Path file,
      @Nullable String host,
      int port,
      @Nullable String database,
      @Nullable String user,
      String defaultSocketDir,
      Consumer<String> warnings) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(warnings, "warnings");
    if (database == null || database.isEmpty() || user == null || user.isEmpty()) {
      return Optional.empty();
    }
    String hostKey =
        host == null || host.isEmpty() || host.equals(defaultSocketDir) ? LOCALHOST : host;

    if (!Files.exists(file)) {
      return Optional.empty();
    }
    if (!Files.isRegularFile(file)) {
      warnings.accept("WARNING: password file \"" + file + "\" is not a plain file");
      return Optional.empty();
    }
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      if (permissions.stream().anyMatch(GROUP_OR_OTHER::contains)) {
        warnings.accept(
            "WARNING: password file \""
                + file
                + "\" has group or world access; permissions should be u=rw (0600) or less");
        return Optional.empty();
      }
    } catch (UnsupportedOperationException noPosixPermissions) {
      // Nothing to check on this file system.
    } catch (IOException unreadable) {
      return Optional.empty();
    }

    String contents;
    try {
      contents =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPLACE)
              .onUnmappableCharacter(CodingErrorAction.REPLACE)
              .decode(ByteBuffer.wrap(Files.readAllBytes(file)))
              .toString();
    } catch (IOException unreadable) {
      // libpq treats a file it cannot open as absent.
      return Optional.empty();
    }
    return find(contents, hostKey, Integer.toString(port), database, user);
  }

  /**
   * Finds the first line of {@code contents} matching the four keys, as libpq does. Lines end at
   * {@code \n}; trailing carriage returns are dropped.
   */
  static Optional<String> find(
      String contents, String host, String port, String database, String user) {
    String[] keys = {host, port, database, user};
    int lineStart = 0;
    while (lineStart < contents.length()) {
      int newline = contents.indexOf('\n', lineStart);
      int lineEnd = newline < 0 ? contents.length() : newline;
      String line = contents.substring(lineStart, lineEnd);
      lineStart = lineEnd + 1;

      int end = line.length();
      while (end > 0 && (line.charAt(end - 1) == '\r' || line.charAt(end - 1) == '\n')) {
        end--;
      }
      line = line.substring(0, end);
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      int at = 0;
      for (String key : keys) {
        at = matchField(line, at, key);
        if (at < 0) {
          break;
        }
      }
      if (at >= 0) {
        return Optional.of(unescapePassword(line, at));
      }
    }
    return Optional.empty();
  }

  /**
   * libpq's {@code pwdfMatchesString}: matches the field starting at {@code from} against {@code
   * key} and returns the index just past its terminating {@code :}, or -1.
   */
  private static int matchField(String line, int from, String key) {
    if (line.startsWith("*:", from)) {
      return from + 2;
    }
    int i = from;
    int k = 0;
    while (i < line.length()) {
      boolean escaped = false;
      if (line.charAt(i) == '\\') {
        i++;
        escaped = true;
        if (i >= line.length()) {
          return -1;
        }
      }
      char c = line.charAt(i);
      if (c == ':' && !escaped && k == key.length()) {
        return i + 1;
      }
      if (k == key.length() || c != key.charAt(k)) {
        return -1;
      }
      i++;
      k++;
    }
    return -1;
  }

  /** The password field: up to an unescaped {@code :} or the end of the line, unescaped. */
  private static String unescapePassword(String line, int from) {
    StringBuilder password = new StringBuilder();
    for (int i = from; i < line.length() && line.charAt(i) != ':'; i++) {
      if (line.charAt(i) == '\\' && i + 1 < line.length()) {
        i++;
      }
      password.append(line.charAt(i));
    }
    return password.toString();
  }
}
