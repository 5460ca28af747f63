// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The conninfo grammar: a conninfo string ({@code host=h port=5432}) or a connection URI ({@code
 * postgresql://user@h:5432/db?sslmode=require}) to its keywords and values, with libpq's error
 * messages, and keywords back to a conninfo string. Mirrors {@code conninfo_parse}, {@code
 * conninfo_uri_parse_options} and {@code appendConnStrVal} in libpq. No defaults, no environment:
 * that is {@link ConnInfoResolver}'s. Every error is a {@link PgException} with {@link
 * SqlState#CONNECTION_UNABLE} (08001).
 */
final class ConnInfoParser {

  private static final String URI_PREFIX = "postgresql://";
  private static final String SHORT_URI_PREFIX = "postgres://";

  private ConnInfoParser() {}

  /** See {@link ConnInfo#isConnInfo}. */
  static boolean isConnInfo(String value) {
    return uriPrefixLength(value) != 0 || value.indexOf('=') >= 0;
  }

  /** See {@link ConnInfo#parse}. */
  static Map<String, String> parse(String conninfo) {
    Objects.requireNonNull(conninfo, "conninfo");
    return uriPrefixLength(conninfo) != 0 ? parseUri(conninfo) : parseKeywordValue(conninfo);
  }

  /** libpq's {@code conninfo_parse}: {@code key = value} pairs separated by whitespace. */
  static Map<String, String> parseKeywordValue(String conninfo) {
    Map<String, String> options = new LinkedHashMap<>();
    int n = conninfo.length();
    int i = 0;
    while (i < n) {
      if (isSpace(conninfo.charAt(i))) {
        i++;
        continue;
      }

      // The name runs to '=' or whitespace; whitespace may separate it from the '='.
      int nameStart = i;
      while (i < n && conninfo.charAt(i) != '=' && !isSpace(conninfo.charAt(i))) {
        i++;
      }
      String name = conninfo.substring(nameStart, i);
      while (i < n && isSpace(conninfo.charAt(i))) {
        i++;
      }
      if (i >= n || conninfo.charAt(i) != '=') {
        throw fail("missing \"=\" after \"" + name + "\" in connection info string");
      }
      i++;
      while (i < n && isSpace(conninfo.charAt(i))) {
        i++;
      }

      // A backslash takes the next character literally, inside quotes and out; a backslash at
      // the very end of the string is dropped (libpq does the same).
      StringBuilder value = new StringBuilder();
      if (i < n && conninfo.charAt(i) == '\'') {
        i++;
        while (true) {
          if (i >= n) {
            throw fail("unterminated quoted string in connection info string");
          }
          char c = conninfo.charAt(i++);
          if (c == '\\') {
            if (i < n) {
              value.append(conninfo.charAt(i++));
            }
          } else if (c == '\'') {
            break;
          } else {
            value.append(c);
          }
        }
      } else {
        while (i < n && !isSpace(conninfo.charAt(i))) {
          char c = conninfo.charAt(i++);
          if (c == '\\') {
            if (i < n) {
              value.append(conninfo.charAt(i++));
            }
          } else {
            value.append(c);
          }
        }
      }
      store(options, name, value.toString(), false);
    }
    return options;
  }

  /**
   * libpq's {@code conninfo_uri_parse_options}:
   *
   * <pre>
   * postgresql://[user[:password]@][netloc][:port][,...][/dbname][?param1=value1&amp;...]
   * </pre>
   *
   * where {@code netloc} is a host name, an IPv4 address, an IPv6 address in square brackets, or a
   * percent-encoded socket directory ({@code %2Ftmp}).
   */
  static Map<String, String> parseUri(String uri) {
    int prefixLength = uriPrefixLength(uri);
    if (prefixLength == 0) {
      throw fail("invalid URI propagated to internal parser routine: \"" + uri + "\"");
    }
    Map<String, String> options = new LinkedHashMap<>();
    int n = uri.length();
    int start = prefixLength;

    // Credentials are present when an '@' comes before the first '/'.
    int p = start;
    while (p < n && uri.charAt(p) != '@' && uri.charAt(p) != '/') {
      p++;
    }
    if (p < n && uri.charAt(p) == '@') {
      p = start;
      while (uri.charAt(p) != ':' && uri.charAt(p) != '@') {
        p++;
      }
      String user = uri.substring(start, p);
      if (!user.isEmpty()) {
        options.put("user", uriDecode(user));
      }
      if (uri.charAt(p) == ':') {
        int passwordStart = ++p;
        while (uri.charAt(p) != '@') {
          p++;
        }
        String password = uri.substring(passwordStart, p);
        if (!password.isEmpty()) {
          options.put("password", uriDecode(password));
        }
      }
      p++;
    } else {
      p = start;
    }

    // One or more netloc[:port], separated by commas.
    StringBuilder hosts = new StringBuilder();
    StringBuilder ports = new StringBuilder();
    char terminator;
    while (true) {
      String host;
      if (p < n && uri.charAt(p) == '[') {
        int hostStart = ++p;
        while (p < n && uri.charAt(p) != ']') {
          p++;
        }
        if (p >= n) {
          throw fail(
              "end of string reached when looking for matching \"]\" in IPv6 host address"
                  + " in URI: \""
                  + uri
                  + "\"");
        }
        if (p == hostStart) {
          throw fail("IPv6 host address may not be empty in URI: \"" + uri + "\"");
        }
        host = uri.substring(hostStart, p);
        p++;
        if (p < n && ":/?,".indexOf(uri.charAt(p)) < 0) {
          throw fail(
              "unexpected character \""
                  + uri.charAt(p)
                  + "\" at position "
                  + (p + 1)
                  + " in URI (expected \":\" or \"/\"): \""
                  + uri
                  + "\"");
        }
      } else {
        int hostStart = p;
        while (p < n && ":/?,".indexOf(uri.charAt(p)) < 0) {
          p++;
        }
        host = uri.substring(hostStart, p);
      }
      hosts.append(host);
      terminator = p < n ? uri.charAt(p) : '\0';

      if (terminator == ':') {
        int portStart = ++p;
        while (p < n && "/?,".indexOf(uri.charAt(p)) < 0) {
          p++;
        }
        ports.append(uri, portStart, p);
        terminator = p < n ? uri.charAt(p) : '\0';
      }
      if (terminator != ',') {
        break;
      }
      p++;
      hosts.append(',');
      ports.append(',');
    }
    if (hosts.length() > 0) {
      options.put("host", uriDecode(hosts.toString()));
    }
    if (ports.length() > 0) {
      options.put("port", uriDecode(ports.toString()));
    }

    if (terminator == '/') {
      int dbStart = ++p;
      while (p < n && uri.charAt(p) != '?') {
        p++;
      }
      // An empty path sets nothing, so that the default database still applies.
      String dbname = uri.substring(dbStart, p);
      if (!dbname.isEmpty()) {
        options.put("dbname", uriDecode(dbname));
      }
      terminator = p < n ? uri.charAt(p) : '\0';
    }
    if (terminator != '\0') {
      parseUriParams(uri.substring(p + 1), options);
    }
    return options;
  }

  /** libpq's {@code conninfo_uri_parse_params}: {@code key=value} pairs joined by {@code &}. */
  private static void parseUriParams(String params, Map<String, String> options) {
    int n = params.length();
    int p = 0;
    while (p < n) {
      int keywordStart = p;
      int equals = -1;
      while (p < n && params.charAt(p) != '&') {
        if (params.charAt(p) == '=') {
          if (equals >= 0) {
            throw fail(
                "extra key/value separator \"=\" in URI query parameter: \""
                    + params.substring(keywordStart, equals)
                    + "\"");
          }
          equals = p;
        }
        p++;
      }
      if (equals < 0) {
        throw fail(
            "missing key/value separator \"=\" in URI query parameter: \""
                + params.substring(keywordStart, p)
                + "\"");
      }
      String keyword = uriDecode(params.substring(keywordStart, equals));
      String value = uriDecode(params.substring(equals + 1, p));
      if (p < n) {
        p++;
      }
      // JDBC compatibility, as in libpq.
      if (keyword.equals("ssl") && value.equals("true")) {
        keyword = "sslmode";
        value = "require";
      }
      if (!store(options, keyword, value, true)) {
        throw fail("invalid URI query parameter: \"" + keyword + "\"");
      }
    }
  }

  /**
   * libpq's {@code conninfo_uri_decode}: %XX triplets become bytes (read as UTF-8), leading and
   * trailing spaces are dropped, and inner spaces are an error.
   */
  private static String uriDecode(String encoded) {
    byte[] in = encoded.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    int q = 0;
    while (q < in.length && in[q] == ' ') {
      q++;
    }
    while (q < in.length && in[q] != ' ') {
      if (in[q] != '%') {
        out.write(in[q++]);
        continue;
      }
      int hi = q + 1 < in.length ? Character.digit(in[q + 1], 16) : -1;
      int lo = q + 2 < in.length ? Character.digit(in[q + 2], 16) : -1;
      if (hi < 0 || lo < 0) {
        throw fail("invalid percent-encoded token: \"" + encoded + "\"");
      }
      int c = (hi << 4) | lo;
      if (c == 0) {
        throw fail("forbidden value %00 in percent-encoded value: \"" + encoded + "\"");
      }
      out.write(c);
      q += 3;
    }
    while (q < in.length && in[q] == ' ') {
      q++;
    }
    if (q < in.length) {
      throw fail(
          "unexpected spaces found in \""
              + encoded
              + "\", use percent-encoded spaces (%20) instead");
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * libpq's {@code conninfo_storeval}. Returns false for an unknown keyword when {@code
   * ignoreUnknown} (the caller words the error), and throws otherwise.
   */
  private static boolean store(
      Map<String, String> options, String keyword, String value, boolean ignoreUnknown) {
    if (keyword.equals("requiressl")) {
      keyword = "sslmode";
      value = value.startsWith("1") ? "require" : "prefer";
    }
    if (!ConnInfo.KEYWORDS.contains(keyword)) {
      if (ignoreUnknown) {
        return false;
      }
      throw fail("invalid connection option \"" + keyword + "\"");
    }
    options.put(keyword, value);
    return true;
  }

  private static int uriPrefixLength(String value) {
    if (value.startsWith(URI_PREFIX)) {
      return URI_PREFIX.length();
    }
    if (value.startsWith(SHORT_URI_PREFIX)) {
      return SHORT_URI_PREFIX.length();
    }
    return 0;
  }

  /** C's {@code isspace} in the C locale. */
  static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering

  /** See {@link ConnInfo#toConnInfoString}. */
  static String toConnInfoString(Map<String, String> keywords) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : keywords.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(e.getKey()).append('=');
      appendValue(out, e.getValue());
    }
    return out.toString();
  }

  /** See {@link ConnInfo#quoteValue}. */
  static String quoteValue(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2);
    appendValue(out, value);
    return out.toString();
  }

  private static void appendValue(StringBuilder out, String value) {
    boolean plain = !value.isEmpty();
    for (int i = 0; plain && i < value.length(); i++) {
      char c = value.charAt(i);
      plain =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '.';
    }
    if (plain) {
      out.append(value);
      return;
    }
    out.append('\'');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\'' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    out.append('\'');
  }

  /** An 08001 error with libpq's message. */
  static PgException fail(String message) {
    return new PgException(SqlState.CONNECTION_UNABLE, message);
  }
}
