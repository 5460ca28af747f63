// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ScramSha256.hi}, RFC 5802's Hi(): PBKDF2 with HMAC-SHA-256, one 32-byte block, on its own
 * HMAC over pre-keyed {@code MessageDigest} copies. The full exchange is checked against RFC 7677's
 * vector in {@code AuthenticatorTest}; these pin the PBKDF2 itself, including the keys HMAC treats
 * specially: empty (zero-padded, as SASLprep can map a password to nothing), exactly one block, and
 * longer than a block (hashed first).
 *
 * <p>The first two rows are RFC 7914 §11's PBKDF2-HMAC-SHA256 vectors (the first 32 bytes of their
 * 64-byte outputs); the others were computed independently with Python's {@code
 * hashlib.pbkdf2_hmac('sha256', password, salt, iterations, 32)}.
 */
class ScramSha256HiTest {

  @ParameterizedTest(name = "{0} / {1} / {2}")
  @CsvSource({
    "text:passwd,   text:salt, 1,     55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc",
    "text:Password, text:NaCl, 80000, 4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56",
    "text:pencil,   b64:W22ZaJ0SNY7soEsUEjb6gQ==, 4096, c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d",
    "text:,         text:salt, 4096,  ea25800b7cc40c98aa4f4ec410701524d18901c70cd8e1ee5650fd978ecbaa10",
    "range:64,      text:salt, 2,     daebd19d8795b85151d1ae1629c7645537ef99de6d1cd79bedf113423e4340bc",
    "range:100,     text:salt, 2,     4556b112863cb40855469dfa326e0c9ebee3d578fcef3a7d4b6af375fb7a341c",
  })
  void hiIsPbkdf2HmacSha256(String password, String salt, int iterations, String expected) {
    assertThat(HexFormat.of().formatHex(ScramSha256.hi(bytes(password), bytes(salt), iterations)))
        .isEqualTo(expected);
  }

  /** {@code text:S} is S in UTF-8, {@code b64:S} Base64, {@code range:N} the bytes 0 to N-1. */
  private static byte[] bytes(String spec) {
    String value = spec.substring(spec.indexOf(':') + 1);
    if (spec.startsWith("b64:")) {
      return Base64.getDecoder().decode(value);
    }
    if (spec.startsWith("range:")) {
      byte[] out = new byte[Integer.parseInt(value)];
      for (int i = 0; i < out.length; i++) {
        out[i] = (byte) i;
      }
      return out;
    }
    return value.getBytes(UTF_8);
  }

  /**
   * The per-process cache returns what {@code hi} computes, for the same inputs again and for
   * inputs that differ in any one of password, salt and iteration count (each checked against
   * {@code hi} itself, so a cache answering the previous key fails).
   */
  @Test
  void saltedPasswordIsHiOfExactlyItsInputs() {
    byte[] password = bytes("pencil");
    byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    byte[] first = ScramSha256.saltedPassword(password, salt, 4096);
    assertThat(first).isEqualTo(ScramSha256.hi(password, salt, 4096));
    assertThat(ScramSha256.saltedPassword(password, salt, 4096)).isEqualTo(first);
    byte[] otherSalt = salt.clone();
    otherSalt[0] ^= 1;
    assertThat(ScramSha256.saltedPassword(password, otherSalt, 4096))
        .isEqualTo(ScramSha256.hi(password, otherSalt, 4096))
        .isNotEqualTo(first);
    assertThat(ScramSha256.saltedPassword(bytes("pencil2"), salt, 4096))
        .isEqualTo(ScramSha256.hi(bytes("pencil2"), salt, 4096))
        .isNotEqualTo(first);
    assertThat(ScramSha256.saltedPassword(password, salt, 4097))
        .isEqualTo(ScramSha256.hi(password, salt, 4097))
        .isNotEqualTo(first);
    // A caller that scribbles on its copy does not change the cached key.
    byte[] copy = ScramSha256.saltedPassword(password, salt, 4096);
    Arrays.fill(copy, (byte) 0);
    assertThat(ScramSha256.saltedPassword(password, salt, 4096)).isEqualTo(first);
  }
}
