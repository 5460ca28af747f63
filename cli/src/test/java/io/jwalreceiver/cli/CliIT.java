// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
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

  private static void assertFails(CliRun r, String firstLineContains) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.firstErrorLine()).startsWith("jwalreceiver: error: ").contains(firstLineContains);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void identifyPrintsTheSystem(int major) {
    PostgresServer server = PostgresServer.shared(major);
    CliRun r = CliRun.of(env(server, PostgresServer.REPL_SCRAM), "identify");
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
  void identifyConnectsOverTheUnixSocket(int major) {
    PostgresServer server = PostgresServer.shared(major);
    CliRun r =
        CliRun.of(
            Map.of(),
            "identify",
            "-h",
            server.socketDir().toString(),
            "-p",
            Integer.toString(server.port()),
            "-U",
            PostgresServer.SUPERUSER);
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("timeline:             1");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void connectsWithScramPlusOverVerifyFull(int major) {
    PostgresServer server = PostgresServer.sharedTls(major);
    Map<String, String> env = env(server, PostgresServer.REPL_TLS);
    env.remove("PGSSLMODE");
    CliRun r =
        CliRun.of(
            env,
            "identify",
            "-d",
            "sslmode=verify-full channel_binding=require sslrootcert=" + server.caCertFile());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("timeline:             1");
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

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void reportsAWrongPassword(int major) {
    PostgresServer server = PostgresServer.shared(major);
    Map<String, String> env = env(server, PostgresServer.REPL_SCRAM);
    env.put("PGPASSWORD", "wrong");
    assertFails(
        CliRun.of(env, "identify"),
        "failed: FATAL:  password authentication failed for user \"repl_scram\"");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void reportsARoleWithoutReplication(int major) {
    PostgresServer server = PostgresServer.shared(major);
    CliRun r = CliRun.of(env(server, PostgresServer.NOREPL), "identify");
    // 13-15: "must be superuser or replication role to start walsender";
    // 16+: "permission denied to start WAL sender".
    assertFails(r, "FATAL:  ");
    assertThat(r.firstErrorLine()).containsPattern("walsender|WAL sender");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void reportsAMissingPgHbaLine(int major) {
    PostgresServer server = PostgresServer.shared(major);
    assertFails(
        CliRun.of(env(server, PostgresServer.NOHBA), "identify"),
        "FATAL:  no pg_hba.conf entry for replication connection from host \"127.0.0.1\","
            + " user \"nohba\"");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void reportsRequiredTlsAgainstAServerWithout(int major) {
    PostgresServer server = PostgresServer.shared(major);
    Map<String, String> env = env(server, PostgresServer.REPL_SCRAM);
    env.put("PGSSLMODE", "require");
    assertFails(
        CliRun.of(env, "identify"), "failed: server does not support SSL, but SSL was required");
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
    int port = freePort();
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

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
