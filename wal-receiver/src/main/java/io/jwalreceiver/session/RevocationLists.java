// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The certificate revocation lists of {@code sslcrl} and {@code sslcrldir}, found the way libpq's
 * OpenSSL store finds them.
 */
final class RevocationLists {

  /** OpenSSL's names in a hashed directory ({@code openssl rehash}): subject hash, {@code .rN}. */
  private static final Pattern HASHED_NAME = Pattern.compile("[0-9a-f]{8}\\.r[0-9]+");

  private RevocationLists() {}

  /**
   * The CRLs to check against, or null when revocation is not checked: neither a file nor a
   * directory, or a file that is missing or holds no readable CRL (OpenSSL then fails to load the
   * locations and libpq silently goes on without CRLs). A directory that is missing or has no CRL
   * for an issuer still turns checking on, so the chain then fails to verify.
   */
  static @Nullable List<X509CRL> load(@Nullable Path file, @Nullable Path dir) {
    if (file == null && dir == null) {
      return null;
    }
    List<X509CRL> crls = new ArrayList<>();
    if (file != null) {
      List<X509CRL> fromFile = read(file);
      if (fromFile == null || fromFile.isEmpty()) {
        return null;
      }
      crls.addAll(fromFile);
    }
    if (dir != null && Files.isDirectory(dir)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          if (HASHED_NAME.matcher(entry.getFileName().toString()).matches()) {
            List<X509CRL> more = read(entry);
            if (more != null) {
              crls.addAll(more);
            }
          }
        }
      } catch (IOException e) {
        // Unreadable directory: no CRLs from it, so the check fails for lack of a CRL.
      }
    }
    return crls;
  }

  private static @Nullable List<X509CRL> read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509CRL> out = new ArrayList<>();
      for (CRL crl : CertificateFactory.getInstance("X.509").generateCRLs(in)) {
        out.add((X509CRL) crl);
      }
      return out;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }
}
