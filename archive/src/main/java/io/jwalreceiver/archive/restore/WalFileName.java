// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.restore;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A file name a recovering server asks {@code restore_command} for ({@code %f}): a WAL segment, a
 * timeline history file or a backup history file, never a path. Other names are refused.
 *
 * @param name the name as asked
 * @param kind what it names
 */
public record WalFileName(String name, Kind kind) {

  /** What a name names. */
  public enum Kind {
    /** {@code 000000010000000000000003}: 24 upper-case hex digits. */
    SEGMENT,
    /** {@code 00000002.history}. */
    HISTORY,
    /** {@code 000000010000000000000003.00000028.backup}. */
    BACKUP_HISTORY
  }

  private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
  private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");
  private static final Pattern BACKUP_HISTORY =
      Pattern.compile("[0-9A-F]{24}\\.[0-9A-F]{8}\\.backup");

  /** The compression extensions looked for, in order of preference after the plain name. */
  static final List<String> COMPRESSIONS = List.of("", ".gz", ".lz4", ".zst");

  /** pg_receivewal's suffix of the segment it was writing when it stopped. */
  static final String PARTIAL = ".partial";

  /**
   * Parses what the server passed as {@code %f}.
   *
   * @throws IllegalArgumentException with a one-line message for any other name (a path, a relative
   *     name, an unknown kind of file)
   */
  public static WalFileName parse(String name) {
    if (SEGMENT.matcher(name).matches()) {
      return new WalFileName(name, Kind.SEGMENT);
    }
    if (HISTORY.matcher(name).matches()) {
      return new WalFileName(name, Kind.HISTORY);
    }
    if (BACKUP_HISTORY.matcher(name).matches()) {
      return new WalFileName(name, Kind.BACKUP_HISTORY);
    }
    throw new IllegalArgumentException(
        "invalid WAL file name \""
            + name
            + "\": expected a segment (24 hex digits), NNNNNNNN.history or a backup history"
            + " file name, as restore_command's %f gives");
  }

  /**
   * The names under which the archive may hold this file, best first: the plain name, its
   * compressed forms, and for a segment then the {@code .partial} forms (pg_receivewal's last
   * segment of a timeline).
   */
  public List<String> candidates() {
    List<String> names = new ArrayList<>();
    if (kind == Kind.BACKUP_HISTORY) {
      names.add(name);
      return names;
    }
    for (String c : COMPRESSIONS) {
      names.add(name + c);
    }
    if (kind == Kind.SEGMENT) {
      for (String c : COMPRESSIONS) {
        names.add(name + c + PARTIAL);
      }
    }
    return names;
  }

  /** Whether a candidate name is a {@code .partial}. */
  static boolean isPartial(String candidate) {
    return candidate.endsWith(PARTIAL);
  }

  /** The compression extension of a candidate name ({@code ""}, {@code .gz}, …). */
  String compressionOf(String candidate) {
    String rest = candidate.substring(name.length());
    if (rest.endsWith(PARTIAL)) {
      rest = rest.substring(0, rest.length() - PARTIAL.length());
    }
    return rest;
  }
}
