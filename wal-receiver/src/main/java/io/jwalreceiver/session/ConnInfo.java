// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * libpq-compatible connection settings: parses conninfo strings ({@code host=h port=5432}) and
 * connection URIs ({@code postgresql://user@h:5432/db?sslmode=require}) with libpq's error
 * messages, renders keyword maps back as conninfo strings, and resolves command-line options,
 * conninfo values, {@code PG*} environment variables and defaults into a {@link
 * ConnectionConfig} with the precedence pg_basebackup and pg_receivewal use.
 *
 * <p>Parsing mirrors {@code conninfo_parse} and {@code conninfo_uri_parse_options} in libpq's
 * {@code fe-connect.c}; resolution mirrors {@code GetConnection} in pg_basebackup's {@code
 * streamutil.c} (PostgreSQL 17) followed by libpq's own defaulting. Every error is a {@link
 * PgException} with {@link SqlState#CONNECTION_UNABLE} (08001) and libpq's message text.
 *
 * <p><b>Multiple hosts.</b> libpq accepts comma-separated lists in {@code host}, {@code hostaddr}
 * and {@code port} (and {@code postgresql://h1:5432,h2:5433/db}) and tries each host in turn.
 * jwalreceiver connects to one server only: {@link #resolve} takes the <em>first</em> element of
 * each list (an empty first element means the default). {@link #parse} keeps the lists verbatim,
 * so {@code -R} can still write them out.
 */
public final class ConnInfo {

  /** libpq's default port, {@code DEF_PGPORT}. */
  public static final int DEFAULT_PORT = 5432;

  /** The Unix socket directory of Debian and Red Hat packages, preferred when it exists. */
  public static final Path PACKAGED_SOCKET_DIR = Path.of("/var/run/postgresql");

  /** The socket directory of upstream builds, used when {@link #PACKAGED_SOCKET_DIR} is absent. */
  public static final Path UPSTREAM_SOCKET_DIR = Path.of("/tmp");

  /**
   * libpq's magic {@code sslrootcert=system}: trust the platform's certificate store. It is kept
   * as this literal relative path in {@link ConnectionConfig#sslRootCert()}, exactly as libpq keeps
   * the string, and the TLS layer must compare against it before opening any file.
   */
  public static final Path SYSTEM_ROOT_CERT = Path.of("system");

  /**
   * Where {@code pg_service.conf} is looked for when {@code PGSYSCONFDIR} is unset. libpq
   * compiles in its {@code sysconfdir}; Debian's and Ubuntu's libpq use this directory, so
   * jwalreceiver does too.
   */
  public static final String DEFAULT_SYSCONFDIR = "/etc/postgresql-common";

  /** The database sent for physical replication when none is given. */
  static final String REPLICATION_DATABASE = "replication";

  /**
   * Every keyword libpq 18 accepts, in the order of libpq's {@code PQconninfoOptions} ({@code
   * servicefile} is new in 18). Only some
   * of them affect a jwalreceiver connection; the others are accepted so that a conninfo written
   * for libpq parses unchanged (and so that {@code -R} can carry them into {@code
   * primary_conninfo}).
   */
  public static final Set<String> KEYWORDS =
      Collections.unmodifiableSet(
          new LinkedHashSet<>(
              List.of(
                  "service",
                  "servicefile",
                  "user",
                  "password",
                  "passfile",
                  "channel_binding",
                  "connect_timeout",
                  "dbname",
                  "host",
                  "hostaddr",
                  "port",
                  "client_encoding",
                  "options",
                  "application_name",
                  "fallback_application_name",
                  "keepalives",
                  "keepalives_idle",
                  "keepalives_interval",
                  "keepalives_count",
                  "tcp_user_timeout",
                  "sslmode",
                  "sslnegotiation",
                  "sslcompression",
                  "sslcert",
                  "sslkey",
                  "sslkeylogfile",
                  "sslcertmode",
                  "sslpassword",
                  "sslrootcert",
                  "sslcrl",
                  "sslcrldir",
                  "sslsni",
                  "requirepeer",
                  "require_auth",
                  "min_protocol_version",
                  "max_protocol_version",
                  "ssl_min_protocol_version",
                  "ssl_max_protocol_version",
                  "gssencmode",
                  "krbsrvname",
                  "gsslib",
                  "gssdelegation",
                  "replication",
                  "target_session_attrs",
                  "load_balance_hosts",
                  "scram_client_key",
                  "scram_server_key",
                  "oauth_issuer",
                  "oauth_client_id",
                  "oauth_client_secret",
                  "oauth_scope")));

  private static final String URI_PREFIX = "postgresql://";
  private static final String SHORT_URI_PREFIX = "postgres://";

  private ConnInfo() {}

  // ---------------------------------------------------------------------------------------------
  // Recognising and parsing

  /**
   * True when {@code value} is a connection string rather than a plain database name: it starts
   * with {@code postgresql://} or {@code postgres://}, or contains {@code =} (libpq's {@code
   * recognized_connection_string}, the {@code expand_dbname} rule).
   */
  public static boolean isConnInfo(String value) {
    return uriPrefixLength(value) != 0 || value.indexOf('=') >= 0;
  }

  /**
   * Parses a conninfo string or a connection URI into its keywords and values, in the order they
   * first appear; a keyword given twice keeps its first position and its last value. No defaults
   * are added (libpq's {@code PQconninfoParse}).
   *
   * <p>URI components are percent-decoded; conninfo values are unquoted and unescaped. The
   * deprecated {@code requiressl=1|0} is stored as {@code sslmode=require|prefer}, and the URI
   * parameter {@code ssl=true} as {@code sslmode=require}, as libpq does.
   *
   * @throws PgException 08001 with libpq's message when the string is malformed or names an
   *     unknown keyword
   */
  public static Map<String, String> parse(String conninfo) {
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
   * where {@code netloc} is a host name, an IPv4 address, an IPv6 address in square brackets, or
   * a percent-encoded socket directory ({@code %2Ftmp}).
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
    if (!KEYWORDS.contains(keyword)) {
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
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering

  /**
   * Renders keywords as a conninfo string, {@code key=value} pairs separated by single spaces in
   * the map's iteration order; entries with a null value are skipped. Quoting follows libpq's
   * {@code appendConnStrVal}, which pg_basebackup uses for {@code primary_conninfo}: a value is
   * written bare only when it is non-empty and consists of ASCII letters, digits, {@code _} and
   * {@code .}; anything else is single-quoted with {@code '} and {@code \} escaped by a
   * backslash. {@link #parse} reads the result back to the same map.
   */
  public static String toConnInfoString(Map<String, String> keywords) {
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

  /** Quotes one conninfo value as {@link #toConnInfoString} does. */
  public static String quoteValue(String value) {
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

  // ---------------------------------------------------------------------------------------------
  // Resolution

  /**
   * Resolves a physical replication connection as {@link #resolve(String, String, String, String,
   * String, Map, String, Path, String, Predicate)} does, without a password from the command line,
   * checking the file system with {@link Files#exists}.
   */
  public static ConnectionConfig resolve(
      String dbnameOrConninfo,
      String host,
      String port,
      String user,
      Map<String, String> env,
      String osUserName,
      Path homeDir,
      String fallbackApplicationName) {
    return resolve(
        dbnameOrConninfo, host, port, user, env, osUserName, homeDir, fallbackApplicationName,
        Files::exists);
  }

  /** As {@link #resolve(String, String, String, String, String, Map, String, Path, String,
   * Predicate)} without a password from the command line. */
  public static ConnectionConfig resolve(
      String dbnameOrConninfo,
      String host,
      String port,
      String user,
      Map<String, String> env,
      String osUserName,
      Path homeDir,
      String fallbackApplicationName,
      Predicate<Path> exists) {
    return resolve(
        dbnameOrConninfo,
        host,
        port,
        user,
        null,
        env,
        osUserName,
        homeDir,
        fallbackApplicationName,
        exists);
  }

  /**
   * Resolves the settings of a physical replication connection the way pg_basebackup and
   * pg_receivewal (PostgreSQL 17) combined with libpq 18 do.
   *
   * <p>Precedence, highest first:
   *
   * <ol>
   *   <li>{@code -h}, {@code -p}, {@code -U} ({@code host}, {@code port}, {@code user}) and a
   *       password typed for {@code -W}: the tools append them after the conninfo's keywords,
   *       and later keywords win;
   *   <li>the {@code -d} conninfo or URI (always a connection string, as the tools parse it with
   *       {@code PQconninfoParse}: {@code -d foo} is libpq's {@code missing "=" after "foo" in
   *       connection info string});
   *   <li>the connection service ({@code service=} or {@code PGSERVICE}), read from {@code
   *       servicefile=}, {@code PGSERVICEFILE} or {@code ~/.pg_service.conf}, then from {@code
   *       pg_service.conf} in {@code PGSYSCONFDIR} ({@link #DEFAULT_SYSCONFDIR} when unset); see
   *       {@link ServiceFile}. A service's values never override values given explicitly, but
   *       do override the environment, as in libpq;
   *   <li>environment variables: {@code PGHOST}, {@code PGHOSTADDR}, {@code PGPORT}, {@code
   *       PGUSER}, {@code PGPASSWORD}, {@code PGPASSFILE}, {@code PGAPPNAME}, {@code PGSSLMODE}
   *       (then the deprecated {@code PGREQUIRESSL=1}), {@code PGSSLROOTCERT}, {@code
   *       PGCHANNELBINDING}, {@code PGCONNECT_TIMEOUT}, {@code PGDATABASE}, and the TLS ones
   *       ({@code PGSSLCERT}, {@code PGSSLKEY}, {@code PGSSLCRL}, {@code PGSSLCRLDIR}, {@code
   *       PGSSLMINPROTOCOLVERSION}, {@code PGSSLMAXPROTOCOLVERSION}, {@code PGSSLSNI}, {@code
   *       PGSSLCERTMODE}, {@code PGSSLNEGOTIATION}, {@code PGGSSENCMODE});
   *   <li>defaults: host {@link #defaultSocketDir}, port 5432, the OS user, {@code ~/.pgpass}
   *       (only when no password is set, as libpq sets {@code passfile} only then), sslmode
   *       {@code prefer}, channel_binding {@code prefer}, {@code ~/.postgresql/root.crt} when it
   *       exists, no connect timeout.
   * </ol>
   *
   * <p>Like the tools, empty values from the command line or the conninfo count as not given. An
   * environment variable that is set but empty is taken as libpq takes it: an empty host, port,
   * user, password, passfile or application name falls back to the default, while an empty
   * sslmode, channel_binding or connect_timeout is invalid.
   *
   * <p>Fixed by the tools and not overridable: {@code replication=true}, and {@code
   * fallback_application_name} (the {@code fallbackApplicationName} argument; the conninfo's
   * value is used only when that argument is null).
   *
   * <p>Database: with {@code -d}, the conninfo's {@code dbname} or else {@code replication} (the
   * tools set it explicitly, so {@code PGDATABASE} does not apply); without {@code -d}, the
   * service's {@code dbname}, {@code PGDATABASE} or else {@code replication}.
   *
   * <p>{@code hostaddr} ({@code PGHOSTADDR}) is carried in {@link ConnectionConfig#hostAddr()}:
   * the connection goes to that address while {@code host} stays the name for the certificate
   * check and {@code .pgpass}. With no {@code host} at any level, the address is also the host.
   *
   * <p>The sslmode is resolved as given even for a Unix socket host. libpq never uses TLS over a
   * socket: {@code allow} and {@code prefer} then simply connect in plain text, and whether a
   * stricter mode fails is decided when connecting, not here.
   *
   * <p>Not consulted: every keyword without a {@link ConnectionConfig} field (they are accepted,
   * see {@link #KEYWORDS}).
   *
   * @param dbnameOrConninfo the {@code -d} argument, or null
   * @param host the {@code -h} argument, or null
   * @param port the {@code -p} argument, or null
   * @param user the {@code -U} argument, or null
   * @param password a password typed before connecting ({@code -W}), or null
   * @param env the process environment (or a fake one in tests)
   * @param osUserName the name of the operating-system user, the last-resort user name
   * @param homeDir the user's home directory ({@link #homeDirectory}), or null when there is none
   * @param fallbackApplicationName the program name, sent when no application_name is set, or
   *     null
   * @param exists tells whether a path exists; used for {@link #PACKAGED_SOCKET_DIR} and {@code
   *     ~/.postgresql/root.crt}
   * @throws PgException 08001 with libpq's message for a malformed conninfo, an unknown keyword,
   *     a missing or malformed service definition, or an invalid port, sslmode, channel_binding,
   *     connect_timeout, sslnegotiation, TLS protocol version or range, sslcertmode, gssencmode,
   *     target_session_attrs or load_balance_hosts (see {@link TlsSettings})
   */
  public static ConnectionConfig resolve(
      String dbnameOrConninfo,
      String host,
      String port,
      String user,
      String password,
      Map<String, String> env,
      String osUserName,
      Path homeDir,
      String fallbackApplicationName,
      Predicate<Path> exists) {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(osUserName, "osUserName");
    Objects.requireNonNull(exists, "exists");

    // The explicit keywords, in the order the tools pass them to libpq; later entries win.
    Map<String, String> given =
        explicitSettings(
            new CommandLine(dbnameOrConninfo, host, port, user, password), env, homeDir);
    String database = dbnameOrConninfo != null ? given.get("dbname") : null;
    // What pg_basebackup 17+ writes with -R: the conninfo's dbname with -d, else PGDATABASE
    // (with -d, given.get("dbname") is "replication" when the conninfo names none).
    String named = nonEmpty(dbnameOrConninfo != null ? database : env.get("PGDATABASE"));
    String explicitDatabase = REPLICATION_DATABASE.equals(named) ? null : named;
    if (database == null) {
      database = nonEmpty(setting(given, env, "dbname", "PGDATABASE"));
      if (database == null) {
        database = REPLICATION_DATABASE;
      }
    }

    checkListLengths(given, env);

    String hostValue = firstListElement(setting(given, env, "host", "PGHOST"));
    if (hostValue == null || hostValue.isEmpty()) {
      hostValue = firstListElement(setting(given, env, "hostaddr", "PGHOSTADDR"));
    }
    if (hostValue == null || hostValue.isEmpty()) {
      hostValue = defaultSocketDir(exists);
    }

    String userValue = nonEmpty(setting(given, env, "user", "PGUSER"));
    if (userValue == null) {
      userValue = osUserName;
    }

    String passwordValue = nonEmpty(setting(given, env, "password", "PGPASSWORD"));
    String passFileValue = nonEmpty(setting(given, env, "passfile", "PGPASSFILE"));
    // libpq's connectOptions2 names ~/.pgpass only when no password is set, so it is neither
    // read nor shown by PQconninfo (and -R) then.
    Path passFile =
        passFileValue != null
            ? Path.of(passFileValue)
            : passwordValue == null && homeDir != null ? homeDir.resolve(".pgpass") : null;
    String applicationName = nonEmpty(setting(given, env, "application_name", "PGAPPNAME"));

    // Validated in libpq's order, so that the first complaint matches libpq's.
    String bindingValue = setting(given, env, "channel_binding", "PGCHANNELBINDING");
    ChannelBinding channelBinding =
        bindingValue != null ? ChannelBinding.parse(bindingValue) : ChannelBinding.PREFER;

    String rootCertValue = setting(given, env, "sslrootcert", "PGSSLROOTCERT");
    String sslModeValue = setting(given, env, "sslmode", "PGSSLMODE");
    if (sslModeValue == null && env.getOrDefault("PGREQUIRESSL", "").startsWith("1")) {
      sslModeValue = "require";
    }
    SslMode sslMode;
    if (sslModeValue != null) {
      sslMode = SslMode.parse(sslModeValue);
    } else if (SYSTEM_ROOT_CERT.toString().equals(rootCertValue)) {
      // libpq strengthens the default when the system store is asked for.
      sslMode = SslMode.VERIFY_FULL;
    } else {
      sslMode = SslMode.PREFER;
    }
    TlsSettings.checkNegotiation(
        setting(given, env, "sslnegotiation", "PGSSLNEGOTIATION"), sslMode);
    Path sslRootCert;
    if (rootCertValue != null && !rootCertValue.isEmpty()) {
      sslRootCert = Path.of(rootCertValue);
      if (SYSTEM_ROOT_CERT.toString().equals(rootCertValue) && sslMode != SslMode.VERIFY_FULL) {
        throw fail(
            "weak sslmode \""
                + sslMode.keyword()
                + "\" may not be used with sslrootcert=system (use \"verify-full\")");
      }
    } else {
      sslRootCert = defaultRootCert(homeDir, exists);
    }

    String minProtocol = setting(given, env, "ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION");
    String maxProtocol = setting(given, env, "ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION");
    TlsSettings.checkProtocolRange(minProtocol, maxProtocol);
    String certMode = setting(given, env, "sslcertmode", "PGSSLCERTMODE");
    TlsSettings.checkCertMode(certMode);
    String gssEncMode = setting(given, env, "gssencmode", "PGGSSENCMODE");
    TlsSettings.checkGssEncMode(gssEncMode);
    checkChoices(given, env);

    String timeoutValue = setting(given, env, "connect_timeout", "PGCONNECT_TIMEOUT");
    Duration connectTimeout =
        timeoutValue != null ? parseConnectTimeout(timeoutValue) : Duration.ZERO;

    String portValue = firstListElement(setting(given, env, "port", "PGPORT"));
    int portNumber =
        portValue == null || portValue.isEmpty() ? DEFAULT_PORT : parsePort(portValue);

    String fallback =
        fallbackApplicationName != null
            ? fallbackApplicationName
            : given.get("fallback_application_name");

    String hostAddrValue = nonEmpty(firstListElement(setting(given, env, "hostaddr", "PGHOSTADDR")));
    Path crlFile = pathOrNull(setting(given, env, "sslcrl", "PGSSLCRL"));
    Path crlDir = pathOrNull(setting(given, env, "sslcrldir", "PGSSLCRLDIR"));
    if (crlFile == null && crlDir == null) {
      crlFile = clientFile(null, homeDir, "root.crl");
    }
    TlsOptions tls =
        new TlsOptions(
            clientFile(setting(given, env, "sslcert", "PGSSLCERT"), homeDir, "postgresql.crt"),
            clientFile(setting(given, env, "sslkey", "PGSSLKEY"), homeDir, "postgresql.key"),
            nonEmpty(given.get("sslpassword")),
            crlFile,
            crlDir,
            minProtocol,
            nonEmpty(maxProtocol),
            nonEmpty(setting(given, env, "sslsni", "PGSSLSNI")),
            nonEmpty(certMode));
    String requireAuth = nonEmpty(setting(given, env, "require_auth", "PGREQUIREAUTH"));
    RequireAuth.parse(requireAuth); // libpq rejects a bad list with the options, before connecting

    return ConnectionConfig.builder()
        .host(hostValue)
        .port(portNumber)
        .user(userValue)
        .database(database)
        .applicationName(applicationName)
        .fallbackApplicationName(fallback)
        .password(passwordValue)
        .passFile(passFile)
        .sslMode(sslMode)
        .sslRootCert(sslRootCert)
        .channelBinding(channelBinding)
        .connectTimeout(connectTimeout)
        .hostAddr(hostAddrValue)
        .tls(tls)
        .requireAuth(requireAuth)
        .gssEncMode(nonEmpty(gssEncMode))
        .explicitDatabase(explicitDatabase)
        .build();
  }

  /**
   * The connection options of pg_basebackup's and pg_receivewal's command line.
   *
   * @param dbnameOrConninfo {@code -d}, or null
   * @param host {@code -h}, or null
   * @param port {@code -p}, or null
   * @param user {@code -U}, or null
   * @param password the password typed for {@code -W}, or null
   */
  public record CommandLine(
      String dbnameOrConninfo, String host, String port, String user, String password) {}

  /**
   * The keywords given explicitly, in the order the tools pass them to libpq (later entries
   * win), with the connection service's values added where none is given: the {@code -d}
   * conninfo ({@code dbname=replication} first, so that the conninfo can override it), {@code
   * -h}, {@code -U}, {@code -p}, a typed password, then the service. Empty values count as not
   * given.
   */
  private static Map<String, String> explicitSettings(
      CommandLine args, Map<String, String> env, Path homeDir) {
    Map<String, String> given = new LinkedHashMap<>();
    if (args.dbnameOrConninfo() != null) {
      given.put("dbname", REPLICATION_DATABASE);
      parse(args.dbnameOrConninfo()).forEach((k, v) -> putGiven(given, k, v));
    }
    putGiven(given, "host", args.host());
    putGiven(given, "user", args.user());
    putGiven(given, "port", args.port());
    putGiven(given, "password", args.password());
    addService(given, env, homeDir);
    return given;
  }

  /**
   * libpq's environment variable for each keyword that has one ({@code PQconninfoOptions}'
   * {@code envvar}); {@code service} and {@code servicefile} are read by {@link #addService}.
   */
  private static final Map<String, String> ENV_VARS =
      Map.ofEntries(
          Map.entry("user", "PGUSER"),
          Map.entry("password", "PGPASSWORD"),
          Map.entry("passfile", "PGPASSFILE"),
          Map.entry("channel_binding", "PGCHANNELBINDING"),
          Map.entry("connect_timeout", "PGCONNECT_TIMEOUT"),
          Map.entry("dbname", "PGDATABASE"),
          Map.entry("host", "PGHOST"),
          Map.entry("hostaddr", "PGHOSTADDR"),
          Map.entry("port", "PGPORT"),
          Map.entry("client_encoding", "PGCLIENTENCODING"),
          Map.entry("options", "PGOPTIONS"),
          Map.entry("application_name", "PGAPPNAME"),
          Map.entry("sslmode", "PGSSLMODE"),
          Map.entry("sslnegotiation", "PGSSLNEGOTIATION"),
          Map.entry("sslcompression", "PGSSLCOMPRESSION"),
          Map.entry("sslcert", "PGSSLCERT"),
          Map.entry("sslkey", "PGSSLKEY"),
          Map.entry("sslcertmode", "PGSSLCERTMODE"),
          Map.entry("sslrootcert", "PGSSLROOTCERT"),
          Map.entry("sslcrl", "PGSSLCRL"),
          Map.entry("sslcrldir", "PGSSLCRLDIR"),
          Map.entry("sslsni", "PGSSLSNI"),
          Map.entry("requirepeer", "PGREQUIREPEER"),
          Map.entry("require_auth", "PGREQUIREAUTH"),
          Map.entry("min_protocol_version", "PGMINPROTOCOLVERSION"),
          Map.entry("max_protocol_version", "PGMAXPROTOCOLVERSION"),
          Map.entry("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"),
          Map.entry("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"),
          Map.entry("gssencmode", "PGGSSENCMODE"),
          Map.entry("krbsrvname", "PGKRBSRVNAME"),
          Map.entry("gsslib", "PGGSSLIB"),
          Map.entry("gssdelegation", "PGGSSDELEGATION"),
          Map.entry("target_session_attrs", "PGTARGETSESSIONATTRS"),
          Map.entry("load_balance_hosts", "PGLOADBALANCEHOSTS"));

  /**
   * Keywords a PostgreSQL 13 standby's libpq refuses in {@code primary_conninfo} (added in 14
   * or later).
   */
  private static final Set<String> UNKNOWN_TO_13 =
      Set.of(
          "servicefile", "sslnegotiation", "sslkeylogfile", "sslcertmode", "sslcrldir", "sslsni",
          "require_auth", "min_protocol_version", "max_protocol_version",
          "gssdelegation", "load_balance_hosts", "scram_client_key", "scram_server_key",
          "oauth_issuer", "oauth_client_id", "oauth_client_secret", "oauth_scope");

  /** What pg_basebackup leaves out of {@code primary_conninfo}: the walreceiver sets them. */
  private static final Set<String> SET_BY_WALRECEIVER =
      Set.of("replication", "dbname", "fallback_application_name");

  /**
   * The keywords {@code -R} writes into {@code primary_conninfo}, as pg_basebackup 18 renders
   * libpq's {@code PQconninfo} for the same inputs, in libpq's keyword order: every keyword with
   * a non-empty value from the command line, the conninfo, the service or the environment,
   * except {@code replication}, {@code dbname} and {@code fallback_application_name}; {@code
   * user}, {@code passfile} ({@code ~/.pgpass} only when no password is set), {@code
   * channel_binding}, {@code sslmode} and {@code port} as libpq fills them in even when not
   * given. {@code host} is written only when given (libpq keeps the default socket directory
   * out of {@code PQconninfo}). Left out, unlike pg_basebackup: libpq's other compiled-in
   * defaults ({@code sslcompression}, {@code sslsni}, {@code gssencmode}, ...) and every keyword
   * a PostgreSQL 13 standby refuses, even when given (see docs/design-notes.md).
   *
   * @param args the command line's connection options
   * @param dbname the database name to write (pg_basebackup 17+ writes an explicitly given one),
   *     or null
   * @param resolved what {@link #resolve} made of the same arguments
   */
  public static Map<String, String> primaryConninfo(
      CommandLine args,
      Map<String, String> env,
      Path homeDir,
      ConnectionConfig resolved,
      String dbname) {
    Map<String, String> given = explicitSettings(args, env, homeDir);
    Map<String, String> out = new LinkedHashMap<>();
    for (String keyword : KEYWORDS) {
      String value = given.get(keyword);
      if (value == null && ENV_VARS.containsKey(keyword)) {
        value = env.get(ENV_VARS.get(keyword));
      }
      switch (keyword) {
        case "user" -> value = resolved.user();
        case "passfile" -> value = resolved.passFile() == null ? null : resolved.passFile().toString();
        case "channel_binding" -> value = resolved.channelBinding().keyword();
        case "sslmode" -> value = resolved.sslMode().keyword();
        case "port" -> value = value == null || value.isEmpty() ? Integer.toString(DEFAULT_PORT) : value;
        case "dbname" -> value = dbname;
        default -> {
          if (SET_BY_WALRECEIVER.contains(keyword) || UNKNOWN_TO_13.contains(keyword)) {
            value = null;
          }
        }
      }
      if (value != null && !value.isEmpty()) {
        out.put(keyword, value);
      }
    }
    return out;
  }

  /**
   * libpq's {@code pqGetHomeDirectory}: {@code $HOME} when it is set and not empty, else the home
   * directory of the user's passwd entry (which is what Java's {@code user.home} holds); null
   * when neither is known.
   */
  public static Path homeDirectory(Map<String, String> env) {
    String home = nonEmpty(env.get("HOME"));
    if (home == null) {
      home = nonEmpty(System.getProperty("user.home"));
    }
    return home == null || home.equals("?") ? null : Path.of(home);
  }

  /**
   * libpq's {@code parseServiceInfo}: when a service is named ({@code service=} or {@code
   * PGSERVICE}), adds the keywords of its section to {@code given} where {@code given} has none.
   * The user's file ({@code servicefile=}, {@code PGSERVICEFILE}, else {@code
   * ~/.pg_service.conf} when it exists) is read first; the system file ({@code
   * PGSYSCONFDIR/pg_service.conf}) only when the user's file has no such section.
   */
  private static void addService(
      Map<String, String> given, Map<String, String> env, Path homeDir) {
    String service = given.containsKey("service") ? given.get("service") : env.get("PGSERVICE");
    if (service == null) {
      return;
    }
    String named = given.containsKey("servicefile")
        ? given.get("servicefile")
        : env.get("PGSERVICEFILE");
    Path userFile = null;
    if (named != null) {
      userFile = Path.of(named);
    } else if (homeDir != null && Files.exists(homeDir.resolve(".pg_service.conf"))) {
      userFile = homeDir.resolve(".pg_service.conf");
    }
    ServiceFile.Result result = null;
    if (userFile != null) {
      result = ServiceFile.read(userFile, service, KEYWORDS);
    }
    if (result == null || !result.found()) {
      String sysconf = env.get("PGSYSCONFDIR");
      Path systemFile = Path.of((sysconf != null ? sysconf : DEFAULT_SYSCONFDIR) + "/pg_service.conf");
      if (Files.exists(systemFile)) {
        result = ServiceFile.read(systemFile, service, KEYWORDS);
      }
    }
    if (result == null || !result.found()) {
      throw fail("definition of service \"" + service + "\" not found");
    }
    result.values().forEach(given::putIfAbsent);
  }

  /**
   * libpq's {@code connectOptions2} checks of comma-separated lists: {@code hostaddr} needs as
   * many elements as {@code host} when both are given, and {@code port}, when it has more than
   * one, as many as there are hosts.
   */
  private static void checkListLengths(Map<String, String> given, Map<String, String> env) {
    String hosts = setting(given, env, "host", "PGHOST");
    String addresses = setting(given, env, "hostaddr", "PGHOSTADDR");
    int hostCount = listLength(hosts);
    int addressCount = listLength(addresses);
    if (hostCount > 0 && addressCount > 0 && hostCount != addressCount) {
      throw fail(
          "could not match " + hostCount + " host names to " + addressCount + " hostaddr values");
    }
    int connections = Math.max(1, Math.max(hostCount, addressCount));
    int portCount = listLength(setting(given, env, "port", "PGPORT"));
    if (portCount > 1 && portCount != connections) {
      throw fail("could not match " + portCount + " port numbers to " + connections + " hosts");
    }
  }

  /** libpq's {@code count_comma_separated_elems}; 0 for an unset or empty value. */
  private static int listLength(String value) {
    if (value == null || value.isEmpty()) {
      return 0;
    }
    return (int) value.chars().filter(c -> c == ',').count() + 1;
  }

  /**
   * The keyword checks libpq's {@code connectOptions2} makes after the TLS ones ({@link
   * TlsSettings}), in its order, for keywords jwalreceiver accepts but does not act on (it
   * connects to one host): each must be one of libpq's values, or {@code invalid <keyword> value:
   * "<value>"}.
   */
  private static void checkChoices(Map<String, String> given, Map<String, String> env) {
    checkChoice(
        "target_session_attrs",
        setting(given, env, "target_session_attrs", "PGTARGETSESSIONATTRS"),
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby");
    checkChoice(
        "load_balance_hosts",
        setting(given, env, "load_balance_hosts", "PGLOADBALANCEHOSTS"),
        "disable",
        "random");
  }

  private static void checkChoice(String keyword, String value, String... allowed) {
    if (value != null && !List.of(allowed).contains(value)) {
      throw fail("invalid " + keyword + " value: \"" + value + "\"");
    }
  }

  /**
   * The Unix socket directory used when no host is given: {@link #PACKAGED_SOCKET_DIR} when it
   * exists, else {@link #UPSTREAM_SOCKET_DIR}. libpq fixes this at compile time ({@code
   * DEFAULT_PGSOCKET_DIR}); checking at run time makes one build work with both layouts.
   */
  public static String defaultSocketDir(Predicate<Path> exists) {
    return exists.test(PACKAGED_SOCKET_DIR)
        ? PACKAGED_SOCKET_DIR.toString()
        : UPSTREAM_SOCKET_DIR.toString();
  }

  /**
   * Parses a port as libpq does: an integer (surrounding whitespace allowed) from 1 to 65535.
   *
   * @throws PgException 08001 {@code invalid integer value "%s" for connection option "port"} or
   *     {@code invalid port number: "%s"}
   */
  static int parsePort(String value) {
    int port = parseIntParam(value, "port");
    if (port < 1 || port > 65535) {
      throw fail("invalid port number: \"" + value + "\"");
    }
    return port;
  }

  /**
   * Parses {@code connect_timeout} as libpq does: zero or negative means no timeout, and 1 is
   * raised to 2 seconds so that rounding cannot make the wait vanish.
   */
  static Duration parseConnectTimeout(String value) {
    int seconds = parseIntParam(value, "connect_timeout");
    if (seconds <= 0) {
      return Duration.ZERO;
    }
    return Duration.ofSeconds(Math.max(seconds, 2));
  }

  /**
   * libpq's {@code pqParseIntParam}: {@code strtol} in base 10 with leading and trailing
   * whitespace allowed, an optional sign, and the result within {@code int}.
   */
  private static int parseIntParam(String value, String keyword) {
    int n = value.length();
    int i = 0;
    while (i < n && isSpace(value.charAt(i))) {
      i++;
    }
    int end = n;
    while (end > i && isSpace(value.charAt(end - 1))) {
      end--;
    }
    int digits = i < end && (value.charAt(i) == '+' || value.charAt(i) == '-') ? i + 1 : i;
    boolean valid = digits < end;
    for (int k = digits; valid && k < end; k++) {
      char c = value.charAt(k);
      valid = c >= '0' && c <= '9';
    }
    if (valid) {
      try {
        return Integer.parseInt(value.substring(i, end));
      } catch (NumberFormatException overflow) {
        // Reported below, like strtol's ERANGE.
      }
    }
    throw fail(
        "invalid integer value \"" + value + "\" for connection option \"" + keyword + "\"");
  }

  /**
   * A TLS file: the given path, else libpq's default under {@code ~/.postgresql/} ({@code
   * postgresql.crt}, {@code postgresql.key}, {@code root.crl}; used only if it exists when
   * connecting, as libpq skips a missing certificate or CRL), or null without a home directory.
   */
  private static Path clientFile(String value, Path homeDir, String defaultName) {
    if (value != null && !value.isEmpty()) {
      return Path.of(value);
    }
    return homeDir == null ? null : homeDir.resolve(".postgresql").resolve(defaultName);
  }

  private static Path defaultRootCert(Path homeDir, Predicate<Path> exists) {
    Path rootCrt = clientFile(null, homeDir, "root.crt");
    return rootCrt != null && exists.test(rootCrt) ? rootCrt : null;
  }

  /** An explicit value (command line or conninfo) if given, else the environment variable. */
  private static String setting(
      Map<String, String> given, Map<String, String> env, String keyword, String envVar) {
    String value = given.get(keyword);
    return value != null ? value : env.get(envVar);
  }

  /** Records an explicit keyword; empty values are dropped, as the tools drop them. */
  private static void putGiven(Map<String, String> given, String keyword, String value) {
    if (value != null && !value.isEmpty()) {
      given.put(keyword, value);
    }
  }

  private static String firstListElement(String value) {
    if (value == null) {
      return null;
    }
    int comma = value.indexOf(',');
    return comma < 0 ? value : value.substring(0, comma);
  }

  private static Path pathOrNull(String value) {
    return value == null || value.isEmpty() ? null : Path.of(value);
  }

  private static String nonEmpty(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static PgException fail(String message) {
    return new PgException(SqlState.CONNECTION_UNABLE, message);
  }
}
