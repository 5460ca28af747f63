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
    for (LibpqKeyword entry : LibpqKeyword.ALL) {
      String keyword = entry.name();
      String value = given.get(keyword);
      String envVar = entry.envVar();
      if (value == null && envVar != null) {
        value = env.get(envVar);
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
          if (SET_BY_WALRECEIVER.contains(keyword) || entry.sinceMajor() > 13) {
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
