// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.session.ConnInfo;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.HostSpec;
import io.jwalreceiver.session.TargetSessionAttrs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The lines {@code -R} appends to {@code postgresql.auto.conf} (protocol-notes §6 step 13): a
 * {@code primary_conninfo} (see {@code ConnInfo.primaryConninfo}: pg_basebackup's rendering of
 * libpq's {@code PQconninfo}, without {@code replication}, {@code dbname} before 17 and {@code
 * fallback_application_name}, and without empty values) and {@code primary_slot_name} when a
 * permanent slot was named.
 *
 * <p>Like pg_basebackup, the password is written when the connection used one: the standby needs it
 * to connect. Keep the backup's {@code postgresql.auto.conf} as private as the data.
 */
public final class RecoveryConfig {

  private RecoveryConfig() {}

  /**
   * The {@code primary_conninfo} keywords of a connection known only by its resolved settings:
   * user, password or else password file, channel_binding, connect_timeout, host, port,
   * application_name, sslmode and sslrootcert; for a host list, host, hostaddr and port as
   * comma-separated lists and target_session_attrs. The command line uses {@code
   * ConnInfo.primaryConninfo} instead, which knows what was given explicitly.
   */
  public static Map<String, String> keywordsOf(ConnectionConfig config) {
    Map<String, String> kv = new LinkedHashMap<>();
    kv.put("user", config.user());
    if (config.password() != null) {
      kv.put("password", config.password());
    } else if (config.passFile() != null) {
      kv.put("passfile", config.passFile().toString());
    }
    kv.put("channel_binding", config.channelBinding().keyword());
    if (!config.connectTimeout().isZero()) {
      kv.put("connect_timeout", Long.toString(config.connectTimeout().toSeconds()));
    }
    // A host list as libpq takes it: comma-separated host, hostaddr and port lists.
    List<HostSpec> hosts = config.hosts();
    boolean list = hosts.size() > 1;
    kv.put("host", hosts.stream().map(HostSpec::host).collect(Collectors.joining(",")));
    if (list && hosts.stream().anyMatch(h -> h.hostAddr() != null)) {
      kv.put(
          "hostaddr",
          hosts.stream()
              .map(h -> h.hostAddr() == null ? "" : h.hostAddr())
              .collect(Collectors.joining(",")));
    }
    kv.put(
        "port",
        hosts.stream().map(h -> Integer.toString(h.port())).collect(Collectors.joining(",")));
    if (list && config.targetSessionAttrs() != TargetSessionAttrs.ANY) {
      kv.put("target_session_attrs", config.targetSessionAttrs().keyword());
    }
    if (config.applicationName() != null) {
      kv.put("application_name", config.applicationName());
    }
    kv.put("sslmode", config.sslMode().keyword());
    if (config.sslRootCert() != null) {
      kv.put("sslrootcert", config.sslRootCert().toString());
    }
    kv.values().removeIf(v -> v == null || v.isEmpty());
    return kv;
  }

  /**
   * The settings -R writes: {@code primary_conninfo} and, with a slot, {@code primary_slot_name}.
   *
   * @param conninfo the {@code primary_conninfo} keywords, in order
   * @param slotName the permanent slot ({@code -S}), or null
   */
  public static String render(Map<String, String> conninfo, @Nullable String slotName) {
    StringBuilder sb = new StringBuilder();
    sb.append("primary_conninfo = '")
        .append(escapeConfigValue(ConnInfo.toConnInfoString(conninfo)))
        .append("'\n");
    if (slotName != null) {
      sb.append("primary_slot_name = '").append(escapeConfigValue(slotName)).append("'\n");
    }
    return sb.toString();
  }

  /** A value inside single quotes in postgresql.conf: quotes and backslashes doubled. */
  static String escapeConfigValue(String v) {
    StringBuilder sb = new StringBuilder(v.length() + 8);
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\'' || c == '\\') {
        sb.append(c);
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
