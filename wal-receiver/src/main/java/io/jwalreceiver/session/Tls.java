// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS side of libpq's sslmode: which certificates are trusted and how the host name is
 * checked.
 *
 * <ul>
 *   <li>{@code require}: encrypted, certificate not checked — unless a root certificate file is
 *       given or {@code ~/.postgresql/root.crt} exists, in which case libpq verifies the chain
 *       as {@code verify-ca} does; we do the same.
 *   <li>{@code verify-ca}: the chain must lead to a root in {@code sslrootcert} ({@code system}
 *       means the JDK's trusted roots).
 *   <li>{@code verify-full}: also the host name must match a subjectAltName (dNSName for names,
 *       iPAddress for addresses), or the common name when there is no subjectAltName of that kind.
 * </ul>
 */
final class Tls {

  private Tls() {}

  /** Performs the TLS handshake over an established socket and checks the peer per sslmode. */
  static SSLSocket handshake(Socket plain, String host, int port, ConnectionConfig cfg) {
    SslMode mode = cfg.sslMode();
    boolean verifyChain = mode.verifiesChain() || (mode == SslMode.REQUIRE && cfg.sslRootCert() != null);
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      TrustManager[] tms = verifyChain ? trustManagers(cfg.sslRootCert(), mode) : trustAll();
      ctx.init(null, tms, null);
      SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, port, true);
      s.setUseClientMode(true);
      s.startHandshake();
      if (mode == SslMode.VERIFY_FULL) {
        X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
        checkHostName(leaf, host);
      }
      return s;
    } catch (SSLException e) {
      throw new PgException(SqlState.CONNECTION_UNABLE, "SSL error: " + rootMessage(e), e);
    } catch (IOException | GeneralSecurityException e) {
      throw new PgException(SqlState.CONNECTION_UNABLE, "SSL error: " + e.getMessage(), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : e.getMessage();
  }

  private static TrustManager[] trustManagers(Path rootCert, SslMode mode)
      throws GeneralSecurityException, IOException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    if (rootCert != null && rootCert.toString().equals("system")) {
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
    tmf.init(ks);
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

  /** libpq's verify-full host check, with libpq's message on a mismatch. */
  static void checkHostName(X509Certificate cert, String host) throws CertificateParsingException {
    boolean isIp = looksLikeIp(host);
    List<String> names = new ArrayList<>();
    boolean sawKind = false;
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    if (sans != null) {
      for (List<?> san : sans) {
        int kind = (Integer) san.get(0);
        String value = String.valueOf(san.get(1));
        if (kind == 2) { // dNSName
          names.add(value);
          if (!isIp) {
            sawKind = true;
            if (dnsMatches(value, host)) {
              return;
            }
          }
        } else if (kind == 7) { // iPAddress
          names.add(value);
          if (isIp) {
            sawKind = true;
            if (ipMatches(value, host)) {
              return;
            }
          }
        }
      }
    }
    if (!sawKind) {
      String cn = commonName(cert);
      if (cn != null) {
        names.add(cn);
        if (isIp ? ipMatches(cn, host) : dnsMatches(cn, host)) {
          return;
        }
      }
    }
    String message;
    if (names.isEmpty()) {
      message = "could not get server's host name from server certificate";
    } else if (names.size() == 1) {
      message = "server certificate for \"" + names.get(0) + "\" does not match host name \""
          + host + "\"";
    } else {
      message = "server certificate for \"" + names.get(0) + "\" (and " + (names.size() - 1)
          + " other name" + (names.size() > 2 ? "s" : "") + ") does not match host name \""
          + host + "\"";
    }
    throw new PgException(SqlState.CONNECTION_UNABLE, message);
  }

  private static boolean looksLikeIp(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  private static boolean ipMatches(String certValue, String host) {
    try {
      return InetAddress.getByName(certValue).equals(InetAddress.getByName(host));
    } catch (IOException e) {
      return false;
    }
  }

  /** Exact match, or a wildcard in the whole first label ({@code *.example.com}). */
  private static boolean dnsMatches(String pattern, String host) {
    String p = pattern.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    if (p.equals(h)) {
      return true;
    }
    if (p.startsWith("*.")) {
      int dot = h.indexOf('.');
      return dot > 0 && h.substring(dot).equals(p.substring(1));
    }
    return false;
  }

  private static String commonName(X509Certificate cert) {
    try {
      LdapName dn = new LdapName(cert.getSubjectX500Principal().getName());
      for (Rdn rdn : dn.getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }
}
