// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * One connection keyword of libpq 18's {@code PQconninfoOptions}: its name, the environment
 * variable that supplies it where {@code primary_conninfo} rendering reads one, and the first libpq
 * that knows it. The one table behind {@link ConnInfo#KEYWORDS}, the environment lookups of {@code
 * -R} and what a PostgreSQL 13 standby refuses.
 *
 * @param name the keyword
 * @param envVar libpq's environment variable for it ({@code PQconninfoOptions}' {@code envvar}), or
 *     null; {@code service} and {@code servicefile} are left null here because they are read with
 *     the service file, not copied into {@code primary_conninfo}
 * @param sinceMajor the first libpq major version that accepts it; 13 for every keyword older than
 *     the oldest server jwalreceiver supports
 */
record LibpqKeyword(String name, @Nullable String envVar, int sinceMajor) {

  /** Every keyword, in libpq's {@code PQconninfoOptions} order. */
  static final List<LibpqKeyword> ALL =
      List.of(
          new LibpqKeyword("service", null, 13),
          new LibpqKeyword("servicefile", null, 18),
          new LibpqKeyword("user", "PGUSER", 13),
          new LibpqKeyword("password", "PGPASSWORD", 13),
          new LibpqKeyword("passfile", "PGPASSFILE", 13),
          new LibpqKeyword("channel_binding", "PGCHANNELBINDING", 13),
          new LibpqKeyword("connect_timeout", "PGCONNECT_TIMEOUT", 13),
          new LibpqKeyword("dbname", "PGDATABASE", 13),
          new LibpqKeyword("host", "PGHOST", 13),
          new LibpqKeyword("hostaddr", "PGHOSTADDR", 13),
          new LibpqKeyword("port", "PGPORT", 13),
          new LibpqKeyword("client_encoding", "PGCLIENTENCODING", 13),
          new LibpqKeyword("options", "PGOPTIONS", 13),
          new LibpqKeyword("application_name", "PGAPPNAME", 13),
          new LibpqKeyword("fallback_application_name", null, 13),
          new LibpqKeyword("keepalives", null, 13),
          new LibpqKeyword("keepalives_idle", null, 13),
          new LibpqKeyword("keepalives_interval", null, 13),
          new LibpqKeyword("keepalives_count", null, 13),
          new LibpqKeyword("tcp_user_timeout", null, 13),
          new LibpqKeyword("sslmode", "PGSSLMODE", 13),
          new LibpqKeyword("sslnegotiation", "PGSSLNEGOTIATION", 17),
          new LibpqKeyword("sslcompression", "PGSSLCOMPRESSION", 13),
          new LibpqKeyword("sslcert", "PGSSLCERT", 13),
          new LibpqKeyword("sslkey", "PGSSLKEY", 13),
          new LibpqKeyword("sslkeylogfile", null, 18),
          new LibpqKeyword("sslcertmode", "PGSSLCERTMODE", 16),
          new LibpqKeyword("sslpassword", null, 13),
          new LibpqKeyword("sslrootcert", "PGSSLROOTCERT", 13),
          new LibpqKeyword("sslcrl", "PGSSLCRL", 13),
          new LibpqKeyword("sslcrldir", "PGSSLCRLDIR", 14),
          new LibpqKeyword("sslsni", "PGSSLSNI", 14),
          new LibpqKeyword("requirepeer", "PGREQUIREPEER", 13),
          new LibpqKeyword("require_auth", "PGREQUIREAUTH", 16),
          new LibpqKeyword("min_protocol_version", "PGMINPROTOCOLVERSION", 18),
          new LibpqKeyword("max_protocol_version", "PGMAXPROTOCOLVERSION", 18),
          new LibpqKeyword("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION", 13),
          new LibpqKeyword("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION", 13),
          new LibpqKeyword("gssencmode", "PGGSSENCMODE", 13),
          new LibpqKeyword("krbsrvname", "PGKRBSRVNAME", 13),
          new LibpqKeyword("gsslib", "PGGSSLIB", 13),
          new LibpqKeyword("gssdelegation", "PGGSSDELEGATION", 16),
          new LibpqKeyword("replication", null, 13),
          new LibpqKeyword("target_session_attrs", "PGTARGETSESSIONATTRS", 13),
          new LibpqKeyword("load_balance_hosts", "PGLOADBALANCEHOSTS", 16),
          new LibpqKeyword("scram_client_key", null, 18),
          new LibpqKeyword("scram_server_key", null, 18),
          new LibpqKeyword("oauth_issuer", null, 18),
          new LibpqKeyword("oauth_client_id", null, 18),
          new LibpqKeyword("oauth_client_secret", null, 18),
          new LibpqKeyword("oauth_scope", null, 18));

  private static final Map<String, String> ENV_VARS =
      ALL.stream()
          .filter(k -> k.envVar() != null)
          .collect(
              Collectors.toUnmodifiableMap(LibpqKeyword::name, k -> requireNonNull(k.envVar())));

  /**
   * libpq's environment variable for a keyword.
   *
   * @throws IllegalArgumentException for a keyword that has none
   */
  static String envVarOf(String keyword) {
    String envVar = ENV_VARS.get(keyword);
    if (envVar == null) {
      throw new IllegalArgumentException("libpq has no environment variable for " + keyword);
    }
    return envVar;
  }
}
