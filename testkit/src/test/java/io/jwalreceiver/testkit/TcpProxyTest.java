// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

  private ServerSocket echoListener;
  private Thread echoAcceptor;

  @BeforeEach
  void startEchoServer() throws IOException {
    echoListener = new ServerSocket();
    echoListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    echoAcceptor = new Thread(this::echoLoop, "echo-accept");
    echoAcceptor.setDaemon(true);
    echoAcceptor.start();
  }

  @AfterEach
  void stopEchoServer() throws Exception {
    echoListener.close();
    echoAcceptor.join(5000);
  }

  /** What a test does with the proxy and a client whose first message came back through it. */
  @FunctionalInterface
  private interface ProxiedClient {
    void accept(TcpProxy proxy, Socket client) throws Exception;
  }

  /**
   * Runs {@code test} once {@code first} has made the round trip through a new proxy, on the one
   * connection the proxy then holds.
   */
  private void afterAnEcho(String first, ProxiedClient test) throws Exception {
    try (TcpProxy proxy = proxy();
        Socket client = connect(proxy)) {
      assertThat(roundTrip(client, first)).isEqualTo(first);
      assertThat(proxy.connectionCount()).isEqualTo(1);
      test.accept(proxy, client);
    }
  }

  @Test
  void forwardsBothDirections() throws Exception {
    afterAnEcho("hello", (proxy, client) -> await(() -> proxy.bytesForwarded() == 10));
  }

  @Test
  void cutAllResetsTheClientSide() throws Exception {
    afterAnEcho(
        "ping",
        (proxy, client) -> {
          assertThat(proxy.cutAll()).isEqualTo(1);
          client.setSoTimeout(5000);
          assertThatThrownBy(() -> readOrFailAtEnd(client.getInputStream()))
              .isInstanceOf(IOException.class)
              .isNotInstanceOf(SocketTimeoutException.class);
          await(() -> proxy.connectionCount() == 0);
          // The proxy keeps accepting after a cut.
          try (Socket again = connect(proxy)) {
            assertThat(roundTrip(again, "again")).isEqualTo("again");
          }
        });
  }

  @Test
  void pauseHoldsDataUntilResume() throws Exception {
    afterAnEcho(
        "a",
        (proxy, client) -> {
          proxy.pause();
          client.getOutputStream().write("held".getBytes(StandardCharsets.US_ASCII));
          client.setSoTimeout(300);
          assertThatThrownBy(() -> client.getInputStream().read())
              .isInstanceOf(SocketTimeoutException.class);
          proxy.resume();
          client.setSoTimeout(5000);
          assertThat(new String(client.getInputStream().readNBytes(4), StandardCharsets.US_ASCII))
              .isEqualTo("held");
        });
  }

  @Test
  void cutAllReachesPausedConnections() throws Exception {
    afterAnEcho(
        "x",
        (proxy, client) -> {
          proxy.pause();
          client.getOutputStream().write('y');
          proxy.cutAll();
          client.setSoTimeout(5000);
          assertThatThrownBy(() -> readOrFailAtEnd(client.getInputStream()))
              .isInstanceOf(IOException.class);
          await(() -> proxy.connectionCount() == 0);
        });
  }

  @Test
  void forgetsConnectionsTheClientCloses() throws Exception {
    try (TcpProxy proxy = proxy()) {
      for (int i = 0; i < 5; i++) {
        try (Socket client = connect(proxy)) {
          assertThat(roundTrip(client, "n" + i)).isEqualTo("n" + i);
        }
      }
      await(() -> proxy.connectionCount() == 0);
    }
  }

  @Test
  void closeStopsListening() throws Exception {
    TcpProxy proxy = proxy();
    int port = proxy.port();
    Socket client = connect(proxy);
    proxy.close();
    client.setSoTimeout(5000);
    assertThatThrownBy(() -> readOrFailAtEnd(client.getInputStream()))
        .isInstanceOf(IOException.class);
    client.close();
    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
        .isInstanceOf(IOException.class);
  }

  private TcpProxy proxy() {
    return new TcpProxy(
        InetAddress.getLoopbackAddress().getHostAddress(), echoListener.getLocalPort());
  }

  private static Socket connect(TcpProxy proxy) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(proxy.host(), proxy.port()), 5000);
    socket.setSoTimeout(5000);
    return socket;
  }

  private static String roundTrip(Socket client, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    client.getOutputStream().write(bytes);
    return new String(client.getInputStream().readNBytes(bytes.length), StandardCharsets.US_ASCII);
  }

  /** Reads until the stream fails; an orderly end of stream counts as a failure too. */
  private static void readOrFailAtEnd(InputStream in) throws IOException {
    while (true) {
      if (in.read() < 0) {
        throw new IOException("end of stream");
      }
    }
  }

  private static void await(BooleanSupplier condition) {
    Waits.await(Duration.ofSeconds(5), condition, "the condition");
  }

  private void echoLoop() {
    while (true) {
      Socket s;
      try {
        s = echoListener.accept();
      } catch (IOException e) {
        return;
      }
      Thread t =
          new Thread(
              () -> {
                try (Socket socket = s;
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream()) {
                  in.transferTo(out);
                } catch (IOException e) {
                  // Client went away.
                }
              },
              "echo");
      t.setDaemon(true);
      t.start();
    }
  }
}
