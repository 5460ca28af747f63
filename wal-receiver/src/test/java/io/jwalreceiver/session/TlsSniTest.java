// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500Name;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which server name the handshake carries (sslsni), seen by an in-process TLS server that answers
 * the SSLRequest with 'S', records the ClientHello's server names and hangs up. No PostgreSQL
 * server can show this: none reports the SNI it received.
 */
// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
class TlsSniTest {

  private static SSLContext serverContext;

  @BeforeAll
  static void serverCertificate() throws Exception {
    KeyPair keys = SelfSignedCertificates.keys("EC");
    X509Certificate cert =
        SelfSignedCertificates.selfSigned(new X500Name("CN=localhost"), keys, List.of());
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] pass = "x".toCharArray();
    store.setKeyEntry("server", keys.getPrivate(), pass, new X509Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, pass);
    serverContext = SSLContext.getInstance("TLS");
    serverContext.init(kmf.getKeyManagers(), null, null);
  }

  /** Connects as {@code host} with the given sslsni and returns the names the server saw. */
  private static List<String> serverNamesSeen(String host, String sni) throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<List<String>> seen =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket plain = listener.accept()) {
                  new DataInputStream(plain.getInputStream()).readFully(new byte[8]);
                  plain.getOutputStream().write('S');
                  plain.getOutputStream().flush();
                  try (SSLSocket tls =
                      (SSLSocket)
                          serverContext.getSocketFactory().createSocket(plain, null, false)) {
                    tls.setUseClientMode(false);
                    tls.startHandshake();
                    List<String> names = new ArrayList<>();
                    for (SNIServerName n :
                        ((ExtendedSSLSession) tls.getSession()).getRequestedServerNames()) {
                      names.add(((SNIHostName) n).getAsciiName());
                    }
                    return names;
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      ConnectionConfig cfg =
          ConnectionConfig.builder()
              .host(host)
              .port(listener.getLocalPort())
              .user("nobody")
              .sslMode(SslMode.REQUIRE)
              .connectTimeout(Duration.ofSeconds(10))
              .tls(new TlsOptions(null, null, null, null, null, null, null, sni, null))
              .build();
      try {
        ReplicationConnection.open(cfg).close();
      } catch (RuntimeException expected) {
        // The server hangs up after the handshake.
      }
      return seen.get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void sendsTheHostNameByDefault() throws Exception {
    assertThat(serverNamesSeen("localhost", null)).containsExactly("localhost");
    assertThat(serverNamesSeen("localhost", "1")).containsExactly("localhost");
  }

  @Test
  void sendsNoNameWithSslSniZero() throws Exception {
    assertThat(serverNamesSeen("localhost", "0")).isEmpty();
  }

  @Test
  void sendsNoNameForAnAddress() throws Exception {
    assertThat(serverNamesSeen("127.0.0.1", null)).isEmpty();
  }

  @Test
  void takesOnlyTheFirstCharacterAsLibpqDoes() {
    assertThat(Tls.sendsSni(options("1yes"), "db.example.com")).isTrue();
    assertThat(Tls.sendsSni(options("yes"), "db.example.com")).isFalse();
    assertThat(Tls.sendsSni(options(null), "10.1.2.3")).isFalse();
    assertThat(Tls.sendsSni(options(null), "::1")).isFalse();
    assertThat(Tls.sendsSni(options(null), "10.1.2.3.example")).isTrue();
  }

  @Test
  void sendsAFullyQualifiedNameWithoutItsTrailingDot() {
    assertThat(Tls.serverName("db.example.com."))
        .containsExactly(new SNIHostName("db.example.com"));
    assertThat(Tls.serverName("db.example.com")).containsExactly(new SNIHostName("db.example.com"));
  }

  private static TlsOptions options(String sni) {
    return new TlsOptions(null, null, null, null, null, null, null, sni, null);
  }
}
