// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.jwalreceiver.PgException;
import io.jwalreceiver.testkit.PostgresServer;
import java.time.Duration;

/** Connection settings and refusals shared by the session ITs against real servers. */
final class ServerConnections {

  private ServerConnections() {}

  /** {@code user} at the server's TCP address, without TLS, with a 20 s connect timeout. */
  static ConnectionConfig.Builder tcp(PostgresServer server, String user) {
    return ConnectionConfig.builder()
        .host(server.host())
        .port(server.port())
        .user(user)
        .sslMode(SslMode.DISABLE)
        .connectTimeout(Duration.ofSeconds(20));
  }

  /**
   * {@code user} with {@link PostgresServer#PASSWORD} at the server's TCP address, sslmode default.
   */
  static ConnectionConfig.Builder withPassword(PostgresServer server, String user) {
    return ConnectionConfig.builder()
        .host(server.host())
        .port(server.port())
        .user(user)
        .password(PostgresServer.PASSWORD);
  }

  /**
   * {@code user} with {@link PostgresServer#PASSWORD} at {@code host}, verify-full against the CA.
   */
  static ConnectionConfig.Builder verifyFull(PostgresServer server, String host, String user) {
    return withPassword(server, user)
        .host(host)
        .sslMode(SslMode.VERIFY_FULL)
        .sslRootCert(server.caCertFile())
        .connectTimeout(Duration.ofSeconds(20));
  }

  /** The error opening a connection with {@code cfg} fails with. */
  static PgException refusal(ConnectionConfig cfg) {
    Throwable t = catchThrowable(() -> ReplicationConnection.open(cfg).close());
    assertThat(t).isInstanceOf(PgException.class);
    return (PgException) t;
  }

  /** libpq's prefix of a failed attempt at the server's TCP address. */
  static String failedAt(PostgresServer server) {
    return "connection to server at \"" + server.host() + "\", port " + server.port() + " failed: ";
  }
}
