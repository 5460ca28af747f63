// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.file.Path;
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

  @Test
  void aPlainListAllowsOnlyItsMethodsAndRequiresAuthentication() {
    RequireAuth r = RequireAuth.parse("md5,scram-sha-256");
    assertThat(r.authRequired()).isTrue();
    assertThat(r.allows(RequireAuth.AUTH_MD5)).isTrue();
    assertThat(r.allows(RequireAuth.AUTH_SASL)).isTrue();
    assertThat(r.allows(RequireAuth.AUTH_SASL_FIN)).isTrue();
    assertThat(r.allows(RequireAuth.AUTH_PASSWORD)).isFalse();
    assertThat(r.allows(RequireAuth.AUTH_GSS)).isFalse();
    assertThat(r.allows(RequireAuth.SaslMechanism.SCRAM_SHA_256)).isTrue();
    assertThat(r.allows(RequireAuth.SaslMechanism.OAUTHBEARER)).isFalse();
    assertThat(r.allows(4)).isFalse();
    assertThat(r.allows(99)).isFalse();
  }

  @Test
  void noneAloneAllowsOnlyConnectionsWithoutAuthentication() {
    RequireAuth r = RequireAuth.parse("none");
    assertThat(r.authRequired()).isFalse();
    assertThat(r.allows(RequireAuth.AUTH_PASSWORD)).isFalse();
    assertThat(r.allows(RequireAuth.AUTH_SASL)).isFalse();
  }

  @Test
  void aNegatedListAllowsEverythingElse() {
    RequireAuth r = RequireAuth.parse("!password");
    assertThat(r.authRequired()).isFalse();
    assertThat(r.allows(RequireAuth.AUTH_PASSWORD)).isFalse();
    assertThat(r.allows(RequireAuth.AUTH_MD5)).isTrue();
    assertThat(r.allows(RequireAuth.AUTH_SASL)).isTrue();
    assertThat(r.allows(RequireAuth.SaslMechanism.SCRAM_SHA_256)).isTrue();

    RequireAuth noneNegated = RequireAuth.parse("!none");
    assertThat(noneNegated.authRequired()).isTrue();
    assertThat(noneNegated.allows(RequireAuth.AUTH_PASSWORD)).isTrue();

    // Negating every SASL mechanism takes the SASL requests away (libpq 18).
    RequireAuth noSasl = RequireAuth.parse("!scram-sha-256,!oauth");
    assertThat(noSasl.allows(RequireAuth.AUTH_SASL)).isFalse();
    RequireAuth oauthOnly = RequireAuth.parse("!scram-sha-256");
    assertThat(oauthOnly.allows(RequireAuth.AUTH_SASL)).isTrue();
    assertThat(oauthOnly.allows(RequireAuth.SaslMechanism.SCRAM_SHA_256)).isFalse();
  }

  @Test
  void gssAndSspiShareTheContinueRequest() {
    assertThat(RequireAuth.parse("gss,sspi").allows(RequireAuth.AUTH_GSS_CONT)).isTrue();
    assertThat(RequireAuth.parse("!gss,!sspi").allows(RequireAuth.AUTH_GSS_CONT)).isFalse();
    assertThat(RequireAuth.parse("sspi").allows(RequireAuth.AUTH_GSS)).isFalse();
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
