// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationCleartextPassword;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationMd5Password;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationOk;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationRequest;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSasl;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslContinue;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslFinal;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationUnsupported;
import io.jwalreceiver.protocol.frontend.FrontendMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The client side of the authentication exchange, without a socket: each backend authentication
 * request goes in, the frontend messages to answer it come out, or a {@link PgException} says why
 * the connection must not go on. One instance per connection attempt.
 *
 * <p>Its decisions are libpq 18's (fe-auth.c, fe-auth-scram.c): every request is first checked
 * against require_auth and channel_binding, so that nothing, not even a password hash, is sent to a
 * server asking for a method the user ruled out; AuthenticationOk is accepted only once those rules
 * are met, which for channel_binding=require means a SCRAM-SHA-256-PLUS exchange whose server
 * signature was verified. Error texts are libpq's, without the {@code connection to server …
 * failed:} prefix, which the caller adds.
 */
final class Authenticator {

  static final String OAUTHBEARER = "OAUTHBEARER";

  /** libpq's client nonce: 18 random bytes, base64 encoded. */
  private static final int RAW_NONCE_LENGTH = 18;

  private final ConnectionConfig cfg;
  private final @Nullable RequireAuth requireAuth;
  private final boolean tls;
  private final Supplier<byte[]> tlsServerEndPoint;
  private final Supplier<String> nonces;
  private final String saslUser;

  private @Nullable String password;
  private @Nullable ScramSha256 scram;
  private boolean clientFinishedAuth;
  private boolean authenticated;

  /**
   * @param cfg user, password sources, channel_binding and require_auth
   * @param tls whether the connection is encrypted
   * @param tlsServerEndPoint the tls-server-end-point channel binding data (the hash of the
   *     server's certificate); asked for only when SCRAM-SHA-256-PLUS is used
   */
  Authenticator(ConnectionConfig cfg, boolean tls, Supplier<byte[]> tlsServerEndPoint) {
    this(cfg, tls, tlsServerEndPoint, Authenticator::randomNonce, "");
  }

  /** For tests: a chosen client nonce and SCRAM user name (PostgreSQL clients send it empty). */
  Authenticator(
      ConnectionConfig cfg,
      boolean tls,
      Supplier<byte[]> tlsServerEndPoint,
      Supplier<String> nonces,
      String saslUser) {
    this.cfg = cfg;
    this.requireAuth = RequireAuth.parse(cfg.requireAuth());
    this.tls = tls;
    this.tlsServerEndPoint = tlsServerEndPoint;
    this.nonces = nonces;
    this.saslUser = saslUser;
  }

  /** Whether AuthenticationOk has been received and accepted. */
  boolean authenticated() {
    return authenticated;
  }

  /** Whether a SCRAM-SHA-256-PLUS exchange completed with the server's signature verified. */
  boolean channelBound() {
    return scram != null && scram.plus() && scram.finished();
  }

  /**
   * Handles one authentication request.
   *
   * @return the messages to send in answer, in order; empty when none is due
   */
  List<FrontendMessage> handle(AuthenticationRequest request) {
    if (authenticated) {
      throw Wire.violation("authentication request after AuthenticationOk");
    }
    int code = code(request);
    checkExpected(code);
    switch (code) {
      case RequireAuth.AUTH_OK -> {
        authenticated = true;
        return List.of();
      }
      case RequireAuth.AUTH_PASSWORD -> {
        String p = password();
        clientFinishedAuth = true;
        return List.of(new FrontendMessage.PasswordMessage(p));
      }
      case RequireAuth.AUTH_MD5 -> {
        String p = password();
        clientFinishedAuth = true;
        byte[] salt = ((AuthenticationMd5Password) request).salt().toArray();
        return List.of(new FrontendMessage.PasswordMessage(md5Hash(p, cfg.user(), salt)));
      }
      case RequireAuth.AUTH_SASL -> {
        return List.of(saslStart(((AuthenticationSasl) request).mechanisms()));
      }
      case RequireAuth.AUTH_SASL_CONT -> {
        return saslContinue(((AuthenticationSaslContinue) request).data(), false);
      }
      case RequireAuth.AUTH_SASL_FIN -> {
        return saslContinue(((AuthenticationSaslFinal) request).data(), true);
      }
      default -> throw unsupported(code);
    }
  }

  /** The protocol's code of each decoded request type. */
  private static final Map<Class<?>, Integer> CODES =
      Map.of(
          AuthenticationOk.class, RequireAuth.AUTH_OK,
          AuthenticationCleartextPassword.class, RequireAuth.AUTH_PASSWORD,
          AuthenticationMd5Password.class, RequireAuth.AUTH_MD5,
          AuthenticationSasl.class, RequireAuth.AUTH_SASL,
          AuthenticationSaslContinue.class, RequireAuth.AUTH_SASL_CONT,
          AuthenticationSaslFinal.class, RequireAuth.AUTH_SASL_FIN);

  private static int code(AuthenticationRequest request) {
    Integer code = CODES.get(request.getClass());
    return code != null ? code : ((AuthenticationUnsupported) request).code();
  }

  /** libpq's check_expected_areq: require_auth first, then channel_binding=require. */
  private void checkExpected(int code) {
    if (requireAuth != null) {
      String reason = null;
      boolean allowed;
      if (code == RequireAuth.AUTH_OK) {
        // As libpq: with "none" allowed (or a negated list) a partial exchange is accepted.
        allowed = !requireAuth.authRequired() || clientFinishedAuth;
        reason = "server did not complete authentication";
      } else {
        allowed = requireAuth.allows(code);
        reason = RequireAuth.describe(code);
      }
      if (!allowed) {
        throw requirementFailed(reason);
      }
    }
    if (cfg.channelBinding() == ChannelBinding.REQUIRE) {
      switch (code) {
        case RequireAuth.AUTH_SASL, RequireAuth.AUTH_SASL_CONT, RequireAuth.AUTH_SASL_FIN -> {}
        case RequireAuth.AUTH_OK -> {
          if (!channelBound()) {
            throw refusal(
                "channel binding required, but server authenticated client without channel"
                    + " binding");
          }
        }
        default ->
            throw refusal(
                "channel binding required but not supported by server's authentication request");
      }
    }
  }

  private FrontendMessage saslStart(List<String> mechanisms) {
    if (cfg.channelBinding() == ChannelBinding.REQUIRE && !tls) {
      throw refusal("channel binding required, but SSL not in use");
    }
    if (scram != null) {
      throw protocol("duplicate SASL authentication request");
    }
    String selected = null;
    for (String m : mechanisms) {
      if (m.equals(ScramSha256.MECHANISM_PLUS)) {
        if (!tls) {
          // A server that can bind but sees no TLS: something between us stripped it.
          throw refusal(
              "server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection");
        }
        if (cfg.channelBinding() != ChannelBinding.DISABLE) {
          selected = m;
        }
      } else if (selected == null && (m.equals(ScramSha256.MECHANISM) || m.equals(OAUTHBEARER))) {
        selected = m;
      }
    }
    if (selected == null) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          "none of the server's SASL authentication mechanisms are supported");
    }
    boolean oauth = selected.equals(OAUTHBEARER);
    if (requireAuth != null
        && !requireAuth.allows(
            oauth
                ? RequireAuth.SaslMechanism.OAUTHBEARER
                : RequireAuth.SaslMechanism.SCRAM_SHA_256)) {
      throw requirementFailed("server requested " + selected + " authentication");
    }
    if (cfg.channelBinding() == ChannelBinding.REQUIRE
        && !selected.equals(ScramSha256.MECHANISM_PLUS)) {
      throw refusal(
          "channel binding is required, but server did not offer an authentication method that"
              + " supports channel binding");
    }
    if (oauth) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          "server requested OAUTHBEARER authentication, which jwalreceiver does not support",
          null,
          "Authenticate this role with scram-sha-256, md5, password or trust in pg_hba.conf.",
          null);
    }
    boolean plus = selected.equals(ScramSha256.MECHANISM_PLUS);
    String p = password();
    byte[] endPoint = plus ? tlsServerEndPoint.get() : null;
    ScramSha256 scram =
        new ScramSha256(
            plus,
            tls && cfg.channelBinding() != ChannelBinding.DISABLE,
            endPoint,
            p,
            saslUser,
            nonces.get());
    this.scram = scram;
    return new FrontendMessage.SaslInitialResponse(scram.mechanism(), scram.clientFirst());
  }

  private List<FrontendMessage> saslContinue(byte[] data, boolean last) {
    ScramSha256 scram = this.scram;
    if (scram == null) {
      throw protocol(
          "fe_sendauth: invalid authentication request from server:"
              + " AUTH_REQ_SASL_CONT without AUTH_REQ_SASL");
    }
    byte[] reply = scram.receive(data);
    if (scram.finished()) {
      clientFinishedAuth = true;
    }
    if (last && reply != null) {
      throw protocol(
          "AuthenticationSASLFinal received from server, but SASL authentication was not"
              + " completed");
    }
    return reply == null ? List.of() : List.of(new FrontendMessage.SaslResponse(reply));
  }

  /** The password from the connection, .pgpass or the prompt, looked up once. */
  private String password() {
    if (password != null) {
      return password;
    }
    String p = cfg.password();
    Path passFile = cfg.passFile();
    if (p == null && passFile != null) {
      // PgPassFile maps the default socket directory to "localhost", as libpq does.
      p =
          PgPassFile.lookup(
                  passFile,
                  cfg.host(),
                  cfg.port(),
                  cfg.database() == null ? cfg.user() : cfg.database(),
                  cfg.user(),
                  ConnInfo.defaultSocketDir(Files::exists),
                  w -> {})
              .orElse(null);
    }
    ConnectionConfig.PasswordPrompt prompt = cfg.passwordPrompt();
    if (p == null && prompt != null) {
      p = prompt.ask();
    }
    if (p == null || p.isEmpty()) {
      throw new PgException(
          SqlState.INVALID_PASSWORD,
          "fe_sendauth: no password supplied",
          null,
          "Give the password in PGPASSWORD or ~/.pgpass, or leave out -w to be asked for it.",
          null);
    }
    password = p;
    return p;
  }

  private PgException requirementFailed(String reason) {
    String raw = requireAuth == null ? "" : requireAuth.raw();
    return refusal("authentication method requirement \"" + raw + "\" failed: " + reason);
  }

  private static PgException refusal(String message) {
    return new PgException(SqlState.INVALID_AUTHORIZATION, message);
  }

  private static PgException protocol(String message) {
    return new PgException(SqlState.PROTOCOL_VIOLATION, message);
  }

  /** libpq's texts for the requests it recognises and refuses. */
  private static PgException unsupported(int code) {
    String what =
        switch (code) {
          case 1 -> "Kerberos 4 authentication not supported";
          case 2 -> "Kerberos 5 authentication not supported";
          case 4 -> "Crypt authentication not supported";
          case RequireAuth.AUTH_GSS, RequireAuth.AUTH_GSS_CONT ->
              "GSSAPI authentication not supported";
          case RequireAuth.AUTH_SSPI -> "SSPI authentication not supported";
          default -> "authentication method " + Integer.toUnsignedString(code) + " not supported";
        };
    return new PgException(
        SqlState.CONNECTION_UNABLE,
        what,
        null,
        "jwalreceiver supports trust, password, md5 and scram-sha-256 authentication.",
        null);
  }

  private static String randomNonce() {
    byte[] raw = new byte[RAW_NONCE_LENGTH];
    new SecureRandom().nextBytes(raw);
    return Base64.getEncoder().encodeToString(raw);
  }

  /** {@code "md5" + hex(md5(hex(md5(password ‖ user)) ‖ salt))} (protocol-notes §1.4). */
  static String md5Hash(String password, String user, byte[] salt) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(password.getBytes(StandardCharsets.UTF_8));
      md.update(user.getBytes(StandardCharsets.UTF_8));
      String inner = HexFormat.of().formatHex(md.digest());
      md.update(inner.getBytes(StandardCharsets.US_ASCII));
      md.update(salt);
      return "md5" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is not available in this JDK", e);
    }
  }
}
