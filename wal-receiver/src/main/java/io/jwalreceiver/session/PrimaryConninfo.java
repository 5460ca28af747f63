// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What {@code -R} writes into {@code primary_conninfo}: pg_basebackup 18's rendering of libpq's
 * {@code PQconninfo} for the same inputs, less what a PostgreSQL 13 standby refuses. Documented on
 * {@link ConnInfo#primaryConninfo}.
 */
final class PrimaryConninfo {

  private PrimaryConninfo() {}

  /**
   * libpq's environment variable for each keyword that has one ({@code PQconninfoOptions}' {@code
   * envvar}); {@code service} and {@code servicefile} are read with the service file.
   */
  private static final Map<String, String> ENV_VARS =
      Map.ofEntries(
          Map.entry("user", "PGUSER"),
          Map.entry("password", "PGPASSWORD"),
          Map.entry("passfile", "PGPASSFILE"),
          Map.entry("channel_binding", "PGCHANNELBINDING"),
          Map.entry("connect_timeout", "PGCONNECT_TIMEOUT"),
          Map.entry("dbname", "PGDATABASE"),
          Map.entry("host", "PGHOST"),
          Map.entry("hostaddr", "PGHOSTADDR"),
          Map.entry("port", "PGPORT"),
          Map.entry("client_encoding", "PGCLIENTENCODING"),
          Map.entry("options", "PGOPTIONS"),
          Map.entry("application_name", "PGAPPNAME"),
          Map.entry("sslmode", "PGSSLMODE"),
          Map.entry("sslnegotiation", "PGSSLNEGOTIATION"),
          Map.entry("sslcompression", "PGSSLCOMPRESSION"),
          Map.entry("sslcert", "PGSSLCERT"),
          Map.entry("sslkey", "PGSSLKEY"),
          Map.entry("sslcertmode", "PGSSLCERTMODE"),
          Map.entry("sslrootcert", "PGSSLROOTCERT"),
          Map.entry("sslcrl", "PGSSLCRL"),
          Map.entry("sslcrldir", "PGSSLCRLDIR"),
          Map.entry("sslsni", "PGSSLSNI"),
          Map.entry("requirepeer", "PGREQUIREPEER"),
          Map.entry("require_auth", "PGREQUIREAUTH"),
          Map.entry("min_protocol_version", "PGMINPROTOCOLVERSION"),
          Map.entry("max_protocol_version", "PGMAXPROTOCOLVERSION"),
          Map.entry("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"),
          Map.entry("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"),
          Map.entry("gssencmode", "PGGSSENCMODE"),
          Map.entry("krbsrvname", "PGKRBSRVNAME"),
          Map.entry("gsslib", "PGGSSLIB"),
          Map.entry("gssdelegation", "PGGSSDELEGATION"),
          Map.entry("target_session_attrs", "PGTARGETSESSIONATTRS"),
          Map.entry("load_balance_hosts", "PGLOADBALANCEHOSTS"));

  /**
   * Keywords a PostgreSQL 13 standby's libpq refuses in {@code primary_conninfo} (added in 14 or
   * later).
   */
  private static final Set<String> UNKNOWN_TO_13 =
      Set.of(
          "servicefile",
          "sslnegotiation",
          "sslkeylogfile",
          "sslcertmode",
          "sslcrldir",
          "sslsni",
          "require_auth",
          "min_protocol_version",
          "max_protocol_version",
          "gssdelegation",
          "load_balance_hosts",
          "scram_client_key",
          "scram_server_key",
          "oauth_issuer",
          "oauth_client_id",
          "oauth_client_secret",
          "oauth_scope");

  /** What pg_basebackup leaves out of {@code primary_conninfo}: the walreceiver sets them. */
  private static final Set<String> SET_BY_WALRECEIVER =
      Set.of("replication", "dbname", "fallback_application_name");

  /** See {@link ConnInfo#primaryConninfo}. */
  static Map<String, String> render(
      ConnInfo.CommandLine args,
      Map<String, String> env,
      @Nullable Path homeDir,
      ConnectionConfig resolved,
      @Nullable String dbname) {
    Map<String, String> given = ConnInfoResolver.explicitSettings(args, env, homeDir);
    Map<String, String> out = new LinkedHashMap<>();
    for (String keyword : ConnInfo.KEYWORDS) {
      String value = given.get(keyword);
      if (value == null && ENV_VARS.containsKey(keyword)) {
        value = env.get(ENV_VARS.get(keyword));
      }
      switch (keyword) {
        case "user" -> value = resolved.user();
        case "passfile" ->
            value = resolved.passFile() == null ? null : resolved.passFile().toString();
        case "channel_binding" -> value = resolved.channelBinding().keyword();
        case "sslmode" -> value = resolved.sslMode().keyword();
        case "port" ->
            value =
                value == null || value.isEmpty() ? Integer.toString(ConnInfo.DEFAULT_PORT) : value;
        case "dbname" -> value = dbname;
        default -> {
          if (SET_BY_WALRECEIVER.contains(keyword) || UNKNOWN_TO_13.contains(keyword)) {
            value = null;
          }
        }
      }
      if (value != null && !value.isEmpty()) {
        out.put(keyword, value);
      }
    }
    return out;
  }
}
