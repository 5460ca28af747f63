// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * libpq's TLS connection options beyond {@code sslmode} and {@code sslrootcert}, as resolved from
 * the conninfo and the {@code PG*} environment. {@link ConnInfo#resolve} has already checked the
 * values libpq checks before connecting ({@link TlsSettings}); files are read when connecting
 * ({@link Tls}).
 *
 * @param sslCert the client certificate and chain, PEM ({@code sslcert}, default {@code
 *     ~/.postgresql/postgresql.crt}); a file that does not exist means no client certificate, as in
 *     libpq; null without a home directory
 * @param sslKey the client key, PEM or DER ({@code sslkey}, default {@code
 *     ~/.postgresql/postgresql.key}), read only with a certificate, or null
 * @param sslPassword the passphrase of an encrypted {@code sslkey}, or null
 * @param sslCrl a PEM file of revocation lists ({@code sslcrl}, default {@code
 *     ~/.postgresql/root.crl} when neither sslcrl nor sslcrldir is given), or null
 * @param sslCrlDir a directory of PEM revocation lists ({@code sslcrldir}), or null
 * @param minProtocolVersion {@code ssl_min_protocol_version} as given ({@code TLSv1.2} when absent,
 *     libpq's default), or null
 * @param maxProtocolVersion {@code ssl_max_protocol_version} as given, or null for no maximum
 * @param sni {@code sslsni} as given ({@code 1} sends the host name in the handshake), or null for
 *     libpq's default ({@code 1})
 * @param certMode {@code sslcertmode} ({@code disable} sends no client certificate even when one
 *     exists; {@code allow}, the default, sends it when the server asks), or null
 */
public record TlsOptions(
    @Nullable Path sslCert,
    @Nullable Path sslKey,
    @Nullable String sslPassword,
    @Nullable Path sslCrl,
    @Nullable Path sslCrlDir,
    @Nullable String minProtocolVersion,
    @Nullable String maxProtocolVersion,
    @Nullable String sni,
    @Nullable String certMode) {

  /** No client certificate, no CRL, libpq's protocol defaults, SNI on. */
  public static final TlsOptions DEFAULTS =
      new TlsOptions(null, null, null, null, null, null, null, null, null);

  /** Passwords never appear in logs. */
  @Override
  public String toString() {
    return "TlsOptions[sslcert="
        + sslCert
        + ", sslkey="
        + sslKey
        + ", sslpassword="
        + (sslPassword == null ? "none" : "set")
        + ", sslcrl="
        + sslCrl
        + ", sslcrldir="
        + sslCrlDir
        + ", ssl_min_protocol_version="
        + minProtocolVersion
        + ", ssl_max_protocol_version="
        + maxProtocolVersion
        + ", sslsni="
        + sni
        + ", sslcertmode="
        + certMode
        + "]";
  }
}
