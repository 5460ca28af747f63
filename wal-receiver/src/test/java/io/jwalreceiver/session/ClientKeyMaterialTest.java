// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.jspecify.annotations.NullUnmarked;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Loading {@code sslcert}/{@code sslkey} with libpq's rules and messages; keys and certificates are
 * made here with Bouncy Castle in every format libpq (OpenSSL) reads.
 */
// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
class ClientKeyMaterialTest {

  static final String PASSWORD = "s3cret pass";

  private static final BouncyCastleProvider BC = new BouncyCastleProvider();

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rsa-pkcs1",
        "rsa-pkcs8",
        "rsa-pkcs8-der",
        "rsa-pkcs1-der",
        "rsa-pkcs8-encrypted-der",
        "ec-sec1-der",
        "rsa-pkcs8-encrypted",
        "rsa-traditional-aes",
        "rsa-traditional-3des",
        "ec-sec1",
        "ec-sec1-with-parameters",
        "ec-pkcs8",
        "ec-pkcs8-encrypted",
        "ec-traditional-aes"
      })
  void loadsEveryKeyFormatOpenSslReads(String format) throws Exception {
    KeyPair keys = keys(format.startsWith("ec") ? "EC" : "RSA");
    Path cert = write("client.crt", pem(certificate(keys, "alice")));
    Path key = writeKey("client.key", encode(keys.getPrivate(), format), "rw-------");
    ClientKeyMaterial material = ClientKeyMaterial.load(options(cert, key, PASSWORD));
    assertThat(material).isNotNull();
    PrivateKey loaded = material.keyManager().getPrivateKey("sslcert");
    if (loaded instanceof ECPrivateKey ec) {
      assertThat(ec.getS()).isEqualTo(((ECPrivateKey) keys.getPrivate()).getS());
    } else {
      assertThat(loaded.getEncoded()).isEqualTo(keys.getPrivate().getEncoded());
    }
    assertThat(material.keyManager().getCertificateChain("sslcert")).hasSize(1);
  }

  @Test
  void sendsTheIntermediatesAfterTheCertificate() throws Exception {
    KeyPair keys = keys("RSA");
    KeyPair other = keys("EC");
    Path cert =
        write("chain.crt", pem(certificate(keys, "alice")) + pem(certificate(other, "mid")));
    Path key = writeKey("client.key", encode(keys.getPrivate(), "rsa-pkcs8"), "rw-------");
    X509Certificate[] chain =
        ClientKeyMaterial.load(options(cert, key, null)).keyManager().getCertificateChain("any");
    assertThat(chain).isNull();
    chain =
        ClientKeyMaterial.load(options(cert, key, null))
            .keyManager()
            .getCertificateChain("sslcert");
    assertThat(chain).hasSize(2);
    assertThat(chain[1].getSubjectX500Principal().getName()).isEqualTo("CN=mid");
  }

  @Test
  void goesOnWithoutACertificateWhenTheFileDoesNotExist() throws Exception {
    Path key = dir.resolve("nothing.key");
    assertThat(ClientKeyMaterial.load(options(dir.resolve("missing.crt"), key, null))).isNull();
    assertThat(ClientKeyMaterial.load(options(dir.resolve("no/dir/x.crt"), key, null))).isNull();
    Path file = write("plain-file", "x");
    assertThat(ClientKeyMaterial.load(options(file.resolve("x.crt"), key, null))).isNull();
  }

  @Test
  void sendsNothingWithSslCertModeDisable() throws Exception {
    KeyPair keys = keys("RSA");
    Path cert = write("client.crt", pem(certificate(keys, "alice")));
    TlsOptions disabled =
        new TlsOptions(
            cert, dir.resolve("none.key"), null, null, null, null, null, null, "disable");
    assertThat(ClientKeyMaterial.load(disabled)).isNull();
  }

  @Test
  void refusesAMissingKey() throws Exception {
    Path cert = write("client.crt", pem(certificate(keys("RSA"), "alice")));
    Path key = dir.resolve("client.key");
    assertRefused(
        options(cert, key, null), "certificate present, but not private key file \"" + key + "\"");
  }

  @Test
  void refusesAKeyThatIsNotARegularFile() throws Exception {
    Path cert = write("client.crt", pem(certificate(keys("RSA"), "alice")));
    Path key = Files.createDirectory(dir.resolve("client.key"));
    assertRefused(
        options(cert, key, null), "private key file \"" + key + "\" is not a regular file");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r--r--", "rw----r--", "rw-rw----", "rwx--x---", "rw-----w-"})
  void refusesAKeyOthersCanReach(String permissions) throws Exception {
    KeyPair keys = keys("RSA");
    Path cert = write("client.crt", pem(certificate(keys, "alice")));
    Path key = writeKey("client.key", encode(keys.getPrivate(), "rsa-pkcs8"), permissions);
    assertRefused(
        options(cert, key, null),
        "private key file \""
            + key
            + "\" has group or world access; file must have permissions"
            + " u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640)"
            + " or less if owned by root");
  }

  @Test
  void acceptsGroupReadOnARootOwnedKey() throws Exception {
    assumeTrue(
        Integer.valueOf(0).equals(Files.getAttribute(dir, "unix:uid")),
        "only root creates root-owned files");
    KeyPair keys = keys("RSA");
    Path cert = write("client.crt", pem(certificate(keys, "alice")));
    Path key = writeKey("client.key", encode(keys.getPrivate(), "rsa-pkcs8"), "rw-r-----");
    assertThat(ClientKeyMaterial.load(options(cert, key, null))).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rsa-pkcs8-encrypted", "rsa-traditional-aes"})
  void refusesAWrongOrMissingPassword(String format) throws Exception {
    KeyPair keys = keys("RSA");
    Path cert = write("client.crt", pem(certificate(keys, "alice")));
    Path key = writeKey("client.key", encode(keys.getPrivate(), format), "rw-------");
    String message = "could not load private key file \"" + key + "\": bad decrypt";
    assertRefused(options(cert, key, "wrong"), message);
    assertRefused(options(cert, key, null), message);
  }

  @Test
  void refusesAKeyOfAnotherCertificate() throws Exception {
    Path cert = write("client.crt", pem(certificate(keys("RSA"), "alice")));
    Path key = writeKey("client.key", encode(keys("RSA").getPrivate(), "rsa-pkcs1"), "rw-------");
    assertRefused(
        options(cert, key, null),
        "certificate does not match private key file \"" + key + "\": key values mismatch");
    Path ecKey = writeKey("ec.key", encode(keys("EC").getPrivate(), "ec-sec1"), "rw-------");
    assertRefused(
        options(cert, ecKey, null),
        "certificate does not match private key file \"" + ecKey + "\": key values mismatch");
  }

  @Test
  void refusesFilesThatHoldNoCertificateOrKey() throws Exception {
    KeyPair keys = keys("RSA");
    Path notCert = write("client.crt", "hello\n");
    Path key = writeKey("client.key", encode(keys.getPrivate(), "rsa-pkcs8"), "rw-------");
    assertRefused(
        options(notCert, key, null),
        "could not read certificate file \"" + notCert + "\": no start line");
    Path cert = write("real.crt", pem(certificate(keys, "alice")));
    Path notKey = writeKey("bad.key", "hello\n".getBytes(StandardCharsets.US_ASCII), "rw-------");
    assertRefused(
        options(cert, notKey, null),
        "could not load private key file \"" + notKey + "\": no start line");
  }

  // ------------------------------------------------------------------------------------- helpers

  private static void assertRefused(TlsOptions options, String message) {
    assertThatThrownBy(() -> ClientKeyMaterial.load(options))
        .isInstanceOf(PgException.class)
        .hasMessage(message)
        .satisfies(
            e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE));
  }

  private static TlsOptions options(
      @Nullable Path cert, @Nullable Path key, @Nullable String password) {
    return new TlsOptions(cert, key, password, null, null, null, null, null, null);
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private Path writeKey(String name, byte[] bytes, String permissions) throws Exception {
    Path file = Files.write(dir.resolve(name), bytes);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    return file;
  }

  private static KeyPair keys(String algorithm) throws Exception {
    return SelfSignedCertificates.keys(algorithm);
  }

  private static X509Certificate certificate(KeyPair keys, String cn) throws Exception {
    return SelfSignedCertificates.selfSigned(new X500Name("CN=" + cn), keys, List.of());
  }

  private static String pem(Object object) throws Exception {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    }
    return text.toString();
  }

  /** The key in one of the formats OpenSSL reads. */
  static byte[] encode(PrivateKey key, String format) throws Exception {
    char[] password = PASSWORD.toCharArray();
    Object traditional = key.getAlgorithm().equals("EC") ? sec1(key) : key;
    JcaPKCS8Generator encryptedPkcs8 =
        new JcaPKCS8Generator(
            key,
            new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                .setProvider(BC)
                .setPassword(password)
                .build());
    String text =
        switch (format.substring(format.indexOf('-') + 1)) {
          case "pkcs1", "sec1" -> pem(traditional); // RSA PRIVATE KEY / EC PRIVATE KEY
          case "sec1-with-parameters" ->
              "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                  + pem(traditional);
          case "pkcs8" -> pem(new JcaPKCS8Generator(key, null));
          case "pkcs8-encrypted" -> pem(encryptedPkcs8);
          case "traditional-aes" ->
              pem(
                  new JcaMiscPEMGenerator(
                      traditional,
                      new JcePEMEncryptorBuilder("AES-128-CBC").setProvider(BC).build(password)));
          case "traditional-3des" ->
              pem(
                  new JcaMiscPEMGenerator(
                      traditional,
                      new JcePEMEncryptorBuilder("DES-EDE3-CBC").setProvider(BC).build(password)));
          default -> null;
        };
    if (text != null) {
      return text.getBytes(StandardCharsets.US_ASCII);
    }
    return switch (format.substring(format.indexOf('-') + 1)) {
      case "pkcs8-der" -> key.getEncoded();
      case "pkcs8-encrypted-der" -> encryptedPkcs8.generate().getContent();
      case "pkcs1-der" ->
          PrivateKeyInfo.getInstance(key.getEncoded())
              .parsePrivateKey()
              .toASN1Primitive()
              .getEncoded();
      case "sec1-der" -> sec1(key).parsePrivateKey().toASN1Primitive().getEncoded();
      default -> throw new IllegalArgumentException(format);
    };
  }

  /**
   * The EC key as OpenSSL writes SEC1: the curve inside the ECPrivateKey structure (the JDK's
   * PKCS#8 encoding keeps it only in the algorithm identifier).
   */
  private static PrivateKeyInfo sec1(PrivateKey key) throws Exception {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
    org.bouncycastle.asn1.sec.ECPrivateKey inner =
        org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
    ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
    return new PrivateKeyInfo(
        info.getPrivateKeyAlgorithm(),
        new org.bouncycastle.asn1.sec.ECPrivateKey(256, inner.getKey(), curve));
  }
}
