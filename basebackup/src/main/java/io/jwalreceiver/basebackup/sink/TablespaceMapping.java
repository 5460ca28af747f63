// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.file.Path;

/**
 * One {@code -T OLDDIR=NEWDIR} mapping, parsed with pg_basebackup's rules and messages: {@code \=}
 * escapes an equals sign, both sides must be absolute paths.
 */
public record TablespaceMapping(String oldDir, String newDir) {

  /** Parses {@code OLDDIR=NEWDIR}. */
  public static TablespaceMapping parse(String arg) {
    StringBuilder oldDir = new StringBuilder();
    StringBuilder newDir = new StringBuilder();
    StringBuilder current = oldDir;
    boolean sawEquals = false;
    for (int i = 0; i < arg.length(); i++) {
      char c = arg.charAt(i);
      if (c == '\\' && i + 1 < arg.length() && arg.charAt(i + 1) == '=') {
        current.append('=');
        i++;
      } else if (c == '=') {
        if (sawEquals) {
          throw invalid("multiple \"=\" signs in tablespace mapping");
        }
        sawEquals = true;
        current = newDir;
      } else {
        current.append(c);
      }
    }
    if (!sawEquals || oldDir.length() == 0 || newDir.length() == 0) {
      throw invalid("invalid tablespace mapping format \"" + arg + "\", must be \"OLDDIR=NEWDIR\"");
    }
    if (!oldDir.toString().startsWith("/")) {
      throw invalid("old directory is not an absolute path in tablespace mapping: " + oldDir);
    }
    if (!newDir.toString().startsWith("/")) {
      throw invalid("new directory is not an absolute path in tablespace mapping: " + newDir);
    }
    return new TablespaceMapping(canonical(oldDir.toString()), canonical(newDir.toString()));
  }

  /** pg_basebackup canonicalizes both sides (no trailing slash, no duplicate slashes). */
  private static String canonical(String p) {
    return Path.of(p).normalize().toString();
  }

  private static PgException invalid(String message) {
    return new PgException(SqlState.INVALID_PARAMETER_VALUE, message);
  }
}
