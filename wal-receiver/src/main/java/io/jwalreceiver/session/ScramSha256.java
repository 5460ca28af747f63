// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import com.ongres.scram.common.StringPreparation;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) as PostgreSQL runs
 * it: the user name in the SCRAM messages is empty (the server takes the startup packet's), the
 * password is SASLprep-normalised when it can be and used as given otherwise, and the only channel
 * binding type is {@code tls-server-end-point}.
 *
 * <p>The exchange is finished only once the server-final-message's signature has been verified;
 * {@link #finished()} is what channel binding and require_auth look at. Malformed server messages
 * fail with the texts libpq's fe-auth-scram.c uses.
 */
final class ScramSha256 {

  static final String MECHANISM = "SCRAM-SHA-256";
  static final String MECHANISM_PLUS = "SCRAM-SHA-256-PLUS";

  private static final String CBIND_HEADER = "p=tls-server-end-point,,";
  private static final int KEY_LENGTH = 32;

  private enum State {
    INIT,
    NONCE_SENT,
    PROOF_SENT,
    FINISHED
  }

  private final boolean plus;
  private final String gs2Header;
  private final byte @Nullable [] channelBindingData;
  private final byte[] password;
  private final String user;
  private final String clientNonce;

  private State state = State.INIT;
  private @Nullable String clientFirstBare;
  private @Nullable String clientFinalWithoutProof;
  private @Nullable String serverFirst;
  private byte @Nullable [] saltedPassword;

  /**
   * @param plus SCRAM-SHA-256-PLUS (channel binding) rather than SCRAM-SHA-256
   * @param clientSupportsBinding the client could bind but the server did not offer PLUS ({@code y}
   *     in the GS2 header); ignored with {@code plus}
   * @param channelBindingData the tls-server-end-point hash of the server's certificate, with
   *     {@code plus}; else null
   * @param password the password as given
   * @param user the user name put in the SCRAM messages; PostgreSQL clients send it empty
   * @param clientNonce the client nonce (printable, no comma)
   */
  ScramSha256(
      boolean plus,
      boolean clientSupportsBinding,
      byte @Nullable [] channelBindingData,
      String password,
      String user,
      String clientNonce) {
    this.plus = plus;
    this.gs2Header = plus ? CBIND_HEADER : clientSupportsBinding ? "y,," : "n,,";
    this.channelBindingData =
        plus ? Objects.requireNonNull(channelBindingData, "channelBindingData").clone() : null;
    this.password = prepare(password);
    this.user = user;
    this.clientNonce = clientNonce;
  }

  boolean plus() {
    return plus;
  }

  /** Whether the server's signature has been verified. */
  boolean finished() {
    return state == State.FINISHED;
  }

  String mechanism() {
    return plus ? MECHANISM_PLUS : MECHANISM;
  }

  /** The client-first-message. */
  byte[] clientFirst() {
    if (state != State.INIT) {
      throw failure("invalid SCRAM exchange state");
    }
    clientFirstBare = "n=" + user + ",r=" + clientNonce;
    state = State.NONCE_SENT;
    return utf8Bytes(gs2Header + clientFirstBare);
  }

  /**
   * One server message, in whatever order it comes.
   *
   * @return the client-final-message after the server-first-message; null after a verified
   *     server-final-message
   */
  byte @Nullable [] receive(byte[] input) {
    if (state == State.INIT || state == State.FINISHED) {
      throw failure("invalid SCRAM exchange state");
    }
    if (input.length == 0) {
      throw malformed("empty message");
    }
    for (byte b : input) {
      if (b == 0) {
        throw malformed("length mismatch");
      }
    }
    String message = utf8(input);
    if (state == State.NONCE_SENT) {
      readServerFirst(message);
      state = State.PROOF_SENT;
      return utf8Bytes(clientFinalWithoutProof + ",p=" + b64(clientProof()));
    }
    verifyServerFinal(message);
    state = State.FINISHED;
    return null;
  }

  private void readServerFirst(String message) {
    Cursor in = new Cursor(message);
    String nonce = in.attribute('r');
    // The server's nonce must extend ours (RFC 5802 §5.1).
    if (nonce.length() < clientNonce.length()
        || !MessageDigest.isEqual(
            utf8Bytes(nonce.substring(0, clientNonce.length())), utf8Bytes(clientNonce))) {
      throw failure("invalid SCRAM response (nonce mismatch)");
    }
    byte[] salt;
    try {
      salt = Base64.getDecoder().decode(in.attribute('s'));
    } catch (IllegalArgumentException e) {
      throw malformed("invalid salt");
    }
    String iterationText = in.attribute('i');
    int iterations;
    try {
      iterations = Integer.parseInt(iterationText);
    } catch (NumberFormatException e) {
      iterations = 0;
    }
    if (iterations < 1) {
      throw malformed("invalid iteration count");
    }
    // libpq notes trailing extensions in its error buffer but carries on; so do we.
    serverFirst = message;
    saltedPassword = saltedPassword(password, salt, iterations);
    String cbind =
        plus
            ? b64(concat(ascii(CBIND_HEADER), Objects.requireNonNull(channelBindingData)))
            : b64(ascii(gs2Header));
    clientFinalWithoutProof = "c=" + cbind + ",r=" + nonce;
  }

  private void verifyServerFinal(String message) {
    Cursor in = new Cursor(message);
    if (message.charAt(0) == 'e') {
      throw new PgException(
          SqlState.INVALID_AUTHORIZATION,
          "error received from server in SCRAM exchange: " + in.attribute('e'));
    }
    String encoded = in.attribute('v');
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      signature = new byte[0];
    }
    if (signature.length != KEY_LENGTH) {
      throw malformed("invalid server signature");
    }
    byte[] serverKey = hmac(Objects.requireNonNull(saltedPassword), ascii("Server Key"));
    byte[] expected = hmac(serverKey, authMessage());
    if (!MessageDigest.isEqual(expected, signature)) {
      throw new PgException(SqlState.INVALID_AUTHORIZATION, "incorrect server signature");
    }
  }

  private byte[] clientProof() {
    byte[] clientKey = hmac(Objects.requireNonNull(saltedPassword), ascii("Client Key"));
    byte[] storedKey = sha256(clientKey);
    byte[] signature = hmac(storedKey, authMessage());
    byte[] proof = new byte[KEY_LENGTH];
    for (int i = 0; i < KEY_LENGTH; i++) {
      proof[i] = (byte) (clientKey[i] ^ signature[i]);
    }
    return proof;
  }

  private byte[] authMessage() {
    return utf8Bytes(clientFirstBare + "," + serverFirst + "," + clientFinalWithoutProof);
  }

  /** {@code attr=value} pairs separated by commas, read in order. */
  private static final class Cursor {
    private final String text;
    private int pos;

    Cursor(String text) {
      this.text = text;
    }

    String attribute(char name) {
      if (pos >= text.length() || text.charAt(pos) != name) {
        throw malformed("attribute \"" + name + "\" expected");
      }
      if (pos + 1 >= text.length() || text.charAt(pos + 1) != '=') {
        throw malformed("expected character \"=\" for attribute \"" + name + "\"");
      }
      int start = pos + 2;
      int end = text.indexOf(',', start);
      if (end < 0) {
        pos = text.length();
        return text.substring(start);
      }
      pos = end + 1;
      return text.substring(start, end);
    }
  }

  /** SASLprep when the password allows it, else the password unchanged (as libpq). */
  private static byte[] prepare(String password) {
    char[] prepared;
    try {
      prepared = StringPreparation.POSTGRESQL_PREPARATION.normalize(password.toCharArray());
    } catch (IllegalArgumentException e) {
      prepared = password.toCharArray();
    }
    try {
      ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(prepared));
      byte[] out = new byte[bytes.remaining()];
      bytes.get(out);
      return out;
    } catch (CharacterCodingException e) {
      return utf8Bytes(password);
    } finally {
      Arrays.fill(prepared, '\0');
    }
  }

  /**
   * The last SaltedPassword computed in this process, with what it was computed from: a backup's
   * second connection (the WAL stream) and a receiver's reconnections authenticate as the same role
   * to the same server, which sends the same salt and iteration count, so the 4,096 iterations
   * (0.05-0.08 s of CPU in a fresh JVM) run once per process. Keyed by a SHA-256 over iterations,
   * salt and password, so the cache holds no password; one entry, so it cannot grow.
   */
  private static volatile @Nullable CachedKey lastSalted;

  private record CachedKey(byte[] inputs, byte[] salted) {}

  /** {@link #hi} of these inputs, from {@link #lastSalted} when they are the last ones. */
  static byte[] saltedPassword(byte[] password, byte[] salt, int iterations) {
    MessageDigest md = sha256();
    // Both counts big-endian, then the salt and the password: no two inputs give the same bytes.
    md.update(ByteBuffer.allocate(8).putInt(iterations).putInt(salt.length).array());
    md.update(salt);
    md.update(password);
    byte[] inputs = md.digest();
    CachedKey last = lastSalted;
    if (last != null && MessageDigest.isEqual(last.inputs(), inputs)) {
      return last.salted().clone();
    }
    byte[] salted = hi(password, salt, iterations);
    lastSalted = new CachedKey(inputs, salted.clone());
    return salted;
  }

  /**
   * PBKDF2 with HMAC-SHA-256 and one block: RFC 5802's Hi(). Each iteration is two SHA-256
   * compressions on pre-keyed digests ({@link Hmac}) where {@code javax.crypto.Mac} does four (it
   * hashes the key's pad block again for every message), and the SunJCE provider is not loaded: the
   * 4,096 iterations PostgreSQL asks for, which run in the interpreter and C1 code at every
   * connection of a short command, took 154 ms instead of 234 ms (medians of 9 fresh JVMs on a
   * loaded machine, docs/benchmarks.md "Start-up").
   */
  static byte[] hi(byte[] password, byte[] salt, int iterations) {
    Hmac mac = new Hmac(password);
    byte[] u = mac.apply(salt, new byte[] {0, 0, 0, 1});
    byte[] result = u.clone();
    byte[] inner = new byte[KEY_LENGTH];
    for (int i = 1; i < iterations; i++) {
      mac.applyInPlace(u, inner);
      for (int j = 0; j < result.length; j++) {
        result[j] ^= u[j];
      }
    }
    Arrays.fill(inner, (byte) 0);
    return result;
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    return new Hmac(key).apply(data, new byte[0]);
  }

  private static byte[] sha256(byte[] data) {
    return sha256().digest(data);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available in this JDK", e);
    }
  }

  /**
   * HMAC-SHA-256 (RFC 2104) on {@link MessageDigest}: the key's inner and outer pad blocks are
   * hashed once, and every message starts from copies of those two states.
   */
  private static final class Hmac {
    private static final int BLOCK = 64;
    private final MessageDigest inner;
    private final MessageDigest outer;

    Hmac(byte[] key) {
      MessageDigest md = sha256();
      // A key longer than a block is its hash; a shorter one (an empty one too) is zero-padded.
      byte[] k = key.length > BLOCK ? md.digest(key) : key;
      byte[] pad = new byte[BLOCK];
      for (int i = 0; i < BLOCK; i++) {
        pad[i] = (byte) ((i < k.length ? k[i] : 0) ^ 0x36);
      }
      inner = copy(md);
      inner.update(pad);
      for (int i = 0; i < BLOCK; i++) {
        pad[i] ^= 0x36 ^ 0x5c;
      }
      outer = copy(md);
      outer.update(pad);
      Arrays.fill(pad, (byte) 0);
    }

    /** HMAC(key, a || b). */
    byte[] apply(byte[] a, byte[] b) {
      MessageDigest in = copy(inner);
      in.update(a);
      in.update(b);
      MessageDigest out = copy(outer);
      out.update(in.digest());
      return out.digest();
    }

    /** Replaces {@code u} (32 bytes) by HMAC(key, u), through {@code scratch} (32 bytes). */
    void applyInPlace(byte[] u, byte[] scratch) {
      try {
        MessageDigest in = copy(inner);
        in.update(u);
        in.digest(scratch, 0, KEY_LENGTH);
        MessageDigest out = copy(outer);
        out.update(scratch);
        out.digest(u, 0, KEY_LENGTH);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("SHA-256 digest failed", e);
      }
    }

    private static MessageDigest copy(MessageDigest md) {
      try {
        return (MessageDigest) md.clone();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("the JDK's SHA-256 cannot be cloned", e);
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String b64(byte[] data) {
    return Base64.getEncoder().encodeToString(data);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] utf8Bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String utf8(byte[] data) {
    return new String(data, StandardCharsets.UTF_8);
  }

  private static PgException malformed(String what) {
    return failure("malformed SCRAM message (" + what + ")");
  }

  private static PgException failure(String message) {
    return new PgException(SqlState.PROTOCOL_VIOLATION, message);
  }
}
