// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

/** Quoting for replication-command text: the only place where command strings take user input. */
public final class SqlText {

  /** NAMEDATALEN - 1: the longest identifier the server keeps. */
  public static final int MAX_NAME_LENGTH = 63;

  private SqlText() {}

  /** A double-quoted identifier, with embedded double quotes doubled. */
  public static String identifier(String name) {
    if (name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("identifier contains a NUL byte");
    }
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /**
   * A single-quoted string literal with embedded quotes doubled; backslashes are literal
   * (standard_conforming_strings semantics, which the replication grammar uses).
   */
  public static String literal(String value) {
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("literal contains a NUL byte");
    }
    return '\'' + value.replace("'", "''") + '\'';
  }

  /**
   * Checks a replication slot name as the server does (ReplicationSlotValidateName), with the
   * server's messages, so a bad name fails before anything is sent.
   */
  public static String validateSlotName(String name) {
    if (name.isEmpty()) {
      throw new PgException(
          SqlState.INVALID_NAME, "replication slot name \"" + name + "\" is too short");
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new PgException(
          SqlState.INVALID_NAME, "replication slot name \"" + name + "\" is too long");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        throw new PgException(
            SqlState.INVALID_NAME,
            "replication slot name \"" + name + "\" contains invalid character",
            null,
            "Replication slot names may only contain lower case letters, numbers, and the"
                + " underscore character.",
            null);
      }
    }
    return name;
  }
}
