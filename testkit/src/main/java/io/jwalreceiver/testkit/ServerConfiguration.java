// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import static io.jwalreceiver.testkit.PostgresServer.HOST;
import static io.jwalreceiver.testkit.PostgresServer.NOREPL;
import static io.jwalreceiver.testkit.PostgresServer.PASSWORD;
import static io.jwalreceiver.testkit.PostgresServer.REPL_CERT;
import static io.jwalreceiver.testkit.PostgresServer.REPL_MD5;
import static io.jwalreceiver.testkit.PostgresServer.REPL_PASSWORD;
import static io.jwalreceiver.testkit.PostgresServer.REPL_SCRAM;
import static io.jwalreceiver.testkit.PostgresServer.REPL_TLS;
import static io.jwalreceiver.testkit.PostgresServer.REPL_TRUST;
import static io.jwalreceiver.testkit.PostgresServer.SUPERUSER;

import io.jwalreceiver.embedded.ServerUser;
import io.jwalreceiver.testkit.PostgresServer.Options;
import io.jwalreceiver.testkit.PostgresServer.Tls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The configuration a test server gets: {@code postgresql.conf} defaults and {@link
 * Options#settings()}, the generated {@code pg_hba.conf}, the TLS files, the test roles, and the
 * per-instance settings (port, sockets, TLS, standby connection) in {@code postgresql.auto.conf}.
 */
final class ServerConfiguration {

  private ServerConfiguration() {}

  /**
   * Appends the testkit's settings to a fresh cluster's {@code postgresql.conf}, writes its {@code
   * pg_hba.conf}, and its TLS files when the options ask for TLS.
   *
   * @param instanceSettings receives the {@code ssl*} settings for {@link #writeInstanceSettings}
   */
  static void write(Options options, Path dataDir, Map<String, String> instanceSettings) {
    StringBuilder conf = new StringBuilder("\n# ---- jwalreceiver testkit ----\n");
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("wal_level", "replica");
    settings.put("max_wal_senders", "20");
    settings.put("max_replication_slots", "20");
    settings.put("wal_keep_size", "128MB");
    settings.put("shared_buffers", "32MB");
    settings.put("max_connections", "40");
    settings.put("logging_collector", "off");
    settings.put("log_line_prefix", "%m [%p] %q%u@%d ");
    settings.put("log_connections", "on");
    settings.put("log_replication_commands", "on");
    if (options.fast()) {
      settings.put("fsync", "off");
    }
    settings.putAll(options.settings());
    settings.forEach((k, v) -> conf.append(k).append(" = ").append(quote(v)).append('\n'));
    try {
      Files.writeString(dataDir.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ServerUser.get().writeFile(dataDir.resolve("pg_hba.conf"), hbaConf(options), false);
    writeTlsFiles(options.tls(), dataDir, instanceSettings);
  }

  /**
   * The generated {@code pg_hba.conf}, first match wins (lines from {@link
   * Options#withHbaLine(String)} come before all of these):
   *
   * <pre>
   * local    all          all                         trust
   * local    replication  all                         trust
   * host     all          postgres       127.0.0.1/32 trust
   * host     replication  postgres       127.0.0.1/32 trust
   * hostssl  replication  repl_tls       127.0.0.1/32 scram-sha-256   (TLS servers only)
   * hostssl  replication  repl_cert      127.0.0.1/32 cert            (TLS servers only)
   * host     replication  repl_trust     127.0.0.1/32 trust
   * host     replication  repl_md5       127.0.0.1/32 md5
   * host     replication  repl_scram     127.0.0.1/32 scram-sha-256
   * host     replication  repl_password  127.0.0.1/32 password
   * host     replication  norepl         127.0.0.1/32 scram-sha-256
   * host     all          all            127.0.0.1/32 scram-sha-256
   * </pre>
   *
   * <p>{@code host} lines match TLS and plain connections alike, so on a TLS server every role
   * works with {@code sslmode=disable}, {@code prefer} or {@code verify-full}; {@value
   * PostgresServer#REPL_TLS} is the role for "TLS required" tests.
   */
  static String hbaConf(Options options) {
    StringBuilder hba = new StringBuilder("# jwalreceiver testkit; first match wins\n");
    options.hbaLines().forEach(l -> hba.append(l).append('\n'));
    String net = HOST + "/32";
    hba.append("local    all          all                   trust\n");
    hba.append("local    replication  all                   trust\n");
    hba.append(line("host", "all", SUPERUSER, net, "trust"));
    hba.append(line("host", "replication", SUPERUSER, net, "trust"));
    if (options.tls() != Tls.OFF) {
      hba.append(line("hostssl", "replication", REPL_TLS, net, "scram-sha-256"));
      hba.append(line("hostssl", "replication", REPL_CERT, net, "cert"));
    }
    hba.append(line("host", "replication", REPL_TRUST, net, "trust"));
    hba.append(line("host", "replication", REPL_MD5, net, "md5"));
    hba.append(line("host", "replication", REPL_SCRAM, net, "scram-sha-256"));
    hba.append(line("host", "replication", REPL_PASSWORD, net, "password"));
    hba.append(line("host", "replication", NOREPL, net, "scram-sha-256"));
    hba.append(line("host", "all", "all", net, "scram-sha-256"));
    return hba.toString();
  }

  private static String line(String type, String db, String user, String net, String method) {
    return String.format(Locale.ROOT, "%-8s %-12s %-14s %-14s %s%n", type, db, user, net, method);
  }

  /**
   * Writes the server certificate and key (and the client CA) of a TLS mode into a data directory,
   * and the {@code ssl*} settings naming them into {@code instanceSettings}; nothing for {@link
   * Tls#OFF}.
   */
  static void writeTlsFiles(Tls tls, Path dataDir, Map<String, String> instanceSettings) {
    if (tls == Tls.OFF) {
      return;
    }
    TestCertificates.Pem pem =
        tls == Tls.LOCALHOST_ONLY
            ? TestCertificates.localhostOnlyServer()
            : TestCertificates.server(tls == Tls.WRONG_HOSTNAME);
    ServerUser user = ServerUser.get();
    user.writeFile(dataDir.resolve("server.crt"), pem.certificate(), false);
    user.writeFile(dataDir.resolve("server.key"), pem.privateKey(), true);
    user.writeFile(
        dataDir.resolve("client-ca.crt"), TestCertificates.clientCa().certificate(), false);
    instanceSettings.put("ssl", "on");
    instanceSettings.put("ssl_cert_file", "server.crt");
    instanceSettings.put("ssl_key_file", "server.key");
    instanceSettings.put("ssl_ca_file", "client-ca.crt");
  }

  /** The SQL that creates the test roles (see {@link PostgresServer}'s table). */
  static String createRolesSql() {
    String pw = "'" + PASSWORD + "'";
    StringBuilder sql = new StringBuilder();
    sql.append("CREATE ROLE ")
        .append(REPL_TRUST)
        .append(" LOGIN REPLICATION PASSWORD ")
        .append(pw)
        .append(";\n");
    // md5 must be the stored form for md5 authentication; PostgreSQL 18 warns, which is fine.
    sql.append("SET password_encryption = 'md5';\n");
    sql.append("CREATE ROLE ")
        .append(REPL_MD5)
        .append(" LOGIN REPLICATION PASSWORD ")
        .append(pw)
        .append(";\n");
    sql.append("SET password_encryption = 'scram-sha-256';\n");
    for (String role :
        List.of(REPL_SCRAM, REPL_PASSWORD, REPL_TLS, REPL_CERT, PostgresServer.NOHBA)) {
      sql.append("CREATE ROLE ")
          .append(role)
          .append(" LOGIN REPLICATION PASSWORD ")
          .append(pw)
          .append(";\n");
    }
    sql.append("CREATE ROLE ").append(NOREPL).append(" LOGIN PASSWORD ").append(pw).append(";\n");
    return sql.toString();
  }

  /**
   * Rewrites the per-instance settings (port, sockets, TLS files, standby connection) in {@code
   * postgresql.auto.conf}, which is read last and so wins over a copied {@code postgresql.conf}.
   */
  static void writeInstanceSettings(Path dataDir, Map<String, String> instanceSettings) {
    Path auto = dataDir.resolve("postgresql.auto.conf");
    try {
      List<String> kept = new ArrayList<>();
      if (Files.exists(auto)) {
        for (String l : Files.readAllLines(auto, StandardCharsets.UTF_8)) {
          String key = l.split("=", 2)[0].trim().toLowerCase(Locale.ROOT);
          if (!instanceSettings.containsKey(key)) {
            kept.add(l);
          }
        }
      } else {
        kept.add("# Do not edit this file manually!");
        kept.add("# It will be overwritten by the ALTER SYSTEM command.");
      }
      StringBuilder text = new StringBuilder();
      kept.forEach(l -> text.append(l).append('\n'));
      instanceSettings.forEach(
          (k, v) -> text.append(k).append(" = ").append(quote(v)).append('\n'));
      ServerUser.get().writeFile(auto, text.toString(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + auto, e);
    }
  }

  private static String quote(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
