// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.Locale;

/** libpq's {@code channel_binding}: whether SCRAM-SHA-256-PLUS is used or required. */
public enum ChannelBinding {
  DISABLE,
  PREFER,
  REQUIRE;

  /** The libpq spelling. */
  public String keyword() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a libpq spelling; an unknown value is an error naming it. */
  public static ChannelBinding parse(String value) {
    for (ChannelBinding b : values()) {
      if (b.keyword().equals(value)) {
        return b;
      }
    }
    throw new PgException(
        SqlState.CONNECTION_UNABLE, "invalid channel_binding value: \"" + value + "\"");
  }
}
