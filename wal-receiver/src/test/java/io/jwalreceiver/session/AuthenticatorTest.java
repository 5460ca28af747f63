// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static io.jwalreceiver.protocol.WireBytes.hex;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationCleartextPassword;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationMd5Password;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationOk;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationRequest;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSasl;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslContinue;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslFinal;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationUnsupported;
import io.jwalreceiver.protocol.frontend.FrontendMessage;
import io.jwalreceiver.protocol.frontend.FrontendMessage.PasswordMessage;
import io.jwalreceiver.protocol.frontend.FrontendMessage.SaslInitialResponse;
import io.jwalreceiver.protocol.frontend.FrontendMessage.SaslResponse;
import java.util.Base64;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The authenticator alone: backend authentication requests in, frontend messages out. SCRAM is
 * checked against the RFC 7677 test vector (user "user", password "pencil"); the hostile sequences
 * are the ones a server that does not know the password, or a man in the middle, would try.
 */
class AuthenticatorTest {

  // RFC 7677 §3.
  private static final String RFC_NONCE = "rOprNGfwEbeRWgbNEkqO";
  private static final String RFC_CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
  private static final String RFC_SERVER_FIRST =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  private static final String RFC_CLIENT_FINAL =
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
          + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  private static final String RFC_SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

  /** Stand-in tls-server-end-point data (a SHA-256 hash is 32 bytes). */
  private static final byte[] END_POINT = new byte[32];

  private static ConnectionConfig cfg(ChannelBinding binding, @Nullable String requireAuth) {
    return ConnectionConfig.builder()
        .host("db.example")
        .port(5432)
        .user("user")
        .password("pencil")
        .channelBinding(binding)
        .requireAuth(requireAuth)
        .build();
  }

  private static Authenticator rfc(ConnectionConfig cfg, boolean tls) {
    return new Authenticator(cfg, tls, () -> END_POINT.clone(), () -> RFC_NONCE, "user");
  }

  private static Authenticator rfc(ChannelBinding binding, @Nullable String requireAuth) {
    return rfc(cfg(binding, requireAuth), false);
  }

  private static AuthenticationRequest sasl(String... mechanisms) {
    return new AuthenticationSasl(List.of(mechanisms));
  }

  private static AuthenticationRequest cont(String data) {
    return new AuthenticationSaslContinue(data.getBytes(UTF_8));
  }

  private static AuthenticationRequest fin(String data) {
    return new AuthenticationSaslFinal(data.getBytes(UTF_8));
  }

  private static String text(FrontendMessage m) {
    if (m instanceof SaslInitialResponse r) {
      return new String(r.data(), UTF_8);
    }
    return new String(((SaslResponse) m).data(), UTF_8);
  }

  private static void refused(ThrowingCallable call, SqlState state, String message) {
    assertThatThrownBy(call)
        .isInstanceOf(PgException.class)
        .hasMessage(message)
        .satisfies(e -> assertThat(((PgException) e).sqlState()).isEqualTo(state));
  }

  // ------------------------------------------------------------------------------------- SCRAM

  @Test
  void scramProducesTheRfc7677MessagesAndVerifiesTheServer() {
    Authenticator a = rfc(ChannelBinding.PREFER, null);
    List<FrontendMessage> first = a.handle(sasl("SCRAM-SHA-256"));
    assertThat(first).hasSize(1);
    assertThat(((SaslInitialResponse) first.get(0)).mechanism()).isEqualTo("SCRAM-SHA-256");
    assertThat(text(first.get(0))).isEqualTo(RFC_CLIENT_FIRST);

    List<FrontendMessage> fin = a.handle(cont(RFC_SERVER_FIRST));
    assertThat(fin).hasSize(1);
    assertThat(text(fin.get(0))).isEqualTo(RFC_CLIENT_FINAL);

    assertThat(a.handle(fin(RFC_SERVER_FINAL))).isEmpty();
    assertThat(a.handle(new AuthenticationOk())).isEmpty();
    assertThat(a.authenticated()).isTrue();
    assertThat(a.channelBound()).isFalse();
  }

  @Test
  void thePasswordIsSaslPreparedAsTheServerPreparesIt() {
    // SASLprep maps U+00AD (soft hyphen) to nothing and U+00A0 to a space: "pen\u00ADcil" is
    // "pencil", so the RFC 7677 proof and server signature hold.
    Authenticator a =
        new Authenticator(
            cfg(ChannelBinding.PREFER, null).toBuilder().password("pen\u00ADcil").build(),
            false,
            () -> END_POINT,
            () -> RFC_NONCE,
            "user");
    a.handle(sasl("SCRAM-SHA-256"));
    assertThat(text(a.handle(cont(RFC_SERVER_FIRST)).get(0))).isEqualTo(RFC_CLIENT_FINAL);
    assertThat(a.handle(fin(RFC_SERVER_FINAL))).isEmpty();
  }

  @Test
  void postgresClientsSendAnEmptyUserNameAndA24CharacterNonce() {
    Authenticator a = new Authenticator(cfg(ChannelBinding.PREFER, null), false, () -> END_POINT);
    String first = text(a.handle(sasl("SCRAM-SHA-256")).get(0));
    assertThat(first).matches("n,,n=,r=[A-Za-z0-9+/]{24}");
  }

  /** A server-final-message after a good server-first-message: its SQLSTATE and libpq's message. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // A well-formed signature, of 32 zero bytes: not the server's.
        "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= | 28000 | incorrect server signature",
        "e=invalid-proof | 28000 | error received from server in SCRAM exchange: invalid-proof",
        "v=AAAA          | 08P01 | malformed SCRAM message (invalid server signature)",
      })
  void aBadServerFinalMessageIsRefused(String serverFinal, SqlState state, String message) {
    Authenticator a = rfc(ChannelBinding.PREFER, null);
    a.handle(sasl("SCRAM-SHA-256"));
    a.handle(cont(RFC_SERVER_FIRST));
    refused(() -> a.handle(fin(serverFinal)), state, message);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      textBlock =
          """
      'r=someoneElsesNonce123456,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096' | invalid SCRAM response (nonce mismatch)
      'r=rOprNGfwEbeRWgbNEkq,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'     | invalid SCRAM response (nonce mismatch)
      'r=rOprNGfwEbeRWgbNEkqO%x,s=***,i=4096'                       | malformed SCRAM message (invalid salt)
      'r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0'     | malformed SCRAM message (invalid iteration count)
      'r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1'    | malformed SCRAM message (invalid iteration count)
      'r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4k'    | malformed SCRAM message (invalid iteration count)
      'r=rOprNGfwEbeRWgbNEkqO%x,i=4096'                             | malformed SCRAM message (attribute "s" expected)
      's=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'                           | malformed SCRAM message (attribute "r" expected)
      'r'                                                           | malformed SCRAM message (expected character "=" for attribute "r")
      'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='              | malformed SCRAM message (attribute "r" expected)
      """)
  void aBadServerFirstMessageIsRefused(String serverFirst, String message) {
    Authenticator a = rfc(ChannelBinding.PREFER, null);
    a.handle(sasl("SCRAM-SHA-256"));
    refused(() -> a.handle(cont(serverFirst)), SqlState.PROTOCOL_VIOLATION, message);
  }

  @Test
  void emptyAndNulBearingMessagesAreMalformed() {
    Authenticator a = rfc(ChannelBinding.PREFER, null);
    a.handle(sasl("SCRAM-SHA-256"));
    refused(
        () -> a.handle(new AuthenticationSaslContinue(new byte[0])),
        SqlState.PROTOCOL_VIOLATION,
        "malformed SCRAM message (empty message)");
    refused(
        () -> a.handle(new AuthenticationSaslContinue(hex("723d00"))),
        SqlState.PROTOCOL_VIOLATION,
        "malformed SCRAM message (length mismatch)");
  }

  /** A SASLFinal where the server-first-message belongs: the exchange cannot have completed. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // Carrying a server-first-message.
        "RFC_SERVER_FIRST | AuthenticationSASLFinal received from server, but SASL authentication"
            + " was not completed",
        // Carrying a server-final-message: not a server-first-message.
        "RFC_SERVER_FINAL | malformed SCRAM message (attribute \"r\" expected)",
      })
  void saslFinalBeforeSaslContinueIsRefused(String carrying, String message) {
    String payload = carrying.equals("RFC_SERVER_FIRST") ? RFC_SERVER_FIRST : RFC_SERVER_FINAL;
    Authenticator a = rfc(ChannelBinding.PREFER, null);
    a.handle(sasl("SCRAM-SHA-256"));
    refused(() -> a.handle(fin(payload)), SqlState.PROTOCOL_VIOLATION, message);
  }

  @Test
  void saslMessagesOutOfOrderAreRefused() {
    refused(
        () -> rfc(ChannelBinding.PREFER, null).handle(cont(RFC_SERVER_FIRST)),
        SqlState.PROTOCOL_VIOLATION,
        "fe_sendauth: invalid authentication request from server: AUTH_REQ_SASL_CONT without"
            + " AUTH_REQ_SASL");
    refused(
        () -> rfc(ChannelBinding.PREFER, null).handle(fin(RFC_SERVER_FINAL)),
        SqlState.PROTOCOL_VIOLATION,
        "fe_sendauth: invalid authentication request from server: AUTH_REQ_SASL_CONT without"
            + " AUTH_REQ_SASL");

    Authenticator twice = rfc(ChannelBinding.PREFER, null);
    twice.handle(sasl("SCRAM-SHA-256"));
    refused(
        () -> twice.handle(sasl("SCRAM-SHA-256")),
        SqlState.PROTOCOL_VIOLATION,
        "duplicate SASL authentication request");

    Authenticator finished = rfc(ChannelBinding.PREFER, null);
    finished.handle(sasl("SCRAM-SHA-256"));
    finished.handle(cont(RFC_SERVER_FIRST));
    finished.handle(fin(RFC_SERVER_FINAL));
    refused(
        () -> finished.handle(fin(RFC_SERVER_FINAL)),
        SqlState.PROTOCOL_VIOLATION,
        "invalid SCRAM exchange state");

    Authenticator after = rfc(ChannelBinding.PREFER, null);
    after.handle(new AuthenticationOk());
    refused(
        () -> after.handle(new AuthenticationCleartextPassword()),
        SqlState.PROTOCOL_VIOLATION,
        "protocol violation: authentication request after AuthenticationOk");
  }

  @Test
  void noSupportedMechanismIsRefused() {
    refused(
        () -> rfc(ChannelBinding.PREFER, null).handle(sasl("SCRAM-SHA-1", "GS2-KRB5")),
        SqlState.CONNECTION_UNABLE,
        "none of the server's SASL authentication mechanisms are supported");
  }

  // --------------------------------------------------------------------------- channel binding

  @Test
  void requireIsNotSatisfiedByAuthenticationOkRightAfterTheClientFirstMessage() {
    // Bug 1: the server offered PLUS, took the client-first-message and said OK without ever
    // proving it knows the password or holds the certificate's key.
    Authenticator a = rfc(cfg(ChannelBinding.REQUIRE, null), true);
    List<FrontendMessage> first = a.handle(sasl("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"));
    assertThat(((SaslInitialResponse) first.get(0)).mechanism()).isEqualTo("SCRAM-SHA-256-PLUS");
    refused(
        () -> a.handle(new AuthenticationOk()),
        SqlState.INVALID_AUTHORIZATION,
        "channel binding required, but server authenticated client without channel binding");
    assertThat(a.authenticated()).isFalse();
    assertThat(a.channelBound()).isFalse();
  }

  @Test
  void requireIsNotSatisfiedByAuthenticationOkInsteadOfTheServerFinalMessage() {
    Authenticator a = rfc(cfg(ChannelBinding.REQUIRE, null), true);
    a.handle(sasl("SCRAM-SHA-256-PLUS"));
    String serverFirst = "r=" + RFC_NONCE + "srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    String clientFinal = text(a.handle(cont(serverFirst)).get(0));
    // The PLUS client-final-message carries the GS2 header and the end-point data.
    String c = clientFinal.substring(2, clientFinal.indexOf(','));
    byte[] cbind = Base64.getDecoder().decode(c);
    assertThat(new String(cbind, 0, 24, UTF_8)).isEqualTo("p=tls-server-end-point,,");
    assertThat(cbind).hasSize(24 + END_POINT.length);
    refused(
        () -> a.handle(new AuthenticationOk()),
        SqlState.INVALID_AUTHORIZATION,
        "channel binding required, but server authenticated client without channel binding");
  }

  @Test
  void requireIsNotSatisfiedByTrust() {
    refused(
        () -> rfc(cfg(ChannelBinding.REQUIRE, null), true).handle(new AuthenticationOk()),
        SqlState.INVALID_AUTHORIZATION,
        "channel binding required, but server authenticated client without channel binding");
  }

  @Test
  void requireSendsNoPasswordToANonSaslMethod() {
    for (AuthenticationRequest r :
        List.of(
            new AuthenticationCleartextPassword(),
            new AuthenticationMd5Password(hex("01020304")),
            new AuthenticationUnsupported(7))) {
      refused(
          () -> rfc(cfg(ChannelBinding.REQUIRE, null), true).handle(r),
          SqlState.INVALID_AUTHORIZATION,
          "channel binding required but not supported by server's authentication request");
    }
  }

  @Test
  void requireNeedsTheServerToOfferPlus() {
    refused(
        () -> rfc(cfg(ChannelBinding.REQUIRE, null), true).handle(sasl("SCRAM-SHA-256")),
        SqlState.INVALID_AUTHORIZATION,
        "channel binding is required, but server did not offer an authentication method that"
            + " supports channel binding");
    // Without TLS there is no channel to bind to, whatever the server offers.
    refused(
        () -> rfc(cfg(ChannelBinding.REQUIRE, null), false).handle(sasl("SCRAM-SHA-256")),
        SqlState.INVALID_AUTHORIZATION,
        "channel binding required, but SSL not in use");
    refused(
        () ->
            rfc(cfg(ChannelBinding.REQUIRE, null), false)
                .handle(sasl("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
        SqlState.INVALID_AUTHORIZATION,
        "channel binding required, but SSL not in use");
  }

  @Test
  void plusOfferedWithoutTlsIsRefusedUnderDisableAndPrefer() {
    for (ChannelBinding b : List.of(ChannelBinding.DISABLE, ChannelBinding.PREFER)) {
      refused(
          () -> rfc(cfg(b, null), false).handle(sasl("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
          SqlState.INVALID_AUTHORIZATION,
          "server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection");
    }
  }

  @Test
  void disableNeverUsesPlusAndPreferSaysTheClientCouldBind() {
    Authenticator disabled = rfc(cfg(ChannelBinding.DISABLE, null), true);
    SaslInitialResponse d =
        (SaslInitialResponse) disabled.handle(sasl("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")).get(0);
    assertThat(d.mechanism()).isEqualTo("SCRAM-SHA-256");
    assertThat(text(d)).startsWith("n,,");

    Authenticator prefer = rfc(cfg(ChannelBinding.PREFER, null), true);
    SaslInitialResponse p = (SaslInitialResponse) prefer.handle(sasl("SCRAM-SHA-256")).get(0);
    assertThat(text(p)).startsWith("y,,n=user,r=");
    // The client-final-message repeats the flag: base64("y,,") = "eSws".
    assertThat(text(prefer.handle(cont(RFC_SERVER_FIRST)).get(0))).startsWith("c=eSws,r=");

    Authenticator plus = rfc(cfg(ChannelBinding.PREFER, null), true);
    SaslInitialResponse q =
        (SaslInitialResponse) plus.handle(sasl("SCRAM-SHA-256", "SCRAM-SHA-256-PLUS")).get(0);
    assertThat(q.mechanism()).isEqualTo("SCRAM-SHA-256-PLUS");
    assertThat(text(q)).startsWith("p=tls-server-end-point,,n=user,r=");
  }

  @Test
  void preferAcceptsAnUnfinishedExchangeAsLibpqDoes() {
    // libpq's historical behaviour without require_auth or channel_binding=require.
    Authenticator a = rfc(ChannelBinding.PREFER, null);
    a.handle(sasl("SCRAM-SHA-256"));
    assertThat(a.handle(new AuthenticationOk())).isEmpty();
    assertThat(a.authenticated()).isTrue();
  }

  // ------------------------------------------------------------------------------ require_auth

  @ParameterizedTest(name = "{0} vs {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      scram-sha-256      | password | authentication method requirement "scram-sha-256" failed: server requested a cleartext password
      scram-sha-256      | md5      | authentication method requirement "scram-sha-256" failed: server requested a hashed password
      scram-sha-256      | trust    | authentication method requirement "scram-sha-256" failed: server did not complete authentication
      scram-sha-256      | gss      | authentication method requirement "scram-sha-256" failed: server requested GSSAPI authentication
      scram-sha-256      | sspi     | authentication method requirement "scram-sha-256" failed: server requested SSPI authentication
      scram-sha-256      | crypt    | authentication method requirement "scram-sha-256" failed: server requested an unknown authentication type
      password           | scram    | authentication method requirement "password" failed: server requested SASL authentication
      md5,password       | scram    | authentication method requirement "md5,password" failed: server requested SASL authentication
      !password          | password | authentication method requirement "!password" failed: server requested a cleartext password
      !scram-sha-256,!oauth | scram | authentication method requirement "!scram-sha-256,!oauth" failed: server requested SASL authentication
      !scram-sha-256     | scram    | authentication method requirement "!scram-sha-256" failed: server requested SCRAM-SHA-256 authentication
      oauth              | scram    | authentication method requirement "oauth" failed: server requested SCRAM-SHA-256 authentication
      !none              | trust    | authentication method requirement "!none" failed: server did not complete authentication
      none               | md5      | authentication method requirement "none" failed: server requested a hashed password
      md5                | trust    | authentication method requirement "md5" failed: server did not complete authentication
      """)
  void refusesWhatRequireAuthRulesOutBeforeSendingAnything(
      String requireAuth, String method, String message) {
    Authenticator a = rfc(ChannelBinding.PREFER, requireAuth);
    AuthenticationRequest request =
        switch (method) {
          case "password" -> new AuthenticationCleartextPassword();
          case "md5" -> new AuthenticationMd5Password(hex("01020304"));
          case "trust" -> new AuthenticationOk();
          case "gss" -> new AuthenticationUnsupported(7);
          case "sspi" -> new AuthenticationUnsupported(9);
          case "crypt" -> new AuthenticationUnsupported(4);
          default -> sasl("SCRAM-SHA-256");
        };
    refused(() -> a.handle(request), SqlState.INVALID_AUTHORIZATION, message);
    assertThat(a.authenticated()).isFalse();
  }

  @Test
  void scramRequiredRefusesAuthenticationOkBeforeTheServerSignature() {
    Authenticator a = rfc(ChannelBinding.PREFER, "scram-sha-256");
    a.handle(sasl("SCRAM-SHA-256"));
    a.handle(cont(RFC_SERVER_FIRST));
    refused(
        () -> a.handle(new AuthenticationOk()),
        SqlState.INVALID_AUTHORIZATION,
        "authentication method requirement \"scram-sha-256\" failed: server did not complete"
            + " authentication");
  }

  @Test
  void allowedMethodsGoThrough() {
    Authenticator scram = rfc(ChannelBinding.PREFER, "scram-sha-256");
    scram.handle(sasl("SCRAM-SHA-256"));
    scram.handle(cont(RFC_SERVER_FIRST));
    scram.handle(fin(RFC_SERVER_FINAL));
    scram.handle(new AuthenticationOk());
    assertThat(scram.authenticated()).isTrue();

    Authenticator password = rfc(ChannelBinding.PREFER, "password,md5");
    assertThat(password.handle(new AuthenticationCleartextPassword()))
        .containsExactly(new PasswordMessage("pencil"));
    password.handle(new AuthenticationOk());
    assertThat(password.authenticated()).isTrue();

    Authenticator trust = rfc(ChannelBinding.PREFER, "none");
    trust.handle(new AuthenticationOk());
    assertThat(trust.authenticated()).isTrue();

    Authenticator notPassword = rfc(ChannelBinding.PREFER, "!password");
    notPassword.handle(new AuthenticationOk());
    assertThat(notPassword.authenticated()).isTrue();
  }

  @Test
  void anOauthServerFailsClearly() {
    refused(
        () -> rfc(ChannelBinding.PREFER, "oauth").handle(sasl("OAUTHBEARER")),
        SqlState.CONNECTION_UNABLE,
        "server requested OAUTHBEARER authentication, which jwalreceiver does not support");
    refused(
        () -> rfc(ChannelBinding.PREFER, "scram-sha-256").handle(sasl("OAUTHBEARER")),
        SqlState.INVALID_AUTHORIZATION,
        "authentication method requirement \"scram-sha-256\" failed: server requested OAUTHBEARER"
            + " authentication");
  }

  // ------------------------------------------------------------------------------ md5, password

  @Test
  void md5AnswersWithTheSaltedHash() {
    // The vector of Md5HashTest, computed with Python's hashlib.
    ConnectionConfig c =
        ConnectionConfig.builder()
            .host("db.example")
            .port(5432)
            .user("repl_md5")
            .password("pw")
            .build();
    Authenticator a = new Authenticator(c, false, () -> END_POINT);
    assertThat(a.handle(new AuthenticationMd5Password(hex("01020304"))))
        .containsExactly(new PasswordMessage("md5a3754db2c0c0fbb3faf84b7116b780cd"));
  }

  @Test
  void noPasswordIsLibpqsMessage() {
    ConnectionConfig c = ConnectionConfig.of("db.example", 5432, "user");
    refused(
        () ->
            new Authenticator(c, false, () -> END_POINT)
                .handle(new AuthenticationCleartextPassword()),
        SqlState.INVALID_PASSWORD,
        "fe_sendauth: no password supplied");
  }

  @ParameterizedTest(name = "code {0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      1  | Kerberos 4 authentication not supported
      2  | Kerberos 5 authentication not supported
      4  | Crypt authentication not supported
      7  | GSSAPI authentication not supported
      8  | GSSAPI authentication not supported
      9  | SSPI authentication not supported
      6  | authentication method 6 not supported
      13 | authentication method 13 not supported
      """)
  void unsupportedMethodsAreNamed(int code, String message) {
    refused(
        () -> rfc(ChannelBinding.PREFER, null).handle(new AuthenticationUnsupported(code)),
        SqlState.CONNECTION_UNABLE,
        message);
  }
}
