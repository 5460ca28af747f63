// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * libpq 18's checks of the TLS-related connection options that take a fixed set of values, with its
 * messages, and the protocol-version mapping the handshake uses. {@link ConnInfo#resolve} calls the
 * checks in libpq's order: sslmode, sslnegotiation, sslrootcert=system,
 * ssl_min/max_protocol_version, the range, sslcertmode, gssencmode.
 */
final class TlsSettings {

  /** libpq's default {@code ssl_min_protocol_version}. */
  static final String DEFAULT_MIN_PROTOCOL = "TLSv1.2";

  /** libpq's protocol names, lowest first, with the JSSE name of each. */
  private static final List<String> VERSIONS = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

  private TlsSettings() {}

  /**
   * {@code sslnegotiation}: {@code postgres} (the default) or {@code direct}. libpq 17+ accepts
   * {@code direct} with sslmode require or stronger; jwalreceiver does not implement direct TLS and
   * says so.
   */
  static void checkNegotiation(@Nullable String value, SslMode sslMode) {
    if (value == null || value.equals("postgres")) {
      return;
    }
    checkOneOf("sslnegotiation", value, "postgres", "direct");
    if (sslMode != SslMode.REQUIRE && !sslMode.verifiesChain()) {
      throw fail(
          "weak sslmode \""
              + sslMode.keyword()
              + "\" may not be used with sslnegotiation=direct"
              + " (use \"require\", \"verify-ca\", or \"verify-full\")");
    }
    throw new PgException(
        SqlState.CONNECTION_UNABLE,
        "sslnegotiation=direct is not supported: jwalreceiver always asks for TLS with an"
            + " SSLRequest",
        null,
        "Remove sslnegotiation or set it to \"postgres\" (every server accepts that).",
        null);
  }

  /** {@code ssl_min_protocol_version} and {@code ssl_max_protocol_version}, then their range. */
  static void checkProtocolRange(@Nullable String min, @Nullable String max) {
    if (!validVersion(min)) {
      throw fail("invalid \"ssl_min_protocol_version\" value: \"" + min + "\"");
    }
    if (!validVersion(max)) {
      throw fail("invalid \"ssl_max_protocol_version\" value: \"" + max + "\"");
    }
    String low = min == null ? DEFAULT_MIN_PROTOCOL : min;
    if (low.isEmpty() || max == null || max.isEmpty()) {
      return;
    }
    if (index(max) < index(low)) {
      throw fail("invalid SSL protocol version range");
    }
  }

  /** {@code sslcertmode}: {@code disable}, {@code allow} (the default) or {@code require}. */
  static void checkCertMode(@Nullable String value) {
    if (value == null) {
      return;
    }
    checkOneOf("sslcertmode", value, "disable", "allow", "require");
    if (value.equals("require")) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          "sslcertmode=require is not supported by jwalreceiver",
          null,
          "Use sslcertmode=allow (the default) and let pg_hba.conf's cert method or clientcert"
              + " decide.",
          null);
    }
  }

  /**
   * {@code gssencmode} as libpq built without GSSAPI takes it: {@code disable} and {@code prefer}
   * go on without GSSAPI encryption, {@code require} cannot be met.
   */
  static void checkGssEncMode(@Nullable String value) {
    if (value == null) {
      return;
    }
    checkOneOf("gssencmode", value, "disable", "prefer", "require");
    if (value.equals("require")) {
      throw fail(
          "gssencmode value \"" + value + "\" invalid when GSSAPI support is not compiled in");
    }
  }

  /**
   * The JSSE protocols to enable for libpq's (already checked) bounds: from the minimum ({@link
   * #DEFAULT_MIN_PROTOCOL} when absent, no bound when empty) to the maximum (none when absent).
   */
  static String[] protocols(@Nullable String min, @Nullable String max) {
    String low = min == null ? DEFAULT_MIN_PROTOCOL : min;
    int from = low.isEmpty() ? 0 : index(low);
    int to = max == null || max.isEmpty() ? VERSIONS.size() - 1 : index(max);
    List<String> out = new ArrayList<>();
    for (int k = from; k <= to; k++) {
      out.add(VERSIONS.get(k));
    }
    return out.toArray(new String[0]);
  }

  /** libpq's {@code invalid %s value: "%s"} for a keyword with a fixed set of values. */
  private static void checkOneOf(String keyword, String value, String... allowed) {
    if (!List.of(allowed).contains(value)) {
      throw fail("invalid " + keyword + " value: \"" + value + "\"");
    }
  }

  private static boolean validVersion(@Nullable String value) {
    return value == null || value.isEmpty() || index(value) >= 0;
  }

  private static int index(String value) {
    for (int k = 0; k < VERSIONS.size(); k++) {
      if (VERSIONS.get(k).toLowerCase(Locale.ROOT).equals(value.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    return -1;
  }

  private static PgException fail(String message) {
    return new PgException(SqlState.CONNECTION_UNABLE, message);
  }
}
