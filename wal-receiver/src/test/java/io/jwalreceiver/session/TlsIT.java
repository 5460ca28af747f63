// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.testkit.CertificateAndKey;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.PostgresServer.Options;
import io.jwalreceiver.testkit.PostgresServer.Tls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * libpq's TLS options against real servers: the verify-full host check, client certificates with
 * {@code cert} authentication, revocation lists and protocol versions.
 */
// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
@Tag("postgres")
class TlsIT {

  @TempDir Path dir;

  /** A server whose certificate names only localhost and that speaks TLS 1.3 only. */
  private static PostgresServer localhostOnlyTls13(int major) {
    return PostgresServer.shared(
        Options.of(major)
            .withTls(Tls.LOCALHOST_ONLY)
            .withSetting("ssl_min_protocol_version", "TLSv1.3"));
  }

  private static ConnectionConfig verifyFull(PostgresServer server, String host, String user) {
    return ServerConnections.verifyFull(server, host, user).build();
  }

  private static PgException refusal(ConnectionConfig cfg) {
    return ServerConnections.refusal(cfg);
  }

  // ------------------------------------------------------------------------- verify-full names

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void verifyFullRefusesACertificateThatDoesNotNameTheAddress(int major) {
    PostgresServer server = localhostOnlyTls13(major);
    PgException e = refusal(verifyFull(server, "127.0.0.1", PostgresServer.REPL_TLS));
    assertThat(e.getMessage())
        .isEqualTo(
            "connection to server at \"127.0.0.1\", port "
                + server.port()
                + " failed: server"
                + " certificate for \"localhost\" (and 1 other name) does not match host name"
                + " \"127.0.0.1\"");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void verifyFullAcceptsTheNameTheCertificateGives(int major) {
    PostgresServer server = localhostOnlyTls13(major);
    try (ReplicationConnection c =
        ReplicationConnection.open(verifyFull(server, "localhost", PostgresServer.REPL_TLS))) {
      assertThat(c.isTls()).isTrue();
      assertThat(c.serverMajorVersion()).isEqualTo(major);
    }
  }

  // ---------------------------------------------------------------------- client certificates

  private Path certFile() throws Exception {
    CertificateAndKey cert = PostgresServer.clientCertificate(PostgresServer.REPL_CERT);
    return Files.writeString(dir.resolve("client.crt"), cert.certificate());
  }

  private Path keyFile(String name, String pem, String permissions) throws Exception {
    Path file = Files.writeString(dir.resolve(name), pem);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    return file;
  }

  /** The client certificate's key in {@code open.key}, readable by everyone (rw-r--r--). */
  private Path worldReadableKey() throws Exception {
    return keyFile(
        "open.key",
        PostgresServer.clientCertificate(PostgresServer.REPL_CERT).privateKey(),
        "rw-r--r--");
  }

  private static PrivateKey clientKey() throws Exception {
    String pem = PostgresServer.clientCertificate(PostgresServer.REPL_CERT).privateKey();
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  private static ConnectionConfig withClientCert(
      PostgresServer server, Path cert, Path key, String password) {
    return verifyFull(server, "localhost", PostgresServer.REPL_CERT).toBuilder()
        .password(null)
        .tls(new TlsOptions(cert, key, password, null, null, null, null, null, null))
        .build();
  }

  static List<String> keyFormats() {
    return List.of("rsa-pkcs8", "rsa-pkcs1", "rsa-pkcs8-encrypted", "rsa-traditional-aes");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void logsInWithAClientCertificateInEveryKeyFormat(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    Path cert = certFile();
    for (String format : keyFormats()) {
      byte[] encoded = ClientKeyMaterialTest.encode(clientKey(), format);
      Path key =
          keyFile(format + ".key", new String(encoded, StandardCharsets.US_ASCII), "rw-------");
      String password =
          format.contains("encrypted") || format.contains("traditional")
              ? ClientKeyMaterialTest.PASSWORD
              : null;
      try (ReplicationConnection c =
          ReplicationConnection.open(withClientCert(server, cert, key, password))) {
        assertThat(c.isTls()).as(format).isTrue();
        assertThat(c.identifySystem().timeline()).as(format).isEqualTo(TimelineId.FIRST);
      }
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void certAuthenticationNeedsTheCertificate(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    PgException e = refusal(withClientCert(server, dir.resolve("none.crt"), null, null));
    assertThat(e.fromServer()).isTrue();
    assertThat(e.getMessage()).contains("connection requires a valid client certificate");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesAWorldReadableKey(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    Path key = worldReadableKey();
    PgException e = refusal(withClientCert(server, certFile(), key, null));
    assertThat(e.getMessage())
        .endsWith(
            "failed: private key file \""
                + key
                + "\" has group or world access; file must have"
                + " permissions u=rw (0600) or less if owned by the current user, or permissions"
                + " u=rw,g=r (0640) or less if owned by root");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void preferGoesOnWithoutTlsWhenTheClientKeyCannotBeUsed(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    Path key = worldReadableKey();
    ConnectionConfig cfg =
        ServerConnections.withPassword(server, PostgresServer.REPL_SCRAM)
            .tls(new TlsOptions(certFile(), key, null, null, null, null, null, null, null))
            .build();
    try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
      assertThat(c.isTls()).isFalse();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesAWrongKeyPassword(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    byte[] encoded = ClientKeyMaterialTest.encode(clientKey(), "rsa-pkcs8-encrypted");
    Path key = keyFile("enc.key", new String(encoded, StandardCharsets.US_ASCII), "rw-------");
    PgException e = refusal(withClientCert(server, certFile(), key, "wrong password"));
    assertThat(e.getMessage())
        .endsWith("failed: could not load private key file \"" + key + "\": bad decrypt");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesAMissingKey(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    Path key = dir.resolve("missing.key");
    PgException e = refusal(withClientCert(server, certFile(), key, null));
    assertThat(e.getMessage())
        .endsWith("failed: certificate present, but not private key file \"" + key + "\"");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void systemRootsDoNotTrustThePrivateTestCa(int major) {
    PostgresServer server = PostgresServer.sharedTls(major);
    ConnectionConfig cfg =
        verifyFull(server, "localhost", PostgresServer.REPL_TLS).toBuilder()
            .sslRootCert(Path.of("system"))
            .build();
    PgException e = refusal(cfg);
    assertThat(e.getMessage()).endsWith("failed: SSL error: certificate verify failed");
  }

  // ------------------------------------------------------------------------------------- CRLs

  private static ConnectionConfig withCrl(PostgresServer server, Path crl, Path crlDir) {
    return verifyFull(server, "localhost", PostgresServer.REPL_TLS).toBuilder()
        .tls(new TlsOptions(null, null, null, crl, crlDir, null, null, null, null))
        .build();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesARevokedServerCertificate(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    Path good = Files.writeString(dir.resolve("good.crl"), PostgresServer.serverCrl(false));
    try (ReplicationConnection c = ReplicationConnection.open(withCrl(server, good, null))) {
      assertThat(c.isTls()).isTrue();
    }
    Path revoked = Files.writeString(dir.resolve("revoked.crl"), PostgresServer.serverCrl(true));
    PgException e = refusal(withCrl(server, revoked, null));
    assertThat(e.getMessage()).endsWith("failed: SSL error: certificate verify failed");
    assertThat(e.detail()).containsIgnoringCase("revoked");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesARevokedServerCertificateFromAHashedCrlDirectory(int major) throws Exception {
    PostgresServer server = PostgresServer.sharedTls(major);
    Path crls = Files.createDirectory(dir.resolve("crls"));
    Path revoked = Files.writeString(dir.resolve("revoked.crl"), PostgresServer.serverCrl(true));
    Files.copy(revoked, crls.resolve(subjectHash(revoked) + ".r0"));
    PgException e = refusal(withCrl(server, null, crls));
    assertThat(e.getMessage()).endsWith("failed: SSL error: certificate verify failed");
    assertThat(e.detail()).containsIgnoringCase("revoked");
  }

  /** OpenSSL's hashed-directory name of a CRL's issuer ({@code openssl crl -hash}). */
  private static String subjectHash(Path crl) throws Exception {
    Process p =
        new ProcessBuilder("openssl", "crl", "-hash", "-noout", "-in", crl.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    assertThat(p.waitFor()).as(out).isZero();
    return out;
  }

  // ------------------------------------------------------------------------ protocol versions

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesWhenTheServerNeedsANewerProtocolThanTheMaximum(int major) {
    PostgresServer server = localhostOnlyTls13(major);
    ConnectionConfig cfg =
        verifyFull(server, "localhost", PostgresServer.REPL_TLS).toBuilder()
            .tls(new TlsOptions(null, null, null, null, null, null, "TLSv1.2", null, null))
            .build();
    PgException e = refusal(cfg);
    assertThat(e.getMessage()).endsWith("failed: SSL error: tlsv1 alert protocol version");
    assertThat(e.hint())
        .isEqualTo(
            "This may indicate that the server does not support any SSL protocol version"
                + " between TLSv1.2 and TLSv1.2.");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void allowConnectsWithTlsWhenThePlainAttemptIsRefused(int major) {
    PostgresServer server = PostgresServer.sharedTls(major);
    ConnectionConfig cfg =
        ServerConnections.withPassword(server, PostgresServer.REPL_TLS)
            .sslMode(SslMode.ALLOW)
            .build();
    try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
      assertThat(c.isTls()).isTrue();
    }
    assertThatThrownBy(
            () ->
                ReplicationConnection.open(cfg.toBuilder().sslMode(SslMode.DISABLE).build())
                    .close())
        .isInstanceOf(PgException.class)
        .hasMessageContaining("no pg_hba.conf entry");
  }
}
