// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static io.jwalreceiver.protocol.WireBytes.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.WireBytes;
import io.jwalreceiver.testkit.TestTls;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * A fake server over a real socket (TLS where the case needs it) that tries to get the client
 * past authentication without proving anything, driven through {@link Connector} as any tool
 * connects. The client must refuse with libpq's message and send the server nothing after the
 * refusal: no password it was not allowed to send, no replication command.
 */
class HostileAuthServerTest {

  private static final Duration HANG_GUARD = Duration.ofSeconds(30);

  /** AuthenticationOk, the parameters a walsender reports, BackendKeyData, ReadyForQuery. */
  private static byte[] okAndReady() {
    return WireBytes.create()
        .bytes(frame('R', WireBytes.create().int32(0).toArray()))
        .bytes(frame('S', WireBytes.create().cString("server_version").cString("16.4").toArray()))
        .bytes(frame('S',
            WireBytes.create().cString("integer_datetimes").cString("on").toArray()))
        .bytes(frame('K', WireBytes.create().int32(4242).int32(7).toArray()))
        .bytes(frame('Z', new byte[] {'I'}))
        .toArray();
  }

  @Test
  void channelBindingRequireRefusesAServerThatSaysOkRightAfterTheClientFirstMessage()
      throws Exception {
    // The server offers SCRAM-SHA-256-PLUS, takes the client-first-message and declares the
    // client authenticated: no server-first, no server-final, no signature.
    byte[] offer = frame('R', WireBytes.create().int32(10)
        .cString("SCRAM-SHA-256-PLUS").cString("SCRAM-SHA-256").int8(0).toArray());
    try (FakeServer server = new FakeServer(true, offer, okAndReady())) {
      ConnectionConfig cfg = ConnectionConfig.builder()
          .host("127.0.0.1").port(server.port()).user("repl").password("pw")
          .sslMode(SslMode.REQUIRE)
          .channelBinding(ChannelBinding.REQUIRE)
          .connectTimeout(Duration.ofSeconds(10)).build();

      PgException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchThrowableOfType(
          PgException.class, () -> {
            try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
              c.identifySystem();
            }
          }));

      assertThat(e).isNotNull();
      assertThat(e.getMessage()).isEqualTo("connection to server at \"127.0.0.1\", port "
          + server.port() + " failed: channel binding required, but server authenticated client"
          + " without channel binding");
      assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_AUTHORIZATION);
      server.awaitClientGone();
      // The SASLInitialResponse went out (the server offered PLUS); nothing after AuthenticationOk.
      assertThat(server.received()).containsExactly('p');
      assertThat(server.tls()).isTrue();
    }
  }

  @Test
  void requireAuthScramSendsNoCleartextPassword() throws Exception {
    byte[] askCleartext = frame('R', WireBytes.create().int32(3).toArray());
    try (FakeServer server = new FakeServer(false, askCleartext, okAndReady())) {
      ConnectionConfig cfg = ConnectionConfig.builder()
          .host("127.0.0.1").port(server.port()).user("repl").password("the-password")
          .sslMode(SslMode.DISABLE)
          .requireAuth("scram-sha-256")
          .connectTimeout(Duration.ofSeconds(10)).build();

      PgException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchThrowableOfType(
          PgException.class, () -> ReplicationConnection.open(cfg).close()));

      assertThat(e).isNotNull();
      assertThat(e.getMessage()).isEqualTo("connection to server at \"127.0.0.1\", port "
          + server.port() + " failed: authentication method requirement \"scram-sha-256\""
          + " failed: server requested a cleartext password");
      server.awaitClientGone();
      assertThat(server.received()).isEmpty();
    }
  }

  /**
   * Accepts one connection: optionally answers SSLRequest with 'S' and a TLS handshake, reads the
   * startup packet, sends {@code challenge}, and after the client's first answer (if any) sends
   * {@code afterAnswer}. Records the type of every frontend message after the startup packet.
   */
  private static final class FakeServer implements AutoCloseable {
    private final ServerSocket listener;
    private final boolean tls;
    private final byte[] challenge;
    private final byte[] afterAnswer;
    private final Thread thread;
    private final List<Character> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean handshaken;

    FakeServer(boolean tls, byte[] challenge, byte[] afterAnswer) throws IOException {
      this.tls = tls;
      this.challenge = challenge;
      this.afterAnswer = afterAnswer;
      listener = new ServerSocket();
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      thread = new Thread(this::serve, "hostile-auth-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    List<Character> received() {
      return received;
    }

    boolean tls() {
      return handshaken;
    }

    void awaitClientGone() throws InterruptedException {
      assertThat(done.await(20, TimeUnit.SECONDS)).as("the client closes the connection").isTrue();
    }

    private void serve() {
      try (Socket plain = listener.accept()) {
        plain.setSoTimeout(15_000);
        Socket s = plain;
        if (tls) {
          DataInputStream in = new DataInputStream(plain.getInputStream());
          in.readFully(new byte[8]); // SSLRequest
          plain.getOutputStream().write('S');
          SSLSocket t = (SSLSocket) TestTls.serverContext().getSocketFactory()
              .createSocket(plain, null, plain.getPort(), false);
          t.setUseClientMode(false);
          t.startHandshake();
          handshaken = true;
          s = t;
        }
        converse(new DataInputStream(s.getInputStream()), s.getOutputStream());
      } catch (IOException e) {
        // The client went away, or the listener was closed.
      } finally {
        done.countDown();
      }
    }

    private void converse(DataInputStream in, OutputStream out) throws IOException {
      int length = in.readInt();
      in.readFully(new byte[length - 4]); // protocol version and parameters
      out.write(challenge);
      out.flush();
      boolean answered = false;
      while (true) {
        int type;
        try {
          type = in.readUnsignedByte();
        } catch (EOFException | SocketTimeoutException e) {
          return;
        }
        received.add((char) type);
        in.readFully(new byte[in.readInt() - 4]);
        if (!answered) {
          answered = true;
          out.write(afterAnswer);
          out.flush();
        }
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
