// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static io.jwalreceiver.protocol.WireBytes.hex;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.protocol.Golden;
import io.jwalreceiver.protocol.Golden.Frame;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code Authenticator.md5Hash}: {@code "md5" + hex(md5(hex(md5(password ‖ user)) ‖ salt))}.
 *
 * <p>The expected values were computed independently with Python's hashlib:
 *
 * <pre>
 * inner = hashlib.md5(password.encode("utf-8") + user.encode("utf-8")).hexdigest()
 * "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
 * </pre>
 */
class Md5HashTest {

  @ParameterizedTest(name = "{0}/{1} salt {2}")
  @CsvSource({
    "pw,         repl_md5, 01020304, md5a3754db2c0c0fbb3faf84b7116b780cd",
    "pw,         repl_md5, 882F234A, md5aa3f7960cece520601ff6c8aafa927f2",
    "p\u00e4ssw\u00f6rd, repl_md5, FF00807F, md5883ad4f8e04251545b4ebd12892cf99a",
  })
  void hashesLikeTheServer(String password, String user, String saltHex, String expected) {
    assertThat(Authenticator.md5Hash(password, user, hex(saltHex))).isEqualTo(expected);
  }

  @Test
  void saltChangesTheHash() {
    assertThat(Authenticator.md5Hash("pw", "repl_md5", hex("01020304")))
        .isNotEqualTo(Authenticator.md5Hash("pw", "repl_md5", hex("01020305")))
        .hasSize(35)
        .matches("md5[0-9a-f]{32}");
  }

  @Test
  void answersTheGoldenMd5ChallengeWithThePasswordTheServerAccepted() {
    // pg15-auth-md5-request.bin holds the server's salt; pg15-auth-md5-client-password.bin the
    // PasswordMessage the capture tool sent back, which the server answered with
    // AuthenticationOk. (The role's stored pg_authid.rolpassword was md5 + 6282faf7…, which is
    // the inner hash md5("pw" ‖ "repl_md5").)
    List<Frame> request = Golden.frames(Golden.load("pg15-auth-md5-request.bin"));
    byte[] body = request.get(0).body();
    assertThat(Arrays.copyOf(body, 4)).isEqualTo(hex("00000005"));
    byte[] salt = Arrays.copyOfRange(body, 4, 8);
    List<Frame> answer = Golden.frames(Golden.load("pg15-auth-md5-client-password.bin"));
    byte[] password = answer.get(0).body();
    String accepted = new String(password, 0, password.length - 1, US_ASCII);

    assertThat(Authenticator.md5Hash("pw", "repl_md5", salt)).isEqualTo(accepted);
  }
}
