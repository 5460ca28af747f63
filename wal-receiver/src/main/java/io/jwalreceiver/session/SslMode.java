// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.Locale;

/** libpq's {@code sslmode}: whether TLS is tried, required, and how the server is verified. */
public enum SslMode {
  /** Plain text only. */
  DISABLE,
  /** Plain text first; TLS only if the server insists (by rejecting the plain connection). */
  ALLOW,
  /** TLS if the server supports it, else plain text (libpq's default). */
  PREFER,
  /** TLS or fail; the certificate is not checked (unless a root certificate file exists). */
  REQUIRE,
  /** TLS, and the server certificate must chain to a trusted root. */
  VERIFY_CA,
  /** As {@link #VERIFY_CA}, and the host name must match the certificate. */
  VERIFY_FULL;

  /** The libpq spelling, for example {@code verify-full}. */
  public String keyword() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses a libpq spelling; an unknown value is an error naming it. */
  public static SslMode parse(String value) {
    for (SslMode m : values()) {
      if (m.keyword().equals(value)) {
        return m;
      }
    }
    throw new PgException(SqlState.CONNECTION_UNABLE, "invalid sslmode value: \"" + value + "\"");
  }

  /** True when the certificate chain is verified. */
  public boolean verifiesChain() {
    return this == VERIFY_CA || this == VERIFY_FULL;
  }
}
