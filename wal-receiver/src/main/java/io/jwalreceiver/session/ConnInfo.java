// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * libpq-compatible connection settings: parses conninfo strings ({@code host=h port=5432}) and
 * connection URIs ({@code postgresql://user@h:5432/db?sslmode=require}) with libpq's error
 * messages, renders keyword maps back as conninfo strings, and resolves command-line options,
 * conninfo values, {@code PG*} environment variables and defaults into a {@link ConnectionConfig}
 * with the precedence pg_basebackup and pg_receivewal use.
 *
 * <p>This class is the public face; the grammar is {@link ConnInfoParser}, the resolution {@link
 * ConnInfoResolver}, and {@code -R}'s rendering {@link PrimaryConninfo}.
 *
 * <p>Parsing mirrors {@code conninfo_parse} and {@code conninfo_uri_parse_options} in libpq's
 * {@code fe-connect.c}; resolution mirrors {@code GetConnection} in pg_basebackup's {@code
 * streamutil.c} (PostgreSQL 17) followed by libpq's own defaulting. Every error is a {@link
 * PgException} with {@link SqlState#CONNECTION_UNABLE} (08001) and libpq's message text.
 *
 * <p><b>Multiple hosts.</b> As in libpq, {@code host}, {@code hostaddr} and {@code port} may be
 * comma-separated lists (and {@code postgresql://h1:5432,h2:5433/db}): {@link #resolve} turns them
 * into {@link ConnectionConfig#hosts()}, which the connection tries in turn, choosing by {@code
 * target_session_attrs} ({@link ConnectionConfig#targetSessionAttrs()}) and shuffling with {@code
 * load_balance_hosts=random}. {@link #parse} keeps the lists verbatim, so {@code -R} writes them
 * out as given.
 */
public final class ConnInfo {

  /** libpq's default port, {@code DEF_PGPORT}. */
  public static final int DEFAULT_PORT = 5432;

  /** The Unix socket directory of Debian and Red Hat packages, preferred when it exists. */
  public static final Path PACKAGED_SOCKET_DIR = Path.of("/var/run/postgresql");

  /** The socket directory of upstream builds, used when {@link #PACKAGED_SOCKET_DIR} is absent. */
  public static final Path UPSTREAM_SOCKET_DIR = Path.of("/tmp");

  /**
   * libpq's magic {@code sslrootcert=system}: trust the platform's certificate store. It is kept as
   * this literal relative path in {@link ConnectionConfig#sslRootCert()}, exactly as libpq keeps
   * the string, and the TLS layer must compare against it before opening any file.
   */
  public static final Path SYSTEM_ROOT_CERT = Path.of("system");

  /**
   * Where {@code pg_service.conf} is looked for when {@code PGSYSCONFDIR} is unset. libpq compiles
   * in its {@code sysconfdir}; Debian's and Ubuntu's libpq use this directory, so jwalreceiver does
   * too.
   */
  public static final String DEFAULT_SYSCONFDIR = "/etc/postgresql-common";

  /** The database sent for physical replication when none is given. */
  static final String REPLICATION_DATABASE = "replication";

  /**
   * Every keyword libpq 18 accepts, in the order of libpq's {@code PQconninfoOptions} ({@code
   * servicefile} is new in 18). Only some of them affect a jwalreceiver connection; the others are
   * accepted so that a conninfo written for libpq parses unchanged (and so that {@code -R} can
   * carry them into {@code primary_conninfo}).
   */
  public static final Set<String> KEYWORDS = keywordNames();

  private ConnInfo() {}

  private static Set<String> keywordNames() {
    Set<String> names = new LinkedHashSet<>();
    for (LibpqKeyword keyword : LibpqKeyword.ALL) {
      names.add(keyword.name());
    }
    return Collections.unmodifiableSet(names);
  }

  // ---------------------------------------------------------------------------------------------
  // The grammar (ConnInfoParser)

  /**
   * True when {@code value} is a connection string rather than a plain database name: it starts
   * with {@code postgresql://} or {@code postgres://}, or contains {@code =} (libpq's {@code
   * recognized_connection_string}, the {@code expand_dbname} rule).
   */
  public static boolean isConnInfo(String value) {
    return ConnInfoParser.isConnInfo(value);
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
   * @throws PgException 08001 with libpq's message when the string is malformed or names an unknown
   *     keyword
   */
  public static Map<String, String> parse(String conninfo) {
    return ConnInfoParser.parse(conninfo);
  }

  /**
   * Renders keywords as a conninfo string, {@code key=value} pairs separated by single spaces in
   * the map's iteration order; entries with a null value are skipped. Quoting follows libpq's
   * {@code appendConnStrVal}, which pg_basebackup uses for {@code primary_conninfo}: a value is
   * written bare only when it is non-empty and consists of ASCII letters, digits, {@code _} and
   * {@code .}; anything else is single-quoted with {@code '} and {@code \} escaped by a backslash.
   * {@link #parse} reads the result back to the same map.
   */
  public static String toConnInfoString(Map<String, String> keywords) {
    return ConnInfoParser.toConnInfoString(keywords);
  }

  /** Quotes one conninfo value as {@link #toConnInfoString} does. */
  public static String quoteValue(String value) {
    return ConnInfoParser.quoteValue(value);
  }

  // ---------------------------------------------------------------------------------------------
  // Resolution (ConnInfoResolver)

  /**
   * As {@link #resolve(String, String, String, String, String, Map, String, Path, String,
   * Predicate)} without a password from the command line.
   */
  public static ConnectionConfig resolve(
      @Nullable String dbnameOrConninfo,
      @Nullable String host,
      @Nullable String port,
      @Nullable String user,
      Map<String, String> env,
      String osUserName,
      @Nullable Path homeDir,
      @Nullable String fallbackApplicationName,
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
   *       password typed for {@code -W}: the tools append them after the conninfo's keywords, and
   *       later keywords win;
   *   <li>the {@code -d} conninfo or URI (always a connection string, as the tools parse it with
   *       {@code PQconninfoParse}: {@code -d foo} is libpq's {@code missing "=" after "foo" in
   *       connection info string});
   *   <li>the connection service ({@code service=} or {@code PGSERVICE}), read from {@code
   *       servicefile=}, {@code PGSERVICEFILE} or {@code ~/.pg_service.conf}, then from {@code
   *       pg_service.conf} in {@code PGSYSCONFDIR} ({@link #DEFAULT_SYSCONFDIR} when unset); see
   *       {@link ServiceFile}. A service's values never override values given explicitly, but do
   *       override the environment, as in libpq;
   *   <li>environment variables: {@code PGHOST}, {@code PGHOSTADDR}, {@code PGPORT}, {@code
   *       PGUSER}, {@code PGPASSWORD}, {@code PGPASSFILE}, {@code PGAPPNAME}, {@code PGSSLMODE}
   *       (then the deprecated {@code PGREQUIRESSL=1}), {@code PGSSLROOTCERT}, {@code
   *       PGCHANNELBINDING}, {@code PGCONNECT_TIMEOUT}, {@code PGDATABASE}, and the TLS ones
   *       ({@code PGSSLCERT}, {@code PGSSLKEY}, {@code PGSSLCRL}, {@code PGSSLCRLDIR}, {@code
   *       PGSSLMINPROTOCOLVERSION}, {@code PGSSLMAXPROTOCOLVERSION}, {@code PGSSLSNI}, {@code
   *       PGSSLCERTMODE}, {@code PGSSLNEGOTIATION}, {@code PGGSSENCMODE});
   *   <li>defaults: host {@link #defaultSocketDir}, port 5432, the OS user, {@code ~/.pgpass} (only
   *       when no password is set, as libpq sets {@code passfile} only then), sslmode {@code
   *       prefer}, channel_binding {@code prefer}, {@code ~/.postgresql/root.crt} when it exists,
   *       no connect timeout.
   * </ol>
   *
   * <p>Like the tools, empty values from the command line or the conninfo count as not given. An
   * environment variable that is set but empty is taken as libpq takes it: an empty host, port,
   * user, password, passfile or application name falls back to the default, while an empty sslmode,
   * channel_binding or connect_timeout is invalid.
   *
   * <p>Fixed by the tools and not overridable: {@code replication=true}, and {@code
   * fallback_application_name} (the {@code fallbackApplicationName} argument; the conninfo's value
   * is used only when that argument is null).
   *
   * <p>Database: with {@code -d}, the conninfo's {@code dbname} or else {@code replication} (the
   * tools set it explicitly, so {@code PGDATABASE} does not apply); without {@code -d}, the
   * service's {@code dbname}, {@code PGDATABASE} or else {@code replication}.
   *
   * <p>{@code hostaddr} ({@code PGHOSTADDR}) is carried in {@link ConnectionConfig#hostAddr()}: the
   * connection goes to that address while {@code host} stays the name for the certificate check and
   * {@code .pgpass}. With no {@code host} at any level, the address is also the host.
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
   * @param fallbackApplicationName the program name, sent when no application_name is set, or null
   * @param exists tells whether a path exists; used for {@link #PACKAGED_SOCKET_DIR} and {@code
   *     ~/.postgresql/root.crt}
   * @throws PgException 08001 with libpq's message for a malformed conninfo, an unknown keyword, a
   *     missing or malformed service definition, or an invalid port, sslmode, channel_binding,
   *     connect_timeout, sslnegotiation, TLS protocol version or range, sslcertmode, gssencmode,
   *     target_session_attrs or load_balance_hosts (see {@link TlsSettings})
   */
  public static ConnectionConfig resolve(
      @Nullable String dbnameOrConninfo,
      @Nullable String host,
      @Nullable String port,
      @Nullable String user,
      @Nullable String password,
      Map<String, String> env,
      String osUserName,
      @Nullable Path homeDir,
      @Nullable String fallbackApplicationName,
      Predicate<Path> exists) {
    return ConnInfoResolver.resolve(
        new CommandLine(dbnameOrConninfo, host, port, user, password),
        env,
        osUserName,
        homeDir,
        fallbackApplicationName,
        exists);
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
      @Nullable String dbnameOrConninfo,
      @Nullable String host,
      @Nullable String port,
      @Nullable String user,
      @Nullable String password) {}

  /**
   * The keywords {@code -R} writes into {@code primary_conninfo}, as pg_basebackup 18 renders
   * libpq's {@code PQconninfo} for the same inputs, in libpq's keyword order: every keyword with a
   * non-empty value from the command line, the conninfo, the service or the environment, except
   * {@code replication}, {@code dbname} and {@code fallback_application_name}; {@code user}, {@code
   * passfile} ({@code ~/.pgpass} only when no password is set), {@code channel_binding}, {@code
   * sslmode} and {@code port} as libpq fills them in even when not given. {@code host} is written
   * only when given (libpq keeps the default socket directory out of {@code PQconninfo}). Left out,
   * unlike pg_basebackup: libpq's other compiled-in defaults ({@code sslcompression}, {@code
   * sslsni}, {@code gssencmode}, ...) and every keyword a PostgreSQL 13 standby refuses, even when
   * given (see docs/design-notes.md).
   *
   * @param args the command line's connection options
   * @param dbname the database name to write (pg_basebackup 17+ writes an explicitly given one), or
   *     null
   * @param resolved what {@link #resolve} made of the same arguments
   */
  public static Map<String, String> primaryConninfo(
      CommandLine args,
      Map<String, String> env,
      @Nullable Path homeDir,
      ConnectionConfig resolved,
      @Nullable String dbname) {
    return PrimaryConninfo.render(args, env, homeDir, resolved, dbname);
  }

  /**
   * libpq's {@code pqGetHomeDirectory}: {@code $HOME} when it is set and not empty, else the home
   * directory of the user's passwd entry (which is what Java's {@code user.home} holds); null when
   * neither is known.
   */
  public static @Nullable Path homeDirectory(Map<String, String> env) {
    String home = ConnInfoResolver.nonEmpty(env.get("HOME"));
    if (home == null) {
      home = ConnInfoResolver.nonEmpty(System.getProperty("user.home"));
    }
    return home == null || home.equals("?") ? null : Path.of(home);
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
}
