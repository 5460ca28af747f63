// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** require_auth as libpq 16–18 parse it, and where the errors surface. */
// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
class RequireAuthTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      textBlock =
          """
      bogus                  | invalid require_auth value: "bogus"
      'password,'            | invalid require_auth value: ""
      'SCRAM-SHA-256'        | invalid require_auth value: "SCRAM-SHA-256"
      '!trust'               | invalid require_auth value: "trust"
      'password,!md5'        | negative require_auth method "!md5" cannot be mixed with non-negative methods
      '!password,md5'        | require_auth method "md5" cannot be mixed with negative methods
      'password,password'    | require_auth method "password" is specified more than once
      'md5, md5'             | require_auth method "md5" is specified more than once
      '!md5,!md5'            | require_auth method "!md5" is specified more than once
      'none,none'            | require_auth method "none" is specified more than once
      '!none,!none'          | require_auth method "!none" is specified more than once
      'scram-sha-256,scram-sha-256' | require_auth method "scram-sha-256" is specified more than once
      '!oauth,!oauth'        | require_auth method "!oauth" is specified more than once
      """)
  void rejectsWhatLibpqRejects(String value, String message) {
    assertThatThrownBy(() -> RequireAuth.parse(value))
        .isInstanceOf(PgException.class)
        .hasMessage(message)
        .satisfies(
            e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE));
  }

  @Test
  void aBadValueFailsWhenTheOptionsAreResolvedNotAtConnectTime() {
    // libpq reports it from PQconnectdb's option check, without a "connection to server" prefix.
    assertThatThrownBy(() -> resolve("host=db require_auth=scram-sha256", null, Map.of()))
        .isInstanceOf(PgException.class)
        .hasMessage("invalid require_auth value: \"scram-sha256\"");
    assertThatThrownBy(() -> resolve(null, "db", Map.of("PGREQUIREAUTH", "md5,!password")))
        .hasMessage(
            "negative require_auth method \"!password\" cannot be mixed with non-negative methods");
    assertThat(
            resolve("host=db require_auth=' md5 , scram-sha-256 '", null, Map.of()).requireAuth())
        .isEqualTo(" md5 , scram-sha-256 ");
  }

  @Test
  void emptyMeansNoRequirement() {
    assertThat(RequireAuth.parse(null)).isNull();
    assertThat(RequireAuth.parse("")).isNull();
  }

  /**
   * A require_auth value, whether it requires authentication at all (blank: not checked), the
   * requests it allows and those it refuses: {@code AUTH_*} request codes by name or number, SASL
   * mechanisms by name.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      textBlock =
          """
      # a plain list allows only its methods and requires authentication
      md5,scram-sha-256       | true  | AUTH_MD5 AUTH_SASL AUTH_SASL_FIN SCRAM_SHA_256 | AUTH_PASSWORD AUTH_GSS OAUTHBEARER 4 99
      # none alone allows only connections without authentication
      none                    | false |                                    | AUTH_PASSWORD AUTH_SASL
      # a negated list allows everything else
      !password               | false | AUTH_MD5 AUTH_SASL SCRAM_SHA_256   | AUTH_PASSWORD
      !none                   | true  | AUTH_PASSWORD                      |
      # negating every SASL mechanism takes the SASL requests away (libpq 18)
      '!scram-sha-256,!oauth' |       |                                    | AUTH_SASL
      !scram-sha-256          |       | AUTH_SASL                          | SCRAM_SHA_256
      # GSS and SSPI share the continue request
      'gss,sspi'              |       | AUTH_GSS_CONT                      |
      '!gss,!sspi'            |       |                                    | AUTH_GSS_CONT
      sspi                    |       |                                    | AUTH_GSS
      """)
  void allowsWhatTheListSays(String value, Boolean required, String allowed, String refused)
      throws Exception {
    RequireAuth r = RequireAuth.parse(value);
    if (required != null) {
      assertThat(r.authRequired()).isEqualTo(required);
    }
    for (String request : words(allowed)) {
      assertThat(allows(r, request)).as(request).isTrue();
    }
    for (String request : words(refused)) {
      assertThat(allows(r, request)).as(request).isFalse();
    }
  }

  private static List<String> words(String list) {
    return list == null ? List.of() : List.of(list.trim().split(" +"));
  }

  private static boolean allows(RequireAuth r, String request) throws Exception {
    if (request.chars().allMatch(Character::isDigit)) {
      return r.allows(Integer.parseInt(request));
    }
    if (!request.startsWith("AUTH_")) {
      return r.allows(RequireAuth.SaslMechanism.valueOf(request));
    }
    return r.allows(RequireAuth.class.getDeclaredField(request).getInt(null));
  }

  /** Resolves as pg_receivewal would, with no home directory and no files. */
  private static ConnectionConfig resolve(String conninfo, String host, Map<String, String> env) {
    return ConnInfo.resolve(
        conninfo,
        host,
        null,
        null,
        env,
        "osuser",
        Path.of("/nonexistent-home"),
        "pg_receivewal",
        p -> false);
  }
}
