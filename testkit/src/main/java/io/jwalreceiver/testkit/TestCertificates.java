// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.PostgresServerException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * Test certificates made with BouncyCastle: one self-signed CA per JVM and server certificates it
 * signs, a second CA for client certificates (the servers' {@code ssl_ca_file}) and the client
 * certificates it signs, and revocation lists of the server CA (RSA 2048, SHA256withRSA), generated
 * once each and kept for the JVM's lifetime.
 */
final class TestCertificates {

  /** The subject alternative names of a correct server certificate. */
  static final List<String> SERVER_NAMES = List.of("localhost", "127.0.0.1");

  /** The only name in the wrong-hostname certificate. */
  static final String WRONG_NAME = "wrong.example.invalid";

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private static @Nullable Authority authority;
  private static @Nullable Authority clientAuthority;
  private static @Nullable Issued validServer;
  private static @Nullable Pem wrongHostServer;
  private static @Nullable Pem localhostOnlyServer;
  private static final Map<String, Pem> CLIENTS = new HashMap<>();

  private TestCertificates() {}

  /**
   * A certificate and its key as PEM text.
   *
   * @param certificate {@code -----BEGIN CERTIFICATE-----}
   * @param privateKey unencrypted PKCS#8, {@code -----BEGIN PRIVATE KEY-----}
   */
  record Pem(String certificate, String privateKey) {}

  private record Authority(KeyPair keys, X509Certificate certificate, Pem pem) {}

  private record Issued(Pem pem, BigInteger serial) {}

  /** The CA certificate and key (PEM). */
  static synchronized Pem ca() {
    return authority().pem();
  }

  /**
   * A server certificate signed by the CA.
   *
   * @param wrongHostname whether its only name is {@link #WRONG_NAME}
   */
  static synchronized Pem server(boolean wrongHostname) {
    if (wrongHostname) {
      if (wrongHostServer == null) {
        wrongHostServer = issue(authority(), WRONG_NAME, List.of(WRONG_NAME), false).pem();
      }
      return wrongHostServer;
    }
    return validServer().pem();
  }

  /** A server certificate naming only {@code localhost}, as its CN and its one dNSName. */
  static synchronized Pem localhostOnlyServer() {
    if (localhostOnlyServer == null) {
      localhostOnlyServer = issue(authority(), "localhost", List.of("localhost"), false).pem();
    }
    return localhostOnlyServer;
  }

  /** The CA that signs client certificates (PEM). */
  static synchronized Pem clientCa() {
    return clientAuthority().pem();
  }

  /** A client certificate for {@code commonName} (no alternative names), by the client CA. */
  static synchronized Pem client(String commonName) {
    return CLIENTS.computeIfAbsent(
        commonName, cn -> issue(clientAuthority(), cn, List.of(), true).pem());
  }

  /**
   * A CRL of the server CA (PEM), valid for a day.
   *
   * @param revokeServer whether it lists the valid server certificate ({@link #server(boolean)
   *     server(false)}) as revoked
   */
  @SuppressWarnings("JavaUtilDate") // Bouncy Castle's CRL builder takes java.util.Date
  static synchronized String serverCrl(boolean revokeServer) {
    Authority ca = authority();
    Date now = new Date();
    X509v2CRLBuilder builder =
        new X509v2CRLBuilder(
            X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()), now);
    builder.setNextUpdate(Date.from(now.toInstant().plus(Duration.ofDays(1))));
    if (revokeServer) {
      builder.addCRLEntry(validServer().serial(), now, CRLReason.keyCompromise);
    }
    try {
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.certificate()));
      builder.addExtension(
          Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(SERIAL.incrementAndGet())));
      X509CRL crl =
          new JcaX509CRLConverter()
              .getCRL(
                  builder.build(
                      new JcaContentSignerBuilder("SHA256withRSA").build(ca.keys().getPrivate())));
      return write(crl);
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new PostgresServerException("cannot create a CRL", e);
    }
  }

  private static Issued validServer() {
    if (validServer == null) {
      validServer = issue(authority(), "localhost", SERVER_NAMES, false);
    }
    return validServer;
  }

  private static Authority authority() {
    if (authority == null) {
      authority = newAuthority("CN=jwalreceiver test CA,O=jwalreceiver");
    }
    return authority;
  }

  private static Authority clientAuthority() {
    if (clientAuthority == null) {
      clientAuthority = newAuthority("CN=jwalreceiver test client CA,O=jwalreceiver");
    }
    return clientAuthority;
  }

  private static Authority newAuthority(String subject) {
    try {
      KeyPair keys = rsa();
      X500Name name = new X500Name(subject);
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofDays(1))),
              Date.from(now.plus(Duration.ofDays(3650))),
              name,
              keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate cert = sign(builder, keys.getPrivate());
      return new Authority(keys, cert, new Pem(pem(cert), pem(keys.getPrivate())));
    } catch (GeneralSecurityException | CertIOException e) {
      throw new PostgresServerException("cannot create a test CA", e);
    }
  }

  private static Issued issue(Authority ca, String commonName, List<String> names, boolean client) {
    try {
      BigInteger serial = BigInteger.valueOf(SERIAL.incrementAndGet());
      KeyPair keys = rsa();
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              ca.certificate(),
              serial,
              Date.from(now.minus(Duration.ofDays(1))),
              Date.from(now.plus(Duration.ofDays(3650))),
              new X500Name("CN=" + commonName + ",O=jwalreceiver"),
              keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              client ? KeyPurposeId.id_kp_clientAuth : KeyPurposeId.id_kp_serverAuth));
      List<GeneralName> alt = new ArrayList<>();
      for (String n : names) {
        alt.add(
            isIpAddress(n)
                ? new GeneralName(GeneralName.iPAddress, n)
                : new GeneralName(GeneralName.dNSName, n));
      }
      if (!alt.isEmpty()) {
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(alt.toArray(new GeneralName[0])));
      }
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          ext.createAuthorityKeyIdentifier(ca.certificate()));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate cert = sign(builder, ca.keys().getPrivate());
      return new Issued(new Pem(pem(cert), pem(keys.getPrivate())), serial);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new PostgresServerException("cannot issue a certificate for " + commonName, e);
    }
  }

  private static boolean isIpAddress(String name) {
    return name.chars().allMatch(c -> c == '.' || Character.isDigit(c)) || name.contains(":");
  }

  private static KeyPair rsa() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static String pem(X509Certificate cert) {
    return write(cert);
  }

  private static String pem(PrivateKey key) {
    try {
      return write(new JcaPKCS8Generator(key, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String write(Object object) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }
}
