// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.VersionedCases;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * require_auth and channel_binding against real servers: each test role is authenticated by one
 * pg_hba.conf method (trust, password, md5, scram-sha-256), so a requirement either lets the
 * connection through or stops it with libpq's message before the client answers the server.
 */
@Tag("postgres")
class RequireAuthIT {

  private static ConnectionConfig tcp(PostgresServer server, String user, String requireAuth) {
    return ServerConnections.tcp(server, user)
        .password(PostgresServer.PASSWORD)
        .requireAuth(requireAuth)
        .build();
  }

  private static final String TRUST = PostgresServer.REPL_TRUST;
  private static final String PASSWORD = PostgresServer.REPL_PASSWORD;
  private static final String MD5 = PostgresServer.REPL_MD5;
  private static final String SCRAM = PostgresServer.REPL_SCRAM;

  /** require_auth, role, null when the connection succeeds, else the end of libpq's message. */
  static Stream<Object[]> cases() {
    String cleartext = "server requested a cleartext password";
    String hashed = "server requested a hashed password";
    String sasl = "server requested SASL authentication";
    String incomplete = "server did not complete authentication";
    Object[][] table = {
      {"scram-sha-256", SCRAM, null},
      {"scram-sha-256", PASSWORD, cleartext},
      {"scram-sha-256", MD5, hashed},
      {"scram-sha-256", TRUST, incomplete},
      {"password", PASSWORD, null},
      {"password", SCRAM, sasl},
      {"md5", MD5, null},
      {"md5", PASSWORD, cleartext},
      {"md5,scram-sha-256", SCRAM, null},
      {"none", TRUST, null},
      {"none", MD5, hashed},
      {"none,password", PASSWORD, null},
      {"!password", PASSWORD, cleartext},
      {"!password", SCRAM, null},
      {"!password", TRUST, null},
      {"!none", TRUST, incomplete},
      {"!none", MD5, null},
      {"!scram-sha-256", SCRAM, "server requested SCRAM-SHA-256 authentication"},
      {"oauth", SCRAM, "server requested SCRAM-SHA-256 authentication"},
      {"oauth", PASSWORD, cleartext},
    };
    return VersionedCases.onEachSelected(table);
  }

  @ParameterizedTest(name = "PostgreSQL {0}: require_auth={1} as {2}")
  @MethodSource("cases")
  void requireAuthLetsThroughOnlyTheAllowedMethods(
      int major, String requireAuth, String role, String failure) {
    PostgresServer server = PostgresServer.shared(major);
    ConnectionConfig cfg = tcp(server, role, requireAuth);
    if (failure == null) {
      try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
        assertThat(c.identifySystem().systemId()).isNotEmpty();
      }
    } else {
      PgException e = ServerConnections.refusal(cfg);
      assertThat(e)
          .hasMessage(
              ServerConnections.failedAt(server)
                  + "authentication method requirement \""
                  + requireAuth
                  + "\" failed: "
                  + failure);
      assertThat(e.fromServer()).isFalse();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void channelBindingRequireWithScramPlusAndRequireAuthOverVerifyFull(int major) {
    PostgresServer server = PostgresServer.sharedTls(major);
    ConnectionConfig cfg =
        verifyFull(server, PostgresServer.REPL_TLS).toBuilder()
            .requireAuth("scram-sha-256")
            .build();
    try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
      assertThat(c.isTls()).isTrue();
      assertThat(c.isChannelBound()).isTrue();
      assertThat(c.identifySystem().systemId()).isNotEmpty();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void channelBindingRequireRefusesNonScramMethodsOverTls(int major) {
    PostgresServer server = PostgresServer.sharedTls(major);
    String where =
        "connection to server at \"localhost\" ("
            + server.host()
            + "), port "
            + server.port()
            + " failed: ";
    assertThatThrownBy(() -> ReplicationConnection.open(verifyFull(server, MD5)).close())
        .hasMessage(
            where
                + "channel binding required but not supported by server's"
                + " authentication request");
    assertThatThrownBy(() -> ReplicationConnection.open(verifyFull(server, PASSWORD)).close())
        .hasMessage(
            where
                + "channel binding required but not supported by server's"
                + " authentication request");
    assertThatThrownBy(() -> ReplicationConnection.open(verifyFull(server, TRUST)).close())
        .hasMessage(
            where
                + "channel binding required, but server authenticated client without"
                + " channel binding");
  }

  private static ConnectionConfig verifyFull(PostgresServer server, String user) {
    return ServerConnections.verifyFull(server, "localhost", user)
        .channelBinding(ChannelBinding.REQUIRE)
        .build();
  }
}
