// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static io.jwalreceiver.protocol.WireBytes.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.WireBytes;
import io.jwalreceiver.testkit.ScriptedBackend;
import io.jwalreceiver.testkit.TestTls;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * A fake server over a real socket (TLS where the case needs it) that tries to get the client past
 * authentication without proving anything, driven through {@link Connector} as any tool connects.
 * The client must refuse with libpq's message and send the server nothing after the refusal: no
 * password it was not allowed to send, no replication command.
 */
class HostileAuthServerTest {

  private static final Duration HANG_GUARD = Duration.ofSeconds(30);

  /** How long the client may take to close the connection after refusing. */
  private static final Duration CLIENT_GONE = Duration.ofSeconds(20);

  /** AuthenticationOk, the parameters a walsender reports, BackendKeyData, ReadyForQuery. */
  private static byte[] okAndReady() {
    return WireBytes.create()
        .bytes(frame('R', WireBytes.create().int32(0).toArray()))
        .bytes(frame('S', WireBytes.create().cString("server_version").cString("16.4").toArray()))
        .bytes(frame('S', WireBytes.create().cString("integer_datetimes").cString("on").toArray()))
        .bytes(frame('K', WireBytes.create().int32(4242).int32(7).toArray()))
        .bytes(frame('Z', new byte[] {'I'}))
        .toArray();
  }

  @Test
  void channelBindingRequireRefusesAServerThatSaysOkRightAfterTheClientFirstMessage()
      throws Exception {
    // The server offers SCRAM-SHA-256-PLUS, takes the client-first-message and declares the
    // client authenticated: no server-first, no server-final, no signature.
    byte[] offer =
        frame(
            'R',
            WireBytes.create()
                .int32(10)
                .cString("SCRAM-SHA-256-PLUS")
                .cString("SCRAM-SHA-256")
                .int8(0)
                .toArray());
    try (ScriptedBackend server =
        new ScriptedBackend(TestTls.serverContext())
            .onStartup((command, out) -> out.write(offer))
            .onMessage('p', (command, out) -> out.write(okAndReady()))
            .start()) {
      ConnectionConfig cfg =
          to(server, "pw").sslMode(SslMode.REQUIRE).channelBinding(ChannelBinding.REQUIRE).build();

      PgException e =
          refused(
              () -> {
                try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
                  c.identifySystem();
                }
              });
      assertThat(e.getMessage())
          .isEqualTo(
              "connection to server at \"127.0.0.1\", port "
                  + server.port()
                  + " failed: channel binding required, but server authenticated client"
                  + " without channel binding");
      assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_AUTHORIZATION);
      server.awaitClientGone(CLIENT_GONE);
      // The SASLInitialResponse went out (the server offered PLUS); nothing after AuthenticationOk.
      assertThat(server.received()).containsExactly('p');
      assertThat(server.tlsHandshaken()).isTrue();
    }
  }

  @Test
  void requireAuthScramSendsNoCleartextPassword() throws Exception {
    byte[] askCleartext = frame('R', WireBytes.create().int32(3).toArray());
    try (ScriptedBackend server =
        new ScriptedBackend()
            .onStartup((command, out) -> out.write(askCleartext))
            .onMessage('p', (command, out) -> out.write(okAndReady()))
            .start()) {
      ConnectionConfig cfg =
          to(server, "the-password").sslMode(SslMode.DISABLE).requireAuth("scram-sha-256").build();

      PgException e = refused(() -> ReplicationConnection.open(cfg).close());
      assertThat(e.getMessage())
          .isEqualTo(
              "connection to server at \"127.0.0.1\", port "
                  + server.port()
                  + " failed: authentication method requirement \"scram-sha-256\""
                  + " failed: server requested a cleartext password");
      server.awaitClientGone(CLIENT_GONE);
      assertThat(server.received()).isEmpty();
    }
  }

  /** User {@code repl} with {@code password} at the scripted server, a 10 s connect timeout. */
  private static ConnectionConfig.Builder to(ScriptedBackend server, String password) {
    return ConnectionConfig.of("127.0.0.1", server.port(), "repl").toBuilder()
        .password(password)
        .connectTimeout(Duration.ofSeconds(10));
  }

  /** What {@code connect} fails with, within {@link #HANG_GUARD}: it must fail. */
  private static PgException refused(ThrowingCallable connect) {
    PgException e =
        assertTimeoutPreemptively(
            HANG_GUARD, () -> catchThrowableOfType(PgException.class, connect));
    assertThat(e).isNotNull();
    return e;
  }
}
