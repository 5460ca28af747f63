// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.embedded.PostgresServerException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Tag("postgres")
class PostgresServerIT {

  /** The standby tests run on the highest selected version, plus 13 when selected. */
  static List<Integer> standbyVersions() {
    List<Integer> versions = new ArrayList<>();
    if (PgVersions.selected().contains(13)) {
      versions.add(13);
    }
    if (!versions.contains(PgVersions.highest())) {
      versions.add(PgVersions.highest());
    }
    return versions;
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void runsTheRequestedVersion(int major) {
    PostgresServer server = PostgresServer.shared(major);
    assertThat(server.queryString("SELECT version()")).contains("PostgreSQL " + major + ".");
    assertThat(server.serverVersionNum() / 10000).isEqualTo(major);
    assertThat(server.majorVersion()).isEqualTo(major);
    assertThat(server.queryString("SHOW wal_level")).isEqualTo("replica");
    assertThat(server.queryString("SHOW unix_socket_directories"))
        .isEqualTo(server.socketDir().toString());
    assertThat(server.socketDir().resolve(".s.PGSQL." + server.port())).exists();
    assertThat(server.isInRecovery()).isFalse();
    assertThat(PostgresServer.shared(major)).isSameAs(server);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void createsTheTestRoles(int major) {
    PostgresServer server = PostgresServer.shared(major);
    for (String role : PostgresServer.TEST_ROLES) {
      String replication =
          server.queryString("SELECT rolreplication FROM pg_roles WHERE rolname = '" + role + "'");
      assertThat(replication).as(role).isEqualTo(role.equals(PostgresServer.NOREPL) ? "f" : "t");
    }
    assertThat(server.queryString("SELECT rolpassword FROM pg_authid WHERE rolname = 'repl_md5'"))
        .startsWith("md5");
    assertThat(server.queryString("SELECT rolpassword FROM pg_authid WHERE rolname = 'repl_scram'"))
        .startsWith("SCRAM-SHA-256$");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void authenticatesReplicationRolesPerHbaLine(int major) throws SQLException {
    PostgresServer server = PostgresServer.shared(major);
    for (String role :
        List.of(
            PostgresServer.REPL_TRUST,
            PostgresServer.REPL_MD5,
            PostgresServer.REPL_SCRAM,
            PostgresServer.REPL_PASSWORD)) {
      try (Connection c = replicationConnection(server, role, "disable")) {
        assertThat(c.isValid(5)).as(role).isTrue();
      }
    }
    assertThatThrownBy(() -> replicationConnection(server, PostgresServer.NOHBA, "disable"))
        .hasMessageContaining("no pg_hba.conf entry for replication connection")
        .hasMessageContaining("\"nohba\"");
    // 13–15: "must be superuser or replication role to start walsender";
    // 16+: "permission denied to start WAL sender ... REPLICATION attribute".
    assertThatThrownBy(() -> replicationConnection(server, PostgresServer.NOREPL, "disable"))
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("replication"));
    assertThatThrownBy(() -> replicationConnection(server, PostgresServer.REPL_TLS, "disable"))
        .hasMessageContaining("no pg_hba.conf entry");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void tlsServerPassesVerifyFull(int major) throws SQLException {
    PostgresServer server = PostgresServer.sharedTls(major);
    try (Connection c =
            DriverManager.getConnection(
                server.jdbcUrl() + "&sslmode=verify-full&sslrootcert=" + server.caCertFile());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
    }
    // The TLS-only role works over TLS and nowhere else; SCRAM roles work both ways.
    try (Connection c = replicationConnection(server, PostgresServer.REPL_TLS, "require")) {
      assertThat(c.isValid(5)).isTrue();
    }
    assertThatThrownBy(() -> replicationConnection(server, PostgresServer.REPL_TLS, "disable"))
        .hasMessageContaining("no pg_hba.conf entry")
        .hasMessageContaining("\"repl_tls\"");
    try (Connection c = replicationConnection(server, PostgresServer.REPL_SCRAM, "disable")) {
      assertThat(c.isValid(5)).isTrue();
    }
  }

  @Test
  void wrongHostnameCertificateFailsVerifyFullOnly() throws SQLException {
    int major = PgVersions.highest();
    try (PostgresServer server =
        PostgresServer.start(PostgresServer.Options.of(major).withTlsWrongHostname())) {
      String base = server.jdbcUrl() + "&sslrootcert=" + server.caCertFile();
      try (Connection c = DriverManager.getConnection(base + "&sslmode=verify-ca")) {
        assertThat(c.isValid(5)).isTrue();
      }
      assertThatThrownBy(() -> DriverManager.getConnection(base + "&sslmode=verify-full").close())
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("could not be verified");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void generatesAndSwitchesWal(int major) {
    PostgresServer server = PostgresServer.shared(major);
    String before = server.currentWalLsn();
    String after = server.generateWal(3 * 1024 * 1024);
    long diff =
        Long.parseLong(
            server.queryString(
                "SELECT pg_wal_lsn_diff('" + after + "', '" + before + "')::bigint"));
    assertThat(diff).isGreaterThanOrEqualTo(3L * 1024 * 1024);
    assertThat(server.queryString("SELECT pg_current_wal_flush_lsn() >= '" + after + "'"))
        .isEqualTo("t");
    String segment = server.queryString("SELECT pg_walfile_name('" + after + "')");
    server.switchWal();
    // pg_walfile_name() of a segment boundary names the segment before it: write a little more.
    String next = server.generateWal(1);
    assertThat(server.queryString("SELECT pg_walfile_name('" + next + "')")).isGreaterThan(segment);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("standbyVersions")
  void standbyStreamsAndPromotes(int major) {
    try (PostgresServer primary = PostgresServer.start(major);
        PostgresServer standby = primary.createStandby()) {
      assertThat(standby.isInRecovery()).isTrue();
      assertThat(standby.port()).isNotEqualTo(primary.port());
      primary.execute("CREATE TABLE t(id int primary key, note text)");
      primary.execute("INSERT INTO t VALUES (1, 'from the primary')");
      standby.awaitReplay(primary.currentWalLsn(), Duration.ofSeconds(30));
      assertThat(standby.queryString("SELECT note FROM t WHERE id = 1"))
          .isEqualTo("from the primary");
      assertThatThrownBy(() -> standby.execute("INSERT INTO t VALUES (2, 'x')"))
          .hasStackTraceContaining("read-only");

      standby.promote();
      assertThat(standby.isInRecovery()).isFalse();
      standby.execute("INSERT INTO t VALUES (2, 'after promotion')");
      assertThat(standby.queryString("SELECT count(*) FROM t")).isEqualTo("2");
    }
  }

  @Test
  void restartsOnTheSamePortAndStartsFromACopiedDataDir(@TempDir Path tmp) throws IOException {
    int major = PgVersions.highest();
    try (PostgresServer primary = PostgresServer.start(major)) {
      int port = primary.port();
      primary.execute("CREATE TABLE kept(v text); INSERT INTO kept VALUES ('survives')");
      primary.restart();
      assertThat(primary.port()).isEqualTo(port);
      assertThat(primary.queryString("SELECT v FROM kept")).isEqualTo("survives");

      primary.stop();
      assertThat(primary.isRunning()).isFalse();
      Path copy = tmp.resolve("copy");
      ServerDirectories.copyDataDir(primary.dataDir(), copy);
      try (PostgresServer restored = PostgresServer.startFromDataDir(copy)) {
        assertThat(restored.port()).isNotEqualTo(port);
        assertThat(restored.dataDir()).isEqualTo(copy.toAbsolutePath());
        assertThat(restored.queryString("SELECT v FROM kept")).isEqualTo("survives");
      }
      assertThat(copy.resolve("PG_VERSION")).exists();
      primary.start();
      assertThat(primary.queryString("SELECT v FROM kept")).isEqualTo("survives");
    }
  }

  @Test
  void startFailureReportsTheServerLogAndInitdbOutput() {
    PostgresServer.Options broken =
        PostgresServer.Options.of(PgVersions.highest()).withSetting("shared_buffers", "lots");
    assertThatThrownBy(() -> PostgresServer.start(broken).close())
        .isInstanceOf(PostgresServerException.class)
        .hasMessageContaining("failed to start")
        .hasMessageContaining("shared_buffers")
        .hasMessageContaining("--- initdb output ---");
  }

  @Test
  void proxiesASqlConnectionAndCutsIt() throws SQLException {
    PostgresServer server = PostgresServer.shared(PgVersions.highest());
    try (TcpProxy proxy = TcpProxy.to(server)) {
      String url =
          "jdbc:postgresql://"
              + proxy.host()
              + ":"
              + proxy.port()
              + "/postgres?user=postgres"
              + "&sslmode=disable";
      try (Connection c = DriverManager.getConnection(url);
          Statement st = c.createStatement()) {
        assertThat(st.executeQuery("SELECT 1").next()).isTrue();
        assertThat(proxy.connectionCount()).isEqualTo(1);
        proxy.cutAll();
        assertThatThrownBy(() -> st.executeQuery("SELECT 1")).isInstanceOf(SQLException.class);
      }
    }
  }

  private static Connection replicationConnection(
      PostgresServer server, String user, String sslMode) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", PostgresServer.PASSWORD);
    props.setProperty("replication", "true");
    props.setProperty("assumeMinServerVersion", "9.4");
    props.setProperty("preferQueryMode", "simple");
    props.setProperty("sslmode", sslMode);
    props.setProperty("gssEncMode", "disable");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + server.host() + ":" + server.port() + "/postgres", props);
  }
}
