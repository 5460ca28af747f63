// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static io.jwalreceiver.session.ConnInfoParser.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * From the command line's connection options, the {@code -d} conninfo (through {@link
 * ConnInfoParser}), the connection service file, the {@code PG*} environment and libpq's defaults
 * to a {@link ConnectionConfig}, with the precedence and checks of pg_basebackup and pg_receivewal
 * on libpq ({@code GetConnection} in {@code streamutil.c}, then {@code connectOptions2}). The rules
 * are documented on {@link ConnInfo#resolve(String, String, String, String, String, Map, String,
 * Path, String, Predicate)}.
 */
final class ConnInfoResolver {

  private ConnInfoResolver() {}

  /**
   * See {@link ConnInfo#resolve(String, String, String, String, String, Map, String, Path, String,
   * Predicate)}.
   */
  static ConnectionConfig resolve(
      ConnInfo.CommandLine args,
      Map<String, String> env,
      String osUserName,
      @Nullable Path homeDir,
      @Nullable String fallbackApplicationName,
      Predicate<Path> exists) {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(osUserName, "osUserName");
    Objects.requireNonNull(exists, "exists");

    // The explicit keywords, in the order the tools pass them to libpq; later entries win.
    Map<String, String> given = explicitSettings(args, env, homeDir);
    String dbnameOrConninfo = args.dbnameOrConninfo();
    String database = dbnameOrConninfo != null ? given.get("dbname") : null;
    // What pg_basebackup 17+ writes with -R: the conninfo's dbname with -d, else PGDATABASE
    // (with -d, given.get("dbname") is "replication" when the conninfo names none).
    String named = nonEmpty(dbnameOrConninfo != null ? database : env.get("PGDATABASE"));
    String explicitDatabase = ConnInfo.REPLICATION_DATABASE.equals(named) ? null : named;
    if (database == null) {
      database = nonEmpty(setting(given, env, "dbname"));
      if (database == null) {
        database = ConnInfo.REPLICATION_DATABASE;
      }
    }

    checkListLengths(given, env);
    String defaultHost = ConnInfo.defaultSocketDir(exists);

    String userValue = nonEmpty(setting(given, env, "user"));
    if (userValue == null) {
      userValue = osUserName;
    }

    String passwordValue = nonEmpty(setting(given, env, "password"));
    String passFileValue = nonEmpty(setting(given, env, "passfile"));
    // libpq's connectOptions2 names ~/.pgpass only when no password is set, so it is neither
    // read nor shown by PQconninfo (and -R) then.
    Path passFile =
        passFileValue != null
            ? Path.of(passFileValue)
            : passwordValue == null && homeDir != null ? homeDir.resolve(".pgpass") : null;
    String applicationName = nonEmpty(setting(given, env, "application_name"));

    // Validated in libpq's order, so that the first complaint matches libpq's.
    String bindingValue = setting(given, env, "channel_binding");
    ChannelBinding channelBinding =
        bindingValue != null ? ChannelBinding.parse(bindingValue) : ChannelBinding.PREFER;

    String rootCertValue = setting(given, env, "sslrootcert");
    String sslModeValue = setting(given, env, "sslmode");
    if (sslModeValue == null && env.getOrDefault("PGREQUIRESSL", "").startsWith("1")) {
      sslModeValue = "require";
    }
    SslMode sslMode;
    if (sslModeValue != null) {
      sslMode = SslMode.parse(sslModeValue);
    } else if (ConnInfo.SYSTEM_ROOT_CERT.toString().equals(rootCertValue)) {
      // libpq strengthens the default when the system store is asked for.
      sslMode = SslMode.VERIFY_FULL;
    } else {
      sslMode = SslMode.PREFER;
    }
    TlsSettings.checkNegotiation(setting(given, env, "sslnegotiation"), sslMode);
    Path sslRootCert;
    if (rootCertValue != null && !rootCertValue.isEmpty()) {
      sslRootCert = Path.of(rootCertValue);
      if (ConnInfo.SYSTEM_ROOT_CERT.toString().equals(rootCertValue)
          && sslMode != SslMode.VERIFY_FULL) {
        throw fail(
            "weak sslmode \""
                + sslMode.keyword()
                + "\" may not be used with sslrootcert=system (use \"verify-full\")");
      }
    } else {
      sslRootCert = defaultRootCert(homeDir, exists);
    }

    String minProtocol = setting(given, env, "ssl_min_protocol_version");
    String maxProtocol = setting(given, env, "ssl_max_protocol_version");
    TlsSettings.checkProtocolRange(minProtocol, maxProtocol);
    String certMode = setting(given, env, "sslcertmode");
    TlsSettings.checkCertMode(certMode);
    String gssEncMode = setting(given, env, "gssencmode");
    TlsSettings.checkGssEncMode(gssEncMode);
    checkChoices(given, env);

    String timeoutValue = setting(given, env, "connect_timeout");
    Duration connectTimeout =
        timeoutValue != null ? parseConnectTimeout(timeoutValue) : Duration.ZERO;

    List<HostSpec> hosts =
        hostList(
            setting(given, env, "host"),
            setting(given, env, "hostaddr"),
            setting(given, env, "port"),
            defaultHost);
    String targetValue = setting(given, env, "target_session_attrs");
    TargetSessionAttrs target =
        targetValue == null ? TargetSessionAttrs.ANY : TargetSessionAttrs.parse(targetValue);
    boolean loadBalance = "random".equals(setting(given, env, "load_balance_hosts"));

    String fallback =
        fallbackApplicationName != null
            ? fallbackApplicationName
            : given.get("fallback_application_name");

    Path crlFile = pathOrNull(setting(given, env, "sslcrl"));
    Path crlDir = pathOrNull(setting(given, env, "sslcrldir"));
    if (crlFile == null && crlDir == null) {
      crlFile = clientFile(null, homeDir, "root.crl");
    }
    TlsOptions tls =
        new TlsOptions(
            clientFile(setting(given, env, "sslcert"), homeDir, "postgresql.crt"),
            clientFile(setting(given, env, "sslkey"), homeDir, "postgresql.key"),
            nonEmpty(given.get("sslpassword")),
            crlFile,
            crlDir,
            minProtocol,
            nonEmpty(maxProtocol),
            nonEmpty(setting(given, env, "sslsni")),
            nonEmpty(certMode));
    String requireAuth = nonEmpty(setting(given, env, "require_auth"));
    RequireAuth.parse(requireAuth); // libpq rejects a bad list with the options, before connecting

    return ConnectionConfig.builder()
        .hosts(hosts, target, loadBalance)
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
        .tls(tls)
        .requireAuth(requireAuth)
        .gssEncMode(nonEmpty(gssEncMode))
        .explicitDatabase(explicitDatabase)
        .build();
  }

  /**
   * The keywords given explicitly, in the order the tools pass them to libpq (later entries win),
   * with the connection service's values added where none is given: the {@code -d} conninfo ({@code
   * dbname=replication} first, so that the conninfo can override it), {@code -h}, {@code -U},
   * {@code -p}, a typed password, then the service. Empty values count as not given.
   */
  static Map<String, String> explicitSettings(
      ConnInfo.CommandLine args, Map<String, String> env, @Nullable Path homeDir) {
    Map<String, String> given = new LinkedHashMap<>();
    if (args.dbnameOrConninfo() != null) {
      given.put("dbname", ConnInfo.REPLICATION_DATABASE);
      ConnInfoParser.parse(args.dbnameOrConninfo()).forEach((k, v) -> putGiven(given, k, v));
    }
    putGiven(given, "host", args.host());
    putGiven(given, "user", args.user());
    putGiven(given, "port", args.port());
    putGiven(given, "password", args.password());
    addService(given, env, homeDir);
    return given;
  }

  /**
   * libpq's {@code parseServiceInfo}: when a service is named ({@code service=} or {@code
   * PGSERVICE}), adds the keywords of its section to {@code given} where {@code given} has none.
   * The user's file ({@code servicefile=}, {@code PGSERVICEFILE}, else {@code ~/.pg_service.conf}
   * when it exists) is read first; the system file ({@code PGSYSCONFDIR/pg_service.conf}) only when
   * the user's file has no such section.
   */
  private static void addService(
      Map<String, String> given, Map<String, String> env, @Nullable Path homeDir) {
    String service = given.containsKey("service") ? given.get("service") : env.get("PGSERVICE");
    if (service == null) {
      return;
    }
    String named =
        given.containsKey("servicefile") ? given.get("servicefile") : env.get("PGSERVICEFILE");
    Path userFile = null;
    if (named != null) {
      userFile = Path.of(named);
    } else if (homeDir != null && Files.exists(homeDir.resolve(".pg_service.conf"))) {
      userFile = homeDir.resolve(".pg_service.conf");
    }
    ServiceFile.Result result = null;
    if (userFile != null) {
      result = ServiceFile.read(userFile, service, ConnInfo.KEYWORDS);
    }
    if (result == null || !result.found()) {
      String sysconf = env.get("PGSYSCONFDIR");
      Path systemFile =
          Path.of((sysconf != null ? sysconf : ConnInfo.DEFAULT_SYSCONFDIR) + "/pg_service.conf");
      if (Files.exists(systemFile)) {
        result = ServiceFile.read(systemFile, service, ConnInfo.KEYWORDS);
      }
    }
    if (result == null || !result.found()) {
      throw fail("definition of service \"" + service + "\" not found");
    }
    result.values().forEach(given::putIfAbsent);
  }

  /**
   * libpq's {@code connectOptions2} checks of comma-separated lists: {@code hostaddr} needs as many
   * elements as {@code host} when both are given, and {@code port}, when it has more than one, as
   * many as there are hosts.
   */
  private static void checkListLengths(Map<String, String> given, Map<String, String> env) {
    String hosts = setting(given, env, "host");
    String addresses = setting(given, env, "hostaddr");
    int hostCount = listLength(hosts);
    int addressCount = listLength(addresses);
    if (hostCount > 0 && addressCount > 0 && hostCount != addressCount) {
      throw fail(
          "could not match " + hostCount + " host names to " + addressCount + " hostaddr values");
    }
    int connections = Math.max(1, Math.max(hostCount, addressCount));
    int portCount = listLength(setting(given, env, "port"));
    if (portCount > 1 && portCount != connections) {
      throw fail("could not match " + portCount + " port numbers to " + connections + " hosts");
    }
  }

  /**
   * libpq's {@code connectOptions2}: one {@link HostSpec} per element of the {@code hostaddr} list
   * (or of the {@code host} list, or a single one), each with the {@code host} and {@code port}
   * elements at its position. A single port applies to every host; an empty element means the
   * default: port 5432, and for the host the default socket directory (or, with a {@code hostaddr}
   * element, that address, the key for {@code .pgpass} and the certificate check as in libpq). The
   * list lengths were checked by {@link #checkListLengths}.
   */
  static List<HostSpec> hostList(
      @Nullable String hosts,
      @Nullable String addresses,
      @Nullable String ports,
      String defaultHost) {
    List<String> hostElements = split(hosts);
    List<String> addressElements = split(addresses);
    List<String> portElements = split(ports);
    int count = Math.max(1, Math.max(hostElements.size(), addressElements.size()));
    List<HostSpec> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String host = i < hostElements.size() ? hostElements.get(i) : "";
      String address = i < addressElements.size() ? addressElements.get(i) : "";
      String port =
          portElements.isEmpty() ? "" : portElements.get(portElements.size() == 1 ? 0 : i);
      String name = !host.isEmpty() ? host : !address.isEmpty() ? address : defaultHost;
      out.add(
          new HostSpec(
              name,
              address.isEmpty() ? null : address,
              port.isEmpty() ? ConnInfo.DEFAULT_PORT : parsePort(port)));
    }
    return out;
  }

  /** libpq's {@code parse_comma_separated_list} over a whole value; empty for unset or empty. */
  private static List<String> split(@Nullable String value) {
    if (value == null || value.isEmpty()) {
      return List.of();
    }
    return List.of(value.split(",", -1));
  }

  /** libpq's {@code count_comma_separated_elems}; 0 for an unset or empty value. */
  private static int listLength(@Nullable String value) {
    if (value == null || value.isEmpty()) {
      return 0;
    }
    return (int) value.chars().filter(c -> c == ',').count() + 1;
  }

  /**
   * The keyword checks libpq's {@code connectOptions2} makes after the TLS ones ({@link
   * TlsSettings}), in its order: each must be one of libpq's values, or {@code invalid <keyword>
   * value: "<value>"}.
   */
  private static void checkChoices(Map<String, String> given, Map<String, String> env) {
    checkChoice(
        "target_session_attrs",
        setting(given, env, "target_session_attrs"),
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby");
    checkChoice(
        "load_balance_hosts", setting(given, env, "load_balance_hosts"), "disable", "random");
  }

  private static void checkChoice(String keyword, @Nullable String value, String... allowed) {
    if (value != null && !List.of(allowed).contains(value)) {
      throw fail("invalid " + keyword + " value: \"" + value + "\"");
    }
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
   * libpq's {@code pqParseIntParam}: {@code strtol} in base 10 with leading and trailing whitespace
   * allowed, an optional sign, and the result within {@code int}.
   */
  private static int parseIntParam(String value, String keyword) {
    int n = value.length();
    int i = 0;
    while (i < n && ConnInfoParser.isSpace(value.charAt(i))) {
      i++;
    }
    int end = n;
    while (end > i && ConnInfoParser.isSpace(value.charAt(end - 1))) {
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
    throw fail("invalid integer value \"" + value + "\" for connection option \"" + keyword + "\"");
  }

  /**
   * A TLS file: the given path, else libpq's default under {@code ~/.postgresql/} ({@code
   * postgresql.crt}, {@code postgresql.key}, {@code root.crl}; used only if it exists when
   * connecting, as libpq skips a missing certificate or CRL), or null without a home directory.
   */
  static @Nullable Path clientFile(
      @Nullable String value, @Nullable Path homeDir, String defaultName) {
    if (value != null && !value.isEmpty()) {
      return Path.of(value);
    }
    return homeDir == null ? null : homeDir.resolve(".postgresql").resolve(defaultName);
  }

  private static @Nullable Path defaultRootCert(@Nullable Path homeDir, Predicate<Path> exists) {
    Path rootCrt = clientFile(null, homeDir, "root.crt");
    return rootCrt != null && exists.test(rootCrt) ? rootCrt : null;
  }

  /**
   * An explicit value (command line or conninfo) if given, else libpq's environment variable for
   * the keyword ({@link LibpqKeyword#envVar}).
   */
  private static @Nullable String setting(
      Map<String, String> given, Map<String, String> env, String keyword) {
    String value = given.get(keyword);
    return value != null ? value : env.get(LibpqKeyword.envVarOf(keyword));
  }

  /** Records an explicit keyword; empty values are dropped, as the tools drop them. */
  private static void putGiven(Map<String, String> given, String keyword, @Nullable String value) {
    if (value != null && !value.isEmpty()) {
      given.put(keyword, value);
    }
  }

  private static @Nullable Path pathOrNull(@Nullable String value) {
    return value == null || value.isEmpty() ? null : Path.of(value);
  }

  static @Nullable String nonEmpty(@Nullable String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
