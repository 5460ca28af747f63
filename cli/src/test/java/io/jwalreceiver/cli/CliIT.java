// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.Ports;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The commands end to end against real servers: what they print on success and the one-line error
 * (plus non-zero exit) for each bad input the foundation issue lists.
 */
@Tag("postgres")
class CliIT {

  /** The environment of a user connecting to {@code server} as {@code user} over TCP. */
  static Map<String, String> env(PostgresServer server, String user) {
    Map<String, String> env = new HashMap<>();
    env.put("PGHOST", server.host());
    env.put("PGPORT", Integer.toString(server.port()));
    env.put("PGUSER", user);
    env.put("PGPASSWORD", PostgresServer.PASSWORD);
    env.put("PGSSLMODE", "disable");
    env.put("PGCONNECT_TIMEOUT", "20");
    return env;
  }

  /** {@link BackupTestSupport#assertFails}, with exit status 1. */
  private static void assertFails(CliRun r, String firstLineContains) {
    BackupTestSupport.assertFails(r, firstLineContains);
    assertThat(r.exitCode()).isEqualTo(1);
  }

  /** The ways {@code identify} reaches a server. */
  enum Route {
    TCP_SCRAM,
    UNIX_SOCKET,
    SCRAM_PLUS_OVER_VERIFY_FULL;

    PostgresServer server(int major) {
      return this == SCRAM_PLUS_OVER_VERIFY_FULL
          ? PostgresServer.sharedTls(major)
          : PostgresServer.shared(major);
    }

    CliRun identify(PostgresServer server) {
      return switch (this) {
        case TCP_SCRAM -> CliRun.of(env(server, PostgresServer.REPL_SCRAM), "identify");
        case UNIX_SOCKET -> CliRun.of(Map.of(), ClientArgs.socketArray(server, "identify"));
        case SCRAM_PLUS_OVER_VERIFY_FULL -> {
          Map<String, String> env = env(server, PostgresServer.REPL_TLS);
          env.remove("PGSSLMODE");
          yield CliRun.of(
              env,
              "identify",
              "-d",
              "sslmode=verify-full channel_binding=require sslrootcert=" + server.caCertFile());
        }
      };
    }
  }

  static Stream<Arguments> routes() {
    return PgVersionCases.crossed(
        Stream.of(Route.values()).map(Arguments::of).toArray(Arguments[]::new));
  }

  @ParameterizedTest(name = "PostgreSQL {0} over {1}")
  @MethodSource("routes")
  void identifyPrintsTheSystem(int major, Route route) {
    PostgresServer server = route.server(major);
    CliRun r = route.identify(server);
    assertThat(r.exitCode()).as(r.err()).isZero();
    String systemId = server.queryString("SELECT system_identifier::text FROM pg_control_system()");
    assertThat(r.out())
        .contains("system identifier:    " + systemId)
        .contains("timeline:             1")
        .contains("server version:       " + major + ".")
        .contains("WAL segment size:     16MB");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void slotCommandsCreateListAndDrop(int major) {
    PostgresServer server = PostgresServer.shared(major);
    Map<String, String> env = env(server, PostgresServer.REPL_MD5);
    String slot = "cli_slot_" + major;

    CliRun created = CliRun.of(env, "slot", "create", slot, "-v");
    assertThat(created.exitCode()).as(created.err()).isZero();
    assertThat(created.err()).contains("jwalreceiver: creating replication slot \"" + slot + "\"");

    CliRun again = CliRun.of(env, "slot", "create", slot);
    assertFails(again, "replication slot \"" + slot + "\" already exists");
    assertThat(again.firstErrorLine()).contains("ERROR:  replication slot");

    CliRun tolerated = CliRun.of(env, "slot", "create", slot, "--if-not-exists");
    assertThat(tolerated.exitCode()).isZero();

    // slot list speaks SQL: the superuser's session (trusted) sees the slot and its reservation.
    CliRun listed = CliRun.of(env(server, PostgresServer.SUPERUSER), "slot", "list");
    assertThat(listed.exitCode()).as(listed.err()).isZero();
    String restartLsn =
        server.queryString(
            "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    assertThat(listed.out())
        .containsPattern(slot + " +\\| no +\\| " + restartLsn + " +\\| reserved");

    CliRun dropped = CliRun.of(env, "slot", "drop", slot);
    assertThat(dropped.exitCode()).as(dropped.err()).isZero();
    assertThat(
            server.queryString(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
        .isEqualTo("0");

    assertFails(
        CliRun.of(env, "slot", "drop", slot), "replication slot \"" + slot + "\" does not exist");
    assertThat(CliRun.of(env, "slot", "drop", slot, "--if-exists").exitCode()).isZero();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void slotCreateWithoutReservationLeavesRestartLsnEmpty(int major) {
    PostgresServer server = PostgresServer.shared(major);
    String slot = "cli_lazy_" + major;
    CliRun r =
        CliRun.of(
            env(server, PostgresServer.REPL_TRUST), "slot", "create", slot, "--no-reserve-wal");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(
            server.queryString(
                "SELECT restart_lsn IS NULL FROM pg_replication_slots WHERE slot_name = '"
                    + slot
                    + "'"))
        .isEqualTo("t");
    server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
  }

  /**
   * Connections the server refuses, each with what the first error line must contain (and match):
   * the user, what changes in its environment, the message.
   */
  static Stream<Arguments> refusedConnections() {
    return PgVersionCases.crossed(
        arguments(
            "a wrong password",
            PostgresServer.REPL_SCRAM,
            Map.of("PGPASSWORD", "wrong"),
            "failed: FATAL:  password authentication failed for user \"repl_scram\"",
            ""),
        // 13-15: "must be superuser or replication role to start walsender";
        // 16+: "permission denied to start WAL sender".
        arguments(
            "a role without replication",
            PostgresServer.NOREPL,
            Map.of(),
            "FATAL:  ",
            "walsender|WAL sender"),
        arguments(
            "a missing pg_hba.conf line",
            PostgresServer.NOHBA,
            Map.of(),
            "FATAL:  no pg_hba.conf entry for replication connection from host"
                + " \"127.0.0.1\", user \"nohba\"",
            ""),
        arguments(
            "required TLS against a server without",
            PostgresServer.REPL_SCRAM,
            Map.of("PGSSLMODE", "require"),
            "failed: server does not support SSL, but SSL was required",
            ""));
  }

  @ParameterizedTest(name = "PostgreSQL {0}: {1}")
  @MethodSource("refusedConnections")
  void reportsARefusedConnection(
      int major,
      String what,
      String user,
      Map<String, String> envChanges,
      String firstLineContains,
      String firstLinePattern) {
    Map<String, String> env = env(PostgresServer.shared(major), user);
    env.putAll(envChanges);
    CliRun r = CliRun.of(env, "identify");
    assertFails(r, firstLineContains);
    assertThat(r.firstErrorLine()).containsPattern(firstLinePattern);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void reportsAHostNameMismatchUnderVerifyFull(int major) {
    PostgresServer server =
        PostgresServer.shared(PostgresServer.Options.of(major).withTlsWrongHostname());
    Map<String, String> env = env(server, PostgresServer.REPL_SCRAM);
    env.put("PGSSLMODE", "verify-full");
    env.put("PGSSLROOTCERT", server.caCertFile().toString());
    CliRun r = CliRun.of(env, "identify");
    // The certificate's common name is examined too (libpq does so when no subjectAltName is of
    // the host's kind), hence "(and 1 other name)".
    assertFails(r, "server certificate for \"wrong.example.invalid\"");
    assertThat(r.firstErrorLine()).endsWith("does not match host name \"127.0.0.1\"");
    // The same certificate passes verify-ca: only the name is wrong.
    env.put("PGSSLMODE", "verify-ca");
    CliRun ok = CliRun.of(env, "identify");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
  }

  @Test
  void reportsConnectionRefused() {
    int port = Ports.unused();
    CliRun r = CliRun.of(Map.of(), "identify", "-h", "127.0.0.1", "-p", Integer.toString(port));
    assertFails(
        r, "connection to server at \"127.0.0.1\", port " + port + " failed: Connection refused");
    assertThat(r.err())
        .contains("hint: Is the server running on that host and accepting TCP/IP connections?");
  }

  @Test
  void reportsAConnectTimeout() throws IOException {
    // A listener that never answers: the TCP handshake completes in the kernel's backlog, then
    // the startup packet gets no reply.
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      long started = System.nanoTime();
      CliRun r =
          CliRun.of(
              Map.of("PGCONNECT_TIMEOUT", "2", "PGSSLMODE", "disable"),
              "identify",
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(silent.getLocalPort()));
      assertFails(r, "port " + silent.getLocalPort() + " failed: timeout expired");
      assertThat(System.nanoTime() - started).isLessThan(60_000_000_000L);
    }
  }
}
