// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * libpq's {@code target_session_attrs}: which of the listed servers a connection accepts. A server
 * that does not qualify is left for the next host; {@link #PREFER_STANDBY} makes a second pass
 * through the list accepting any server when no standby was found.
 */
public enum TargetSessionAttrs {
  /** Any server (libpq's default). */
  ANY("any"),
  /**
   * A server whose sessions are read-write: not in hot standby, default_transaction_read_only off.
   */
  READ_WRITE("read-write"),
  /** A server whose sessions are read-only: in hot standby or default_transaction_read_only on. */
  READ_ONLY("read-only"),
  /** A server not in hot standby. */
  PRIMARY("primary"),
  /** A server in hot standby. */
  STANDBY("standby"),
  /** A server in hot standby if the list has one, else any server. */
  PREFER_STANDBY("prefer-standby");

  private static final Map<String, TargetSessionAttrs> BY_KEYWORD =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(t -> t.keyword, t -> t));

  private final String keyword;

  TargetSessionAttrs(String keyword) {
    this.keyword = keyword;
  }

  /** The libpq spelling, for example {@code read-write}. */
  public String keyword() {
    return keyword;
  }

  /**
   * Parses a libpq spelling.
   *
   * @throws PgException 08001 {@code invalid target_session_attrs value: "%s"}
   */
  public static TargetSessionAttrs parse(String value) {
    TargetSessionAttrs found = BY_KEYWORD.get(value);
    if (found == null) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE, "invalid target_session_attrs value: \"" + value + "\"");
    }
    return found;
  }
}
