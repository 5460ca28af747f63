// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.jspecify.annotations.Nullable;

/**
 * The client certificate libpq sends ({@code sslcert}, {@code sslkey}, {@code sslpassword}), loaded
 * with libpq's rules and messages.
 *
 * <ul>
 *   <li>A certificate file that does not exist (or whose directory does not) means no client
 *       certificate, silently — also when it was named explicitly; any other failure to read it is
 *       an error.
 *   <li>The file is PEM: the client certificate, then optionally the intermediates to send.
 *   <li>With a certificate, the key file must exist, be a regular file, and have no group or world
 *       access (0600 or less; 0640 or less when owned by root).
 *   <li>The key is PEM (PKCS#1 {@code RSA PRIVATE KEY}, SEC1 {@code EC PRIVATE KEY}, PKCS#8 {@code
 *       PRIVATE KEY}, encrypted PKCS#8, or OpenSSL's traditional {@code Proc-Type: 4,ENCRYPTED}) or
 *       DER PKCS#8; encrypted keys are opened with {@code sslpassword}.
 *   <li>The key must belong to the certificate.
 * </ul>
 *
 * <p>Like libpq, the certificate is offered whenever the server asks for one, whatever authorities
 * the server says it accepts.
 */
final class ClientKeyMaterial {

  /**
   * Bouncy Castle's provider, used (not installed) for the ciphers of encrypted PEM keys that the
   * JDK lacks (OpenSSL's key derivation, PKCS#7 padding).
   */
  private static final BouncyCastleProvider BC = new BouncyCastleProvider();

  private final X509Certificate[] chain;
  private final PrivateKey key;

  private ClientKeyMaterial(X509Certificate[] chain, PrivateKey key) {
    this.chain = chain;
    this.key = key;
  }

  /**
   * Loads the client certificate and key, or returns null when there is no certificate to send.
   *
   * @throws PgException 08001 with libpq's message for an unreadable certificate, a missing,
   *     unprotected or unreadable key, a wrong password, or a key of another certificate
   */
  static @Nullable ClientKeyMaterial load(TlsOptions options) {
    Path certFile = options.sslCert();
    if (certFile == null || "disable".equals(options.certMode())) {
      return null;
    }
    try {
      Files.readAttributes(certFile, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if ("Not a directory".equals(e.getReason())) {
        return null; // ENOTDIR: libpq goes on without a certificate too
      }
      throw fail("could not open certificate file \"" + certFile + "\": " + reason(e));
    } catch (IOException e) {
      throw fail("could not open certificate file \"" + certFile + "\": " + reason(e));
    }
    byte[] certBytes;
    try {
      certBytes = Files.readAllBytes(certFile);
    } catch (IOException e) {
      throw fail("could not read certificate file \"" + certFile + "\": " + reason(e));
    }
    X509Certificate[] chain = readCertificates(certFile, certBytes);
    Path keyFile = options.sslKey();
    if (keyFile == null) {
      // libpq has no key file name without a home directory and sends the certificate alone,
      // which then fails its key check.
      throw fail("certificate does not match private key file \"\": no private key assigned");
    }
    PrivateKey key = readKey(keyFile, options.sslPassword());
    if (!belongsTo(key, chain[0])) {
      throw fail(
          "certificate does not match private key file \"" + keyFile + "\": key values mismatch");
    }
    return new ClientKeyMaterial(chain, key);
  }

  /** The key manager that always answers with this certificate. */
  X509ExtendedKeyManager keyManager() {
    return new X509ExtendedKeyManager() {
      private static final String ALIAS = "sslcert";

      @Override
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return ALIAS;
      }

      @Override
      public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine e) {
        return ALIAS;
      }

      @Override
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
      }

      @Override
      public X509Certificate @Nullable [] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
      }

      @Override
      public @Nullable PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
      }

      @Override
      public String @Nullable [] getServerAliases(String keyType, Principal[] issuers) {
        return null;
      }

      @Override
      public @Nullable String chooseServerAlias(
          String keyType, Principal[] issuers, Socket socket) {
        return null;
      }
    };
  }

  private static X509Certificate[] readCertificates(Path file, byte[] bytes) {
    List<X509Certificate> certs = new ArrayList<>();
    try (PEMParser pem = parser(bytes)) {
      JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
      Object o;
      while ((o = pem.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          certs.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw fail("could not read certificate file \"" + file + "\": " + reason(e));
    }
    if (certs.isEmpty()) {
      throw fail("could not read certificate file \"" + file + "\": no start line");
    }
    return certs.toArray(new X509Certificate[0]);
  }

  private static PrivateKey readKey(Path file, @Nullable String password) {
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, PosixFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw fail("certificate present, but not private key file \"" + file + "\"");
    } catch (IOException | UnsupportedOperationException e) {
      throw fail("could not stat private key file \"" + file + "\": " + reason(e));
    }
    if (!attrs.isRegularFile()) {
      throw fail("private key file \"" + file + "\" is not a regular file");
    }
    if (tooOpen(file, attrs.permissions())) {
      throw fail(
          "private key file \""
              + file
              + "\" has group or world access; file must have"
              + " permissions u=rw (0600) or less if owned by the current user, or permissions"
              + " u=rw,g=r (0640) or less if owned by root");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw fail("could not load private key file \"" + file + "\": " + reason(e));
    }
    PrivateKey key;
    try {
      key = parseKey(bytes, password);
    } catch (BadPassword e) {
      // A wrong or missing sslpassword: OpenSSL's reason is "bad decrypt".
      throw fail("could not load private key file \"" + file + "\": bad decrypt");
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw fail("could not load private key file \"" + file + "\": " + reason(e));
    }
    if (key == null) {
      throw fail("could not load private key file \"" + file + "\": no start line");
    }
    return key;
  }

  /** The key could not be decrypted with the password given (or none). */
  static final class BadPassword extends Exception {
    private static final long serialVersionUID = 1L;

    BadPassword(Throwable cause) {
      super(cause);
    }
  }

  /**
   * libpq's permission rule: no group or other bits at all, except group read for a file owned by
   * root.
   */
  private static boolean tooOpen(Path file, Set<PosixFilePermission> perms) {
    boolean rootOwned;
    try {
      Object uid = Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      rootOwned = uid instanceof Integer i && i == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      rootOwned = false;
    }
    for (PosixFilePermission p : perms) {
      switch (p) {
        case OTHERS_READ, OTHERS_WRITE, OTHERS_EXECUTE, GROUP_WRITE, GROUP_EXECUTE -> {
          return true;
        }
        case GROUP_READ -> {
          if (!rootOwned) {
            return true;
          }
        }
        default -> {
          // owner bits are fine
        }
      }
    }
    return false;
  }

  /**
   * The private key one PEM object holds, decrypted with {@code pass} when it is encrypted; null
   * for anything else (the "EC PARAMETERS" ahead of a SEC1 key, a certificate).
   */
  private static @Nullable PrivateKeyInfo pemKeyInfo(Object o, char[] pass) throws BadPassword {
    if (o instanceof PEMKeyPair pair) {
      return pair.getPrivateKeyInfo();
    }
    if (o instanceof PrivateKeyInfo info) {
      return info;
    }
    try {
      if (o instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
        return encrypted.decryptPrivateKeyInfo(
            new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(pass));
      }
      if (o instanceof PEMEncryptedKeyPair encrypted) {
        return encrypted
            .decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(BC).build(pass))
            .getPrivateKeyInfo();
      }
    } catch (PKCSException | OperatorCreationException | IOException e) {
      throw new BadPassword(e);
    }
    return null;
  }

  /** The key in PEM (any of the forms above) or DER PKCS#8, or null when none is found. */
  static @Nullable PrivateKey parseKey(byte[] bytes, @Nullable String password)
      throws IOException, GeneralSecurityException, BadPassword {
    char[] pass = password == null ? new char[0] : password.toCharArray();
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser pem = parser(bytes)) {
      Object o;
      while ((o = pem.readObject()) != null) {
        PrivateKeyInfo info = pemKeyInfo(o, pass);
        if (info != null) {
          return converter.getPrivateKey(info);
        }
      }
    }
    // Not PEM: libpq then tries DER.
    PrivateKeyInfo info;
    try {
      info = derKey(ASN1Sequence.getInstance(bytes), pass);
    } catch (IllegalArgumentException | ClassCastException e) {
      return null;
    }
    return info == null ? null : converter.getPrivateKey(info);
  }

  /**
   * A DER key as OpenSSL's {@code d2i_AutoPrivateKey} takes it: PKCS#8, encrypted PKCS#8, or the
   * traditional RSA (PKCS#1) and EC (SEC1, with its curve) structures.
   */
  private static @Nullable PrivateKeyInfo derKey(ASN1Sequence seq, char[] pass)
      throws BadPassword, IOException {
    if (seq.size() == 2 && seq.getObjectAt(1) instanceof ASN1OctetString) {
      try {
        return new PKCS8EncryptedPrivateKeyInfo(EncryptedPrivateKeyInfo.getInstance(seq))
            .decryptPrivateKeyInfo(
                new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(pass));
      } catch (PKCSException | OperatorCreationException e) {
        throw new BadPassword(e);
      }
    }
    if (seq.size() == 9 && seq.getObjectAt(1) instanceof ASN1Integer) {
      return new PrivateKeyInfo(
          new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
          RSAPrivateKey.getInstance(seq));
    }
    if (seq.size() >= 2 && seq.getObjectAt(1) instanceof ASN1OctetString) {
      ECPrivateKey ec = ECPrivateKey.getInstance(seq);
      ASN1Encodable curve = ec.getParametersObject();
      return curve == null
          ? null
          : new PrivateKeyInfo(
              new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve), ec);
    }
    try {
      return PrivateKeyInfo.getInstance(seq);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** True when the key signs what the certificate's public key verifies. */
  static boolean belongsTo(PrivateKey key, X509Certificate cert) {
    String keyAlgorithm = family(key.getAlgorithm());
    if (!keyAlgorithm.equals(family(cert.getPublicKey().getAlgorithm()))) {
      return false;
    }
    String signature =
        switch (keyAlgorithm) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "DSA" -> "SHA256withDSA";
          case "EdDSA" -> "EdDSA";
          default -> null;
        };
    if (signature == null) {
      return true; // no probe for this kind; the handshake itself will fail on a wrong key
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(signature);
      signer.initSign(key);
      signer.update(probe);
      byte[] signed = signer.sign();
      Signature verifier = Signature.getInstance(signature);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signed);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String family(String algorithm) {
    return switch (algorithm) {
      case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
      case "ECDSA" -> "EC";
      default -> algorithm;
    };
  }

  private static PEMParser parser(byte[] bytes) {
    Reader text = new StringReader(new String(bytes, StandardCharsets.ISO_8859_1));
    return new PEMParser(text);
  }

  private static String reason(Throwable e) {
    if (e instanceof AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  private static PgException fail(String message) {
    return new PgException(SqlState.CONNECTION_UNABLE, message);
  }
}
