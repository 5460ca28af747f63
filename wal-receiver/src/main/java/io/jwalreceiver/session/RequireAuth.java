// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * libpq 16+'s {@code require_auth}, parsed as libpq 18 parses it: a comma-separated list of {@code
 * password}, {@code md5}, {@code gss}, {@code sspi}, {@code scram-sha-256}, {@code oauth} and
 * {@code none}, either all plain (only these are allowed, and the server must authenticate the
 * client unless {@code none} is listed) or all negated with {@code !} (everything but these, and
 * {@code !none} makes an authentication exchange mandatory).
 *
 * <p>Authentication request codes are the protocol's ({@code AuthenticationRequest}): 3 cleartext
 * password, 5 MD5, 7 GSS, 8 GSS continue, 9 SSPI, 10 SASL, 11 SASL continue, 12 SASL final.
 */
final class RequireAuth {

  static final int AUTH_OK = 0;
  static final int AUTH_PASSWORD = 3;
  static final int AUTH_MD5 = 5;
  static final int AUTH_GSS = 7;
  static final int AUTH_GSS_CONT = 8;
  static final int AUTH_SSPI = 9;
  static final int AUTH_SASL = 10;
  static final int AUTH_SASL_CONT = 11;
  static final int AUTH_SASL_FIN = 12;

  private static final int SASL_BITS =
      (1 << AUTH_SASL) | (1 << AUTH_SASL_CONT) | (1 << AUTH_SASL_FIN);

  /** The SASL mechanisms require_auth can name. */
  enum SaslMechanism {
    SCRAM_SHA_256,
    OAUTHBEARER
  }

  private final String raw;
  private final boolean authRequired;
  private final int allowedMethods;
  private final Set<SaslMechanism> allowedSasl;

  private RequireAuth(
      String raw, boolean authRequired, int allowedMethods, Set<SaslMechanism> allowedSasl) {
    this.raw = raw;
    this.authRequired = authRequired;
    this.allowedMethods = allowedMethods;
    this.allowedSasl = allowedSasl;
  }

  /**
   * Parses a require_auth value; null or empty means no requirement (returns null). Errors carry
   * libpq's connection-option texts.
   */
  static @Nullable RequireAuth parse(@Nullable String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    boolean required = true;
    int allowed = 0;
    EnumSet<SaslMechanism> sasl = EnumSet.noneOf(SaslMechanism.class);
    boolean negated = false;
    boolean first = true;
    for (String element : value.split(",", -1)) {
      String part = element.strip();
      String method = part;
      if (method.startsWith("!")) {
        if (first) {
          // A negated list starts from everything and removes.
          required = false;
          allowed = -1;
          sasl = EnumSet.allOf(SaslMechanism.class);
        } else if (!negated) {
          throw optionError(
              "negative require_auth method \""
                  + method
                  + "\" cannot be mixed with non-negative methods");
        }
        negated = true;
        method = method.substring(1);
      } else if (negated) {
        throw optionError(
            "require_auth method \"" + method + "\" cannot be mixed with negative methods");
      }
      first = false;

      SaslMechanism mechanism = null;
      int bits = 0;
      switch (method) {
        case "password" -> bits = 1 << AUTH_PASSWORD;
        case "md5" -> bits = 1 << AUTH_MD5;
        case "gss" -> bits = (1 << AUTH_GSS) | (1 << AUTH_GSS_CONT);
        case "sspi" -> bits = (1 << AUTH_SSPI) | (1 << AUTH_GSS_CONT);
        case "scram-sha-256" -> mechanism = SaslMechanism.SCRAM_SHA_256;
        case "oauth" -> mechanism = SaslMechanism.OAUTHBEARER;
        case "none" -> {
          // "none" allows connections without an authentication exchange; "!none" forbids them.
          if (negated == required) {
            throw duplicate(part);
          }
          required = negated;
          continue;
        }
        default -> throw optionError("invalid require_auth value: \"" + method + "\"");
      }
      if (mechanism != null) {
        if (negated != sasl.contains(mechanism)) {
          throw duplicate(part);
        }
        if (negated) {
          sasl.remove(mechanism);
        } else {
          sasl.add(mechanism);
        }
      } else if (negated) {
        if ((allowed & bits) == 0) {
          throw duplicate(part);
        }
        allowed &= ~bits;
      } else {
        if ((allowed & bits) == bits) {
          throw duplicate(part);
        }
        allowed |= bits;
      }
    }
    // SASL requests are allowed exactly when some SASL mechanism is.
    if (!negated && !sasl.isEmpty()) {
      allowed |= SASL_BITS;
    } else if (negated && sasl.isEmpty()) {
      allowed &= ~SASL_BITS;
    }
    return new RequireAuth(value, required, allowed, sasl);
  }

  private static PgException duplicate(String part) {
    return optionError("require_auth method \"" + part + "\" is specified more than once");
  }

  private static PgException optionError(String message) {
    return new PgException(SqlState.CONNECTION_UNABLE, message);
  }

  /** The value as the user gave it, for messages. */
  String raw() {
    return raw;
  }

  /** Whether the server must run an authentication exchange (no trust, no cert-only). */
  boolean authRequired() {
    return authRequired;
  }

  /** Whether an authentication request with this code may be answered. */
  boolean allows(int code) {
    return switch (code) {
      case AUTH_PASSWORD,
          AUTH_MD5,
          AUTH_GSS,
          AUTH_GSS_CONT,
          AUTH_SSPI,
          AUTH_SASL,
          AUTH_SASL_CONT,
          AUTH_SASL_FIN ->
          (allowedMethods & (1 << code)) != 0;
      default -> false;
    };
  }

  /** Whether this SASL mechanism may be used. */
  boolean allows(SaslMechanism mechanism) {
    return allowedSasl.contains(mechanism);
  }

  /** libpq's description of what the server asked for, for a failed requirement. */
  static String describe(int code) {
    return switch (code) {
      case AUTH_PASSWORD -> "server requested a cleartext password";
      case AUTH_MD5 -> "server requested a hashed password";
      case AUTH_GSS, AUTH_GSS_CONT -> "server requested GSSAPI authentication";
      case AUTH_SSPI -> "server requested SSPI authentication";
      case AUTH_SASL, AUTH_SASL_CONT, AUTH_SASL_FIN -> "server requested SASL authentication";
      default -> "server requested an unknown authentication type";
    };
  }
}
