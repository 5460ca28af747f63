// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/** The MD5 (for S3's {@code Content-MD5}) and SHA-256 of a file, read once. */
record Digests(String md5Base64, String sha256Hex) {

  static Digests of(Path file) throws IOException {
    MessageDigest md5 = digest("MD5");
    MessageDigest sha256 = digest("SHA-256");
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        md5.update(buffer, 0, n);
        sha256.update(buffer, 0, n);
      }
    }
    return new Digests(
        Base64.getEncoder().encodeToString(md5.digest()),
        HexFormat.of().formatHex(sha256.digest()));
  }

  static Digests of(byte[] content, int length) {
    MessageDigest md5 = digest("MD5");
    MessageDigest sha256 = digest("SHA-256");
    md5.update(content, 0, length);
    sha256.update(content, 0, length);
    return new Digests(
        Base64.getEncoder().encodeToString(md5.digest()),
        HexFormat.of().formatHex(sha256.digest()));
  }

  static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is part of every Java runtime", e);
    }
  }
}
