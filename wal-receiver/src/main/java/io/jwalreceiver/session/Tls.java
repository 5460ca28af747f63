// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509CRL;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The TLS side of libpq's connection options: which certificates are trusted, what the client
 * presents, which protocol versions and server name are offered, and how the host name is checked
 * (libpq 18 with OpenSSL).
 *
 * <ul>
 *   <li>Chain verification: with {@code verify-ca} and {@code verify-full}, and — as libpq does —
 *       with any other sslmode when the root certificate file ({@code sslrootcert}, default {@code
 *       ~/.postgresql/root.crt}) exists. {@code sslrootcert=system} means the JDK's trusted roots
 *       ({@code verify-full} only, enforced by {@link ConnInfo}).
 *   <li>Revocation: when the roots come from a file, the CRLs of {@code sslcrl} (default {@code
 *       ~/.postgresql/root.crl}) and {@code sslcrldir} (OpenSSL's hashed names, {@code
 *       XXXXXXXX.rN}) are checked for every certificate of the chain, and a certificate without a
 *       CRL from its issuer then fails, as OpenSSL's CRL_CHECK_ALL does. A CRL file that is missing
 *       or unreadable turns revocation checking off silently, as in libpq. Nothing is fetched from
 *       the network.
 *   <li>Host name ({@code verify-full} only): {@link HostNameCheck}, always against {@code host}.
 *   <li>Client certificate: {@link ClientKeyMaterial}.
 *   <li>Protocols: {@code ssl_min_protocol_version} (default TLSv1.2) to {@code
 *       ssl_max_protocol_version} (default: the newest, TLSv1.3), within what the JDK allows.
 *   <li>SNI: the host name is sent when {@code sslsni} is {@code 1} (the default) and the host is
 *       not an IP address literal.
 * </ul>
 */
final class Tls {

  private Tls() {}

  /**
   * The client's own TLS material could not be loaded (certificate, key, password): libpq then
   * gives up on TLS for this attempt, so sslmode=prefer goes on in plain text.
   */
  static final class SetupFailure extends PgException {
    private static final long serialVersionUID = 1L;

    SetupFailure(PgException e) {
      super(e.sqlState(), String.valueOf(e.getMessage()), e.detail(), e.hint(), e);
    }
  }

  /**
   * Performs the TLS handshake over an established socket and checks the peer per sslmode. The
   * certificate is checked against {@code cfg.host()} whatever address the socket reached.
   */
  static SSLSocket handshake(Socket plain, ConnectionConfig cfg) {
    String host = cfg.host();
    TlsOptions options = cfg.tls();
    SslMode mode = cfg.sslMode();
    Path rootCert = cfg.sslRootCert();
    boolean system = rootCert != null && rootCert.toString().equals("system");
    boolean rootFileExists = rootCert != null && !system && Files.exists(rootCert);
    boolean verifyChain = mode.verifiesChain() || system || rootFileExists;
    try {
      ClientKeyMaterial client;
      try {
        client = ClientKeyMaterial.load(options);
      } catch (PgException e) {
        throw new SetupFailure(e);
      }
      TrustManager[] tms = verifyChain ? trustManagers(rootCert, system, options) : trustAll();
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(client == null ? null : new KeyManager[] {client.keyManager()}, tms, null);
      SSLSocket s =
          (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, plain.getPort(), true);
      s.setUseClientMode(true);
      SSLParameters params = s.getSSLParameters();
      params.setProtocols(
          TlsSettings.protocols(options.minProtocolVersion(), options.maxProtocolVersion()));
      params.setServerNames(sendsSni(options, host) ? serverName(host) : List.of());
      s.setSSLParameters(params);
      try {
        s.startHandshake();
      } catch (IOException e) {
        closeQuietly(s);
        throw handshakeFailure(e, options);
      }
      if (mode == SslMode.VERIFY_FULL) {
        X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
        try {
          HostNameCheck.verify(leaf, host);
        } catch (PgException e) {
          closeQuietly(s);
          throw e;
        }
      }
      return s;
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new PgException(SqlState.CONNECTION_UNABLE, "SSL error: " + rootMessage(e), e);
    }
  }

  /**
   * libpq's SNI rule: only when enabled ({@code sslsni} starts with {@code 1}, the default) and the
   * host is not made only of digits and dots and has no colon.
   */
  static boolean sendsSni(TlsOptions options, String host) {
    String sni = options.sni();
    if (sni != null && !sni.startsWith("1")) {
      return false;
    }
    if (host == null || host.isEmpty() || host.contains(":")) {
      return false;
    }
    return !host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
  }

  /**
   * The SNI entry for a host name. JSSE refuses a trailing dot (and a few names OpenSSL would send
   * as they are); the dotless form is sent then, or nothing when JSSE takes neither.
   */
  static List<SNIServerName> serverName(String host) {
    String dotless = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    for (String name : List.of(host, dotless)) {
      try {
        return List.of(new SNIHostName(name));
      } catch (IllegalArgumentException e) {
        // try the next form
      }
    }
    return List.of();
  }

  private static PgException handshakeFailure(IOException e, TlsOptions options) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateException) {
        return new PgException(
            SqlState.CONNECTION_UNABLE,
            "SSL error: certificate verify failed",
            rootMessage(e),
            null,
            e);
      }
    }
    String reason = rootMessage(e);
    if (reason != null
        && (reason.contains("protocol_version") || reason.contains("No appropriate protocol"))) {
      String min =
          options.minProtocolVersion() == null
              ? TlsSettings.DEFAULT_MIN_PROTOCOL
              : options.minProtocolVersion();
      String max = options.maxProtocolVersion() == null ? "TLSv1.3" : options.maxProtocolVersion();
      return new PgException(
          SqlState.CONNECTION_UNABLE,
          "SSL error: "
              + (reason.contains("protocol_version")
                  ? "tlsv1 alert protocol version"
                  : "no protocols available"),
          null,
          "This may indicate that the server does not support any SSL protocol version between "
              + min
              + " and "
              + max
              + ".",
          e);
    }
    return new PgException(SqlState.CONNECTION_UNABLE, "SSL error: " + reason, e);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // Best effort.
    }
  }

  private static @Nullable String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : e.getMessage();
  }

  private static TrustManager[] trustManagers(
      @Nullable Path rootCert, boolean system, TlsOptions options)
      throws GeneralSecurityException, IOException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    if (system) {
      tmf.init((KeyStore) null);
      return tmf.getTrustManagers();
    }
    if (rootCert == null || !Files.isRegularFile(rootCert)) {
      String file = rootCert == null ? "~/.postgresql/root.crt" : rootCert.toString();
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          "root certificate file \"" + file + "\" does not exist",
          null,
          "Either provide the file, use the system's trusted roots with sslrootcert=system, or"
              + " change sslmode to disable server certificate verification.",
          null);
    }
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    try (InputStream in = Files.newInputStream(rootCert)) {
      int i = 0;
      for (Certificate c : cf.generateCertificates(in)) {
        ks.setCertificateEntry("root" + i++, c);
      }
      if (i == 0) {
        throw new PgException(
            SqlState.CONNECTION_UNABLE,
            "could not read root certificate file \"" + rootCert + "\": no certificates found");
      }
    }
    List<X509CRL> crls = RevocationLists.load(options.sslCrl(), options.sslCrlDir());
    if (crls == null) {
      tmf.init(ks);
      return tmf.getTrustManagers();
    }
    PKIXBuilderParameters pkix = new PKIXBuilderParameters(ks, new X509CertSelector());
    pkix.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
    pkix.setRevocationEnabled(true);
    PKIXRevocationChecker checker =
        (PKIXRevocationChecker) CertPathValidator.getInstance("PKIX").getRevocationChecker();
    checker.setOptions(
        EnumSet.of(
            PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
    pkix.addCertPathChecker(checker);
    tmf.init(new CertPathTrustManagerParameters(pkix));
    return tmf.getTrustManagers();
  }

  private static TrustManager[] trustAll() {
    return new TrustManager[] {
      new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }
    };
  }
}
