// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ConnInfoTest {

  private static final Path HOME = Path.of("/home/alice");
  private static final Path ROOT_CRT = HOME.resolve(".postgresql/root.crt");

  /** Builds an ordered map from alternating keys and values. */
  private static Map<String, String> map(@Nullable String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private static void assertConnectionError(ThrowingCallable call, String message) {
    assertThatThrownBy(call)
        .isInstanceOf(PgException.class)
        .hasMessage(message)
        .satisfies(
            e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE));
  }

  // ---------------------------------------------------------------------------------------------
  // key=value strings

  static Stream<Arguments> keywordValueStrings() {
    return Stream.of(
        arguments("", map()),
        arguments("   \t\n ", map()),
        arguments("host=localhost port=5432", map("host", "localhost", "port", "5432")),
        arguments("  host = localhost \t port=\t5432  ", map("host", "localhost", "port", "5432")),
        arguments("host='my host'", map("host", "my host")),
        arguments("password='it\\'s'", map("password", "it's")),
        arguments("password='a\\\\b'", map("password", "a\\b")),
        arguments("password='a\\xb'", map("password", "axb")),
        arguments("password=a\\ b", map("password", "a b")),
        arguments("password=it's", map("password", "it's")),
        arguments("password=abc\\", map("password", "abc")),
        arguments("password=a\\'b", map("password", "a'b")),
        arguments("host=''", map("host", "")),
        arguments("host='' port=5433", map("host", "", "port", "5433")),
        arguments(
            "dbname=postgres options='-c geqo=off'",
            map("dbname", "postgres", "options", "-c geqo=off")),
        // libpq skips blanks after '=', so the next pair becomes the value.
        arguments("host= dbname=x", map("host", "dbname=x")),
        arguments("host=a port=1 host=b", map("host", "b", "port", "1")),
        arguments("requiressl=1", map("sslmode", "require")),
        arguments("requiressl=0", map("sslmode", "prefer")),
        arguments("host=/tmp,/var/run/postgresql", map("host", "/tmp,/var/run/postgresql")),
        arguments(
            "sslmode=verify-full sslrootcert=system",
            map("sslmode", "verify-full", "sslrootcert", "system")));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
          foo                        | missing "=" after "foo" in connection info string
          host=x foo                 | missing "=" after "foo" in connection info string
          host 'x'                   | missing "=" after "host" in connection info string
          host='x'y                  | missing "=" after "y" in connection info string
          host='a''b'                | missing "=" after "'b'" in connection info string
          host='x                    | unterminated quoted string in connection info string
          password='abc\\'           | unterminated quoted string in connection info string
          foo=bar                    | invalid connection option "foo"
          host=x Port=5432           | invalid connection option "Port"
          =x                         | invalid connection option ""
          """)
  void rejectsMalformedKeywordValueStrings(String conninfo, String message) {
    assertConnectionError(() -> ConnInfo.parse(conninfo), message);
  }

  @Test
  void acceptsEveryLibpqKeyword() {
    for (String keyword : ConnInfo.KEYWORDS) {
      assertThat(ConnInfo.parse(keyword + "=x")).containsExactly(Map.entry(keyword, "x"));
    }
    assertThat(ConnInfo.KEYWORDS)
        .contains(
            "hostaddr",
            "sslnegotiation",
            "gssdelegation",
            "load_balance_hosts",
            "require_auth",
            "scram_client_key",
            "min_protocol_version",
            "max_protocol_version");
  }

  // ---------------------------------------------------------------------------------------------
  // URIs

  static Stream<Arguments> uris() {
    return Stream.of(
        arguments("postgresql://", map()),
        arguments("postgres://", map()),
        arguments("postgresql://localhost", map("host", "localhost")),
        arguments("postgresql://localhost:5433", map("host", "localhost", "port", "5433")),
        arguments("postgresql://localhost/mydb", map("host", "localhost", "dbname", "mydb")),
        arguments("postgresql://localhost/", map("host", "localhost")),
        arguments("postgresql://user@localhost", map("user", "user", "host", "localhost")),
        arguments("postgresql://user@", map("user", "user")),
        arguments("postgresql://:5433", map("port", "5433")),
        arguments(
            "postgresql://other:secret@localhost:5433/otherdb"
                + "?connect_timeout=10&application_name=myapp",
            map(
                "user", "other",
                "password", "secret",
                "host", "localhost",
                "port", "5433",
                "dbname", "otherdb",
                "connect_timeout", "10",
                "application_name", "myapp")),
        arguments(
            "postgresql://us%40er:p%3As%2Fs@h",
            map("user", "us@er", "password", "p:s/s", "host", "h")),
        arguments("postgresql://user:@h", map("user", "user", "host", "h")),
        arguments("postgresql://[::1]:5433/db", map("host", "::1", "port", "5433", "dbname", "db")),
        arguments(
            "postgresql://[2001:db8::1234]/database",
            map("host", "2001:db8::1234", "dbname", "database")),
        arguments("postgresql://[::1]", map("host", "::1")),
        arguments(
            "postgresql://%2Fvar%2Flib%2Fpostgresql/dbname",
            map("host", "/var/lib/postgresql", "dbname", "dbname")),
        arguments(
            "postgresql:///mydb?host=/tmp&port=5433",
            map("dbname", "mydb", "host", "/tmp", "port", "5433")),
        arguments("postgresql://?host=%2Ftmp", map("host", "/tmp")),
        arguments(
            "postgresql://h1:5432,h2:5433/db",
            map("host", "h1,h2", "port", "5432,5433", "dbname", "db")),
        arguments(
            "postgresql://[::1]:5432,h2/db",
            map("host", "::1,h2", "port", "5432,", "dbname", "db")),
        arguments("postgresql://h/db%20name", map("host", "h", "dbname", "db name")),
        arguments("postgresql://h/caf%C3%A9", map("host", "h", "dbname", "café")),
        arguments("postgresql://h?ssl=true", map("host", "h", "sslmode", "require")),
        arguments("postgresql://h?requiressl=1", map("host", "h", "sslmode", "require")),
        arguments("postgresql://h?", map("host", "h")),
        arguments("postgresql://h?host=other", map("host", "other")),
        arguments(
            "postgres://h?application_name=a%20b&options=-c%20x%3Dy",
            map("host", "h", "application_name", "a b", "options", "-c x=y")),
        // libpq looks for the first '@' only: the rest of a password with an '@' is the host.
        arguments("postgresql://u:p@ss@h", map("user", "u", "password", "p", "host", "ss@h")));
  }

  /** Both forms libpq takes: keyword/value strings and URIs. */
  @ParameterizedTest
  @MethodSource({"keywordValueStrings", "uris"})
  void parsesKeywordValueStringsAndUris(String conninfo, Map<String, String> expected) {
    assertThat(ConnInfo.parse(conninfo)).containsExactlyEntriesOf(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          postgresql://h?foo=bar      | invalid URI query parameter: "foo"
          postgresql://h?ssl=false    | invalid URI query parameter: "ssl"
          postgresql://h/db%zz        | invalid percent-encoded token: "db%zz"
          postgresql://h/db%2         | invalid percent-encoded token: "db%2"
          postgresql://us%g0r@h       | invalid percent-encoded token: "us%g0r"
          postgresql://h?host=%       | invalid percent-encoded token: "%"
          postgresql://h/%00          | forbidden value %00 in percent-encoded value: "%00"
          postgresql://h/a b          | unexpected spaces found in "a b", use percent-encoded spaces (%20) instead
          postgresql://h?host         | missing key/value separator "=" in URI query parameter: "host"
          postgresql://h?host=a=b     | extra key/value separator "=" in URI query parameter: "host"
          postgresql://[::1           | end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://[::1"
          postgresql://[]/db          | IPv6 host address may not be empty in URI: "postgresql://[]/db"
          postgresql://[::1]x         | unexpected character "x" at position 19 in URI (expected ":" or "/"): "postgresql://[::1]x"
          """)
  void rejectsMalformedUris(String uri, String message) {
    assertConnectionError(() -> ConnInfo.parse(uri), message);
  }

  @Test
  void uriParserRejectsStringsWithoutAUriPrefix() {
    assertConnectionError(
        () -> ConnInfoParser.parseUri("host=x"),
        "invalid URI propagated to internal parser routine: \"host=x\"");
  }

  @ParameterizedTest
  @CsvSource({
    "mydb, false",
    "'', false",
    "my db, false",
    "host=x, true",
    "=, true",
    "postgresql://, true",
    "postgres://h/db, true",
    "postgresq://h, false",
    "POSTGRESQL://h, false"
  })
  void recognisesConnectionStringsByTheExpandDbnameRule(String value, boolean expected) {
    assertThat(ConnInfo.isConnInfo(value)).isEqualTo(expected);
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering

  static Stream<Arguments> renderings() {
    return Stream.of(
        arguments(map(), ""),
        arguments(
            map("user", "postgres", "host", "/tmp", "port", "5432"),
            "user=postgres host='/tmp' port=5432"),
        arguments(map("password", ""), "password=''"),
        arguments(map("password", "it's a\\b"), "password='it\\'s a\\\\b'"),
        arguments(map("application_name", "my-app"), "application_name='my-app'"),
        arguments(map("dbname", "db_1.x"), "dbname=db_1.x"),
        arguments(map("dbname", "café"), "dbname='café'"),
        arguments(map("port", "5432", "host", "h"), "port=5432 host=h"),
        arguments(map("host", "h", "password", null, "port", "1"), "host=h port=1"));
  }

  @ParameterizedTest
  @MethodSource("renderings")
  void rendersConnInfoStringsLikeAppendConnStrVal(Map<String, String> keywords, String expected) {
    assertThat(ConnInfo.toConnInfoString(keywords)).isEqualTo(expected);
  }

  @Test
  void renderedStringsParseBackToTheSameMap() {
    Map<String, String> keywords =
        map(
            "user", "rep user",
            "password", "p'a\\s s=w:d",
            "host", "/var/run/postgresql",
            "port", "5432",
            "application_name", "",
            "options", "-c wal_sender_timeout=0");
    assertThat(ConnInfo.parse(ConnInfo.toConnInfoString(keywords)))
        .containsExactlyEntriesOf(keywords);
  }

  @Test
  void quotesSingleValues() {
    assertThat(ConnInfo.quoteValue("abc")).isEqualTo("abc");
    assertThat(ConnInfo.quoteValue("a b")).isEqualTo("'a b'");
    assertThat(ConnInfo.quoteValue("")).isEqualTo("''");
  }

  // ---------------------------------------------------------------------------------------------
  // Resolution

  private static ConnectionConfig resolve(
      @Nullable String dbname,
      @Nullable String host,
      @Nullable String port,
      @Nullable String user,
      Map<String, String> env) {
    return resolve(dbname, host, port, user, env, Set.of());
  }

  private static ConnectionConfig resolve(
      @Nullable String dbname,
      @Nullable String host,
      @Nullable String port,
      @Nullable String user,
      Map<String, String> env,
      Set<Path> existing) {
    Predicate<Path> exists = existing::contains;
    return ConnInfo.resolve(dbname, host, port, user, env, "osuser", HOME, "pg_receivewal", exists);
  }

  @Test
  void resolvesLibpqDefaults() {
    ConnectionConfig cfg = resolve(null, null, null, null, Map.of());
    assertThat(cfg.host()).isEqualTo("/tmp");
    assertThat(cfg.port()).isEqualTo(5432);
    assertThat(cfg.user()).isEqualTo("osuser");
    assertThat(cfg.database()).isEqualTo("replication");
    assertThat(cfg.replication()).isEqualTo("true");
    assertThat(cfg.applicationName()).isNull();
    assertThat(cfg.fallbackApplicationName()).isEqualTo("pg_receivewal");
    assertThat(cfg.effectiveApplicationName()).isEqualTo("pg_receivewal");
    assertThat(cfg.password()).isNull();
    assertThat(cfg.passFile()).isEqualTo(HOME.resolve(".pgpass"));
    assertThat(cfg.passwordPrompt()).isNull();
    assertThat(cfg.sslMode()).isEqualTo(SslMode.PREFER);
    assertThat(cfg.sslRootCert()).isNull();
    assertThat(cfg.channelBinding()).isEqualTo(ChannelBinding.PREFER);
    assertThat(cfg.connectTimeout()).isEqualTo(Duration.ZERO);
  }

  @Test
  void prefersThePackagedSocketDirectoryWhenItExists() {
    ConnectionConfig cfg =
        resolve(null, null, null, null, Map.of(), Set.of(ConnInfo.PACKAGED_SOCKET_DIR));
    assertThat(cfg.host()).isEqualTo("/var/run/postgresql");
    assertThat(cfg.isUnixSocket()).isTrue();
  }

  static Stream<Arguments> precedence() {
    Map<String, String> env = Map.of("PGHOST", "envhost", "PGPORT", "5001", "PGUSER", "envuser");
    String conninfo = "host=cihost port=5002 user=ciuser";
    String uri = "postgresql://uriuser@urihost:5003";
    return Stream.of(
        arguments(null, null, null, null, Map.of(), "/tmp", 5432, "osuser"),
        arguments(null, null, null, null, env, "envhost", 5001, "envuser"),
        arguments(conninfo, null, null, null, env, "cihost", 5002, "ciuser"),
        arguments(uri, null, null, null, env, "urihost", 5003, "uriuser"),
        arguments(conninfo, "opthost", "5004", "optuser", env, "opthost", 5004, "optuser"),
        arguments(uri, "opthost", null, null, env, "opthost", 5003, "uriuser"),
        arguments("host=cihost", null, null, "optuser", env, "cihost", 5001, "optuser"),
        arguments(null, "opthost", "5004", "optuser", Map.of(), "opthost", 5004, "optuser"),
        // Empty values on the command line or in the conninfo count as not given.
        arguments("host='' port='' user=''", "", "", "", env, "envhost", 5001, "envuser"),
        // A set but empty variable falls back to the default.
        arguments(
            null,
            null,
            null,
            null,
            Map.of("PGHOST", "", "PGPORT", "", "PGUSER", ""),
            "/tmp",
            5432,
            "osuser"),
        // With several hosts and ports, host() and port() are the first (hosts() has them all).
        arguments("host=a,b port=5433,5434", null, null, null, env, "a", 5433, "envuser"),
        arguments("postgresql://h1:5435,h2:5436/db", null, null, null, env, "h1", 5435, "envuser"),
        arguments("host=,b port=,5434", null, null, null, Map.of(), "/tmp", 5432, "osuser"),
        arguments(null, null, null, null, Map.of("PGHOST", "/sock,h2"), "/sock", 5432, "osuser"));
  }

  @ParameterizedTest
  @MethodSource("precedence")
  void appliesOptionsOverConnInfoOverEnvironmentOverDefaults(
      String dbname,
      String host,
      String port,
      String user,
      Map<String, String> env,
      String expectedHost,
      int expectedPort,
      String expectedUser) {
    ConnectionConfig cfg = resolve(dbname, host, port, user, env);
    assertThat(cfg.host()).isEqualTo(expectedHost);
    assertThat(cfg.port()).isEqualTo(expectedPort);
    assertThat(cfg.user()).isEqualTo(expectedUser);
  }

  static Stream<Arguments> hostLists() {
    return Stream.of(
        arguments("host=a,b port=5433,5434", Map.of(), List.of("a:5433", "b:5434")),
        // One port for every host; empty elements are the defaults.
        arguments("host=a,b port=5433", Map.of(), List.of("a:5433", "b:5433")),
        arguments("host=a,,c", Map.of(), List.of("a:5432", "/tmp:5432", "c:5432")),
        arguments("host=,b port=,5434", Map.of(), List.of("/tmp:5432", "b:5434")),
        arguments(null, Map.of("PGHOST", "/sock,h2"), List.of("/sock:5432", "h2:5432")),
        arguments("postgresql://h1:5435,h2:5436/db", Map.of(), List.of("h1:5435", "h2:5436")),
        // IPv6 literals in brackets, a percent-encoded zone, and a host without a port.
        arguments(
            "postgresql://[::1]:5435,[fe80::1%25eth0],h3/db",
            Map.of(), List.of("::1:5435", "fe80::1%eth0:5432", "h3:5432")),
        arguments(
            "postgresql://%2Fvar%2Frun%2Fpostgresql,h2:5440/db",
            Map.of(), List.of("/var/run/postgresql:5432", "h2:5440")),
        // hostaddr elements pair with host elements; an empty host takes the address.
        arguments(
            "host=a,b hostaddr=10.0.0.1,10.0.0.2",
            Map.of(),
            List.of("a:5432 (10.0.0.1)", "b:5432 (10.0.0.2)")),
        arguments(
            "host=a,b, hostaddr=10.0.0.1,,10.0.0.3 port=1,2,3",
            Map.of(),
            List.of("a:1 (10.0.0.1)", "b:2", "10.0.0.3:3 (10.0.0.3)")),
        arguments(
            null,
            Map.of("PGHOSTADDR", "10.0.0.1,10.0.0.2", "PGPORT", "7"),
            List.of("10.0.0.1:7 (10.0.0.1)", "10.0.0.2:7 (10.0.0.2)")),
        arguments("hostaddr=10.0.0.1", Map.of(), List.of("10.0.0.1:5432 (10.0.0.1)")),
        arguments(null, Map.of(), List.of("/tmp:5432")));
  }

  /** libpq's connectOptions2: one entry per host (or hostaddr) element, with its port. */
  @ParameterizedTest
  @MethodSource("hostLists")
  void resolvesEveryHostOfAList(
      @Nullable String dbname, Map<String, String> env, List<String> expected) {
    ConnectionConfig cfg = resolve(dbname, null, null, null, env);
    assertThat(cfg.hosts()).extracting(HostSpec::toString).containsExactlyElementsOf(expected);
    HostSpec first = cfg.hosts().get(0);
    assertThat(cfg.host()).isEqualTo(first.host());
    assertThat(cfg.hostAddr()).isEqualTo(first.hostAddr());
    assertThat(cfg.port()).isEqualTo(first.port());
  }

  @Test
  void takesHostListsFromTheCommandLineToo() {
    ConnectionConfig cfg = resolve("host=x port=1", "a,b", "5,6", null, Map.of());
    assertThat(cfg.hosts()).extracting(HostSpec::toString).containsExactly("a:5", "b:6");
  }

  static Stream<Arguments> targets() {
    return Stream.of(
        arguments(null, Map.of(), TargetSessionAttrs.ANY, false),
        arguments(
            "target_session_attrs=read-write", Map.of(), TargetSessionAttrs.READ_WRITE, false),
        arguments("target_session_attrs=read-only", Map.of(), TargetSessionAttrs.READ_ONLY, false),
        arguments("target_session_attrs=primary", Map.of(), TargetSessionAttrs.PRIMARY, false),
        arguments("target_session_attrs=standby", Map.of(), TargetSessionAttrs.STANDBY, false),
        arguments(
            "target_session_attrs=prefer-standby load_balance_hosts=random",
            Map.of(),
            TargetSessionAttrs.PREFER_STANDBY,
            true),
        arguments("load_balance_hosts=disable", Map.of(), TargetSessionAttrs.ANY, false),
        arguments(
            null,
            Map.of("PGTARGETSESSIONATTRS", "standby", "PGLOADBALANCEHOSTS", "random"),
            TargetSessionAttrs.STANDBY,
            true),
        arguments(
            "target_session_attrs=any load_balance_hosts=disable",
            Map.of("PGTARGETSESSIONATTRS", "standby", "PGLOADBALANCEHOSTS", "random"),
            TargetSessionAttrs.ANY,
            false));
  }

  @ParameterizedTest
  @MethodSource("targets")
  void resolvesTargetSessionAttrsAndLoadBalancing(
      @Nullable String dbname,
      Map<String, String> env,
      TargetSessionAttrs expected,
      boolean loadBalance) {
    ConnectionConfig cfg = resolve(dbname, null, null, null, env);
    assertThat(cfg.targetSessionAttrs()).isEqualTo(expected);
    assertThat(cfg.loadBalanceHosts()).isEqualTo(loadBalance);
  }

  static Stream<Arguments> databases() {
    Map<String, String> env = Map.of("PGDATABASE", "envdb");
    return Stream.of(
        arguments(null, Map.of(), "replication"),
        arguments(null, env, "envdb"),
        arguments(null, Map.of("PGDATABASE", ""), "replication"),
        arguments("host=h", env, "replication"),
        arguments("", env, "replication"),
        arguments("dbname=cidb", env, "cidb"),
        arguments("dbname=''", env, "replication"),
        arguments("postgresql://h/uridb", env, "uridb"),
        arguments("postgresql://h/", env, "replication"));
  }

  @ParameterizedTest
  @MethodSource("databases")
  void choosesTheDatabaseLikePgBasebackup(String dbname, Map<String, String> env, String expected) {
    assertThat(resolve(dbname, null, null, null, env).database()).isEqualTo(expected);
  }

  static Stream<Arguments> explicitDatabases() {
    Map<String, String> env = Map.of("PGDATABASE", "envdb");
    return Stream.of(
        arguments(null, Map.of(), null),
        arguments(null, env, "envdb"),
        arguments(null, Map.of("PGDATABASE", ""), null),
        arguments(null, Map.of("PGDATABASE", "replication"), null),
        arguments("host=h", env, null),
        arguments("", env, null),
        arguments("dbname=cidb", env, "cidb"),
        arguments("dbname=replication", env, null),
        arguments("dbname=''", env, null),
        arguments("postgresql://h/uridb", env, "uridb"));
  }

  /**
   * The database pg_basebackup 17+ writes with -R: the -d conninfo's dbname, else (without -d)
   * PGDATABASE; never replication. Resolution records it so the command need not parse -d again.
   */
  @ParameterizedTest
  @MethodSource("explicitDatabases")
  void recordsTheDatabaseNamedExplicitly(String dbname, Map<String, String> env, String expected) {
    assertThat(resolve(dbname, null, null, null, env).explicitDatabase()).isEqualTo(expected);
  }

  @Test
  void alwaysAsksForPhysicalReplication() {
    ConnectionConfig cfg =
        ConnInfo.resolve(
            "replication=database fallback_application_name=other",
            null,
            null,
            null,
            Map.of(),
            "osuser",
            HOME,
            "pg_basebackup",
            p -> false);
    assertThat(cfg.replication()).isEqualTo("true");
    assertThat(cfg.fallbackApplicationName()).isEqualTo("pg_basebackup");
  }

  @Test
  void usesTheConnInfoFallbackApplicationNameOnlyWithoutAProgramName() {
    ConnectionConfig cfg =
        ConnInfo.resolve(
            "fallback_application_name=other",
            null,
            null,
            null,
            Map.of(),
            "osuser",
            HOME,
            null,
            p -> false);
    assertThat(cfg.fallbackApplicationName()).isEqualTo("other");
  }

  @ParameterizedTest
  @CsvSource(
      nullValues = "null",
      textBlock =
          """
          null,                   null,       null,       /tmp
          null,                   null,       10.0.0.1,   10.0.0.1
          null,                   envhost,    10.0.0.1,   envhost
          hostaddr=10.0.0.2,      null,       null,       10.0.0.2
          hostaddr=10.0.0.2,      envhost,    null,       envhost
          host=h hostaddr=10.0.0.2, null,     null,       h
          """)
  void usesHostaddrOnlyWhenNoHostIsGiven(
      String conninfo, String pgHost, String pgHostAddr, String expected) {
    Map<String, String> env = new LinkedHashMap<>();
    if (pgHost != null) {
      env.put("PGHOST", pgHost);
    }
    if (pgHostAddr != null) {
      env.put("PGHOSTADDR", pgHostAddr);
    }
    assertThat(resolve(conninfo, null, null, null, env).host()).isEqualTo(expected);
  }

  @Test
  void resolvesPasswordAndPasswordFile() {
    Map<String, String> env =
        Map.of("PGPASSWORD", "envpw", "PGPASSFILE", "/etc/envpass", "PGAPPNAME", "envapp");
    ConnectionConfig fromEnv = resolve(null, null, null, null, env);
    assertThat(fromEnv.password()).isEqualTo("envpw");
    // An explicit password file is kept beside a password, as libpq keeps it.
    assertThat(fromEnv.passFile()).isEqualTo(Path.of("/etc/envpass"));
    assertThat(fromEnv.applicationName()).isEqualTo("envapp");

    ConnectionConfig fromConnInfo =
        resolve("password=cipw passfile=/etc/cipass application_name=ciapp", null, null, null, env);
    assertThat(fromConnInfo.password()).isEqualTo("cipw");
    assertThat(fromConnInfo.passFile()).isEqualTo(Path.of("/etc/cipass"));
    assertThat(fromConnInfo.applicationName()).isEqualTo("ciapp");
    assertThat(fromConnInfo.effectiveApplicationName()).isEqualTo("ciapp");

    ConnectionConfig empty =
        resolve(
            null, null, null, null, Map.of("PGPASSWORD", "", "PGPASSFILE", "", "PGAPPNAME", ""));
    assertThat(empty.password()).isNull();
    assertThat(empty.passFile()).isEqualTo(HOME.resolve(".pgpass"));
    assertThat(empty.applicationName()).isNull();

    // libpq names ~/.pgpass only when no password is set (connectOptions2).
    assertThat(resolve(null, null, null, null, Map.of("PGPASSWORD", "pw")).passFile()).isNull();
    assertThat(resolve("password=pw", null, null, null, Map.of()).passFile()).isNull();
    assertThat(
            ConnInfo.resolve(
                    null, null, null, null, "typed", Map.of(), "osuser", HOME, "x", p -> false)
                .passFile())
        .isNull();

    ConnectionConfig homeless =
        ConnInfo.resolve(null, null, null, null, Map.of(), "osuser", null, "x", p -> true);
    assertThat(homeless.passFile()).isNull();
    assertThat(homeless.sslRootCert()).isNull();
  }

  static Stream<Arguments> tlsSettings() {
    return Stream.of(
        arguments(null, Map.of(), Set.of(), SslMode.PREFER, null, ChannelBinding.PREFER),
        arguments(
            null, Map.of(), Set.of(ROOT_CRT), SslMode.PREFER, ROOT_CRT, ChannelBinding.PREFER),
        arguments(
            null,
            Map.of(
                "PGSSLMODE", "require", "PGSSLROOTCERT", "/ca.pem", "PGCHANNELBINDING", "require"),
            Set.of(ROOT_CRT),
            SslMode.REQUIRE,
            Path.of("/ca.pem"),
            ChannelBinding.REQUIRE),
        arguments(
            "sslmode=verify-ca sslrootcert=/ci.pem channel_binding=disable",
            Map.of(
                "PGSSLMODE", "require", "PGSSLROOTCERT", "/ca.pem", "PGCHANNELBINDING", "require"),
            Set.of(),
            SslMode.VERIFY_CA,
            Path.of("/ci.pem"),
            ChannelBinding.DISABLE),
        arguments(
            null,
            Map.of("PGREQUIRESSL", "1"),
            Set.of(),
            SslMode.REQUIRE,
            null,
            ChannelBinding.PREFER),
        arguments(
            null,
            Map.of("PGREQUIRESSL", "1", "PGSSLMODE", "disable"),
            Set.of(),
            SslMode.DISABLE,
            null,
            ChannelBinding.PREFER),
        arguments(
            "sslrootcert=system",
            Map.of(),
            Set.of(),
            SslMode.VERIFY_FULL,
            ConnInfo.SYSTEM_ROOT_CERT,
            ChannelBinding.PREFER),
        arguments(
            "postgresql://h?sslmode=verify-full&sslrootcert=system",
            Map.of(),
            Set.of(),
            SslMode.VERIFY_FULL,
            ConnInfo.SYSTEM_ROOT_CERT,
            ChannelBinding.PREFER));
  }

  @ParameterizedTest
  @MethodSource("tlsSettings")
  void resolvesTlsSettings(
      String conninfo,
      Map<String, String> env,
      Set<Path> existing,
      SslMode sslMode,
      Path rootCert,
      ChannelBinding binding) {
    ConnectionConfig cfg = resolve(conninfo, null, null, null, env, existing);
    assertThat(cfg.sslMode()).isEqualTo(sslMode);
    assertThat(cfg.sslRootCert()).isEqualTo(rootCert);
    assertThat(cfg.channelBinding()).isEqualTo(binding);
  }

  @ParameterizedTest
  @CsvSource(
      nullValues = "null",
      textBlock =
          """
          null,   0
          0,      0
          -1,     0
          1,      2
          2,      2
          10,     10
          ' 10 ', 10
          +7,     7
          """)
  void resolvesConnectTimeoutLikeLibpq(String value, long expectedSeconds) {
    Map<String, String> env = value == null ? Map.of() : Map.of("PGCONNECT_TIMEOUT", value);
    assertThat(resolve(null, null, null, null, env).connectTimeout())
        .isEqualTo(Duration.ofSeconds(expectedSeconds));
  }

  @Test
  void takesConnectTimeoutFromTheConnInfoBeforeTheEnvironment() {
    assertThat(
            resolve("connect_timeout=5", null, null, null, Map.of("PGCONNECT_TIMEOUT", "9"))
                .connectTimeout())
        .isEqualTo(Duration.ofSeconds(5));
  }

  static Stream<Arguments> resolutionErrors() {
    return Stream.of(
        arguments("host=x foo", Map.of(), "missing \"=\" after \"foo\" in connection info string"),
        // pg_basebackup and pg_receivewal hand -d to PQconninfoParse: never a bare database name.
        arguments("mydb", Map.of(), "missing \"=\" after \"mydb\" in connection info string"),
        arguments("host 'x'", Map.of(), "missing \"=\" after \"host\" in connection info string"),
        arguments("bogus=1", Map.of(), "invalid connection option \"bogus\""),
        arguments("postgresql://h?bogus=1", Map.of(), "invalid URI query parameter: \"bogus\""),
        arguments(
            "port=abc", Map.of(), "invalid integer value \"abc\" for connection option \"port\""),
        arguments(
            "port=54x", Map.of(), "invalid integer value \"54x\" for connection option \"port\""),
        arguments(
            "port=99999999999",
            Map.of(),
            "invalid integer value \"99999999999\" for connection option \"port\""),
        arguments("port=0", Map.of(), "invalid port number: \"0\""),
        arguments("port=65536", Map.of(), "invalid port number: \"65536\""),
        arguments("port=-1", Map.of(), "invalid port number: \"-1\""),
        arguments(
            null,
            Map.of("PGPORT", "x"),
            "invalid integer value \"x\" for connection option \"port\""),
        arguments("sslmode=bogus", Map.of(), "invalid sslmode value: \"bogus\""),
        arguments(null, Map.of("PGSSLMODE", "Require"), "invalid sslmode value: \"Require\""),
        arguments(null, Map.of("PGSSLMODE", ""), "invalid sslmode value: \"\""),
        arguments("channel_binding=maybe", Map.of(), "invalid channel_binding value: \"maybe\""),
        arguments(null, Map.of("PGCHANNELBINDING", "on"), "invalid channel_binding value: \"on\""),
        arguments(
            "sslrootcert=system sslmode=require",
            Map.of(),
            "weak sslmode \"require\" may not be used with sslrootcert=system (use \"verify-full\")"),
        arguments(
            "sslrootcert=system",
            Map.of("PGSSLMODE", "prefer"),
            "weak sslmode \"prefer\" may not be used with sslrootcert=system (use \"verify-full\")"),
        arguments(
            "connect_timeout=abc",
            Map.of(),
            "invalid integer value \"abc\" for connection option \"connect_timeout\""),
        arguments(
            null,
            Map.of("PGCONNECT_TIMEOUT", "10s"),
            "invalid integer value \"10s\" for connection option \"connect_timeout\""),
        arguments(
            null,
            Map.of("PGCONNECT_TIMEOUT", ""),
            "invalid integer value \"\" for connection option \"connect_timeout\""),
        // connectOptions2's list checks, before anything else.
        arguments(
            "host=a,b hostaddr=10.0.0.1 sslmode=x",
            Map.of(),
            "could not match 2 host names to 1 hostaddr values"),
        arguments("host=a,b,c port=1,2", Map.of(), "could not match 2 port numbers to 3 hosts"),
        arguments(
            "hostaddr=10.0.0.1,10.0.0.2",
            Map.of("PGPORT", "1,2,3"),
            "could not match 3 port numbers to 2 hosts"),
        arguments(null, Map.of("PGPORT", "1,2"), "could not match 2 port numbers to 1 hosts"),
        // Every port of a list is checked when resolving (libpq: on reaching that host).
        arguments("host=a,b port=5432,70000", Map.of(), "invalid port number: \"70000\""),
        arguments(
            "host=a,b port=5432,x",
            Map.of(),
            "invalid integer value \"x\" for connection option \"port\""),
        // Checked after the TLS keywords, in libpq's order.
        arguments(
            "target_session_attrs=master",
            Map.of(),
            "invalid target_session_attrs value: \"master\""),
        arguments("load_balance_hosts=on", Map.of(), "invalid load_balance_hosts value: \"on\""),
        arguments("gssencmode=x sslmode=y", Map.of(), "invalid sslmode value: \"y\""),
        // libpq validates channel_binding before sslmode, and both before the port.
        arguments(
            "port=0 sslmode=x channel_binding=y", Map.of(), "invalid channel_binding value: \"y\""),
        arguments("port=0 sslmode=x", Map.of(), "invalid sslmode value: \"x\""),
        // TLS options libpq 18 checks before connecting, in its order.
        arguments("sslnegotiation=fast", Map.of(), "invalid sslnegotiation value: \"fast\""),
        arguments(
            "sslnegotiation=direct",
            Map.of(),
            "weak sslmode \"prefer\" may not be used with sslnegotiation=direct (use \"require\","
                + " \"verify-ca\", or \"verify-full\")"),
        arguments(
            "sslnegotiation=direct sslmode=require",
            Map.of(),
            "sslnegotiation=direct is not supported: jwalreceiver always asks for TLS with an"
                + " SSLRequest"),
        arguments(
            "ssl_min_protocol_version=TLSv9",
            Map.of(),
            "invalid \"ssl_min_protocol_version\" value: \"TLSv9\""),
        arguments(
            null,
            Map.of("PGSSLMAXPROTOCOLVERSION", "SSLv3"),
            "invalid \"ssl_max_protocol_version\" value: \"SSLv3\""),
        arguments(
            "ssl_max_protocol_version=TLSv1.1", Map.of(), "invalid SSL protocol version range"),
        arguments(
            "ssl_min_protocol_version=tlsv1.3 ssl_max_protocol_version=TLSv1.2",
            Map.of(),
            "invalid SSL protocol version range"),
        arguments(
            "ssl_min_protocol_version=TLSv1.1 ssl_max_protocol_version=TLSv1",
            Map.of(),
            "invalid SSL protocol version range"),
        arguments("sslcertmode=never", Map.of(), "invalid sslcertmode value: \"never\""),
        arguments("gssencmode=maybe", Map.of(), "invalid gssencmode value: \"maybe\""),
        arguments(null, Map.of("PGGSSENCMODE", ""), "invalid gssencmode value: \"\""),
        arguments(
            "gssencmode=require",
            Map.of(),
            "gssencmode value \"require\" invalid when GSSAPI support is not compiled in"),
        arguments("sslmode=x sslnegotiation=y", Map.of(), "invalid sslmode value: \"x\""),
        arguments(
            "sslnegotiation=y ssl_min_protocol_version=z",
            Map.of(),
            "invalid sslnegotiation value: \"y\""),
        arguments(
            "sslrootcert=system sslmode=require ssl_min_protocol_version=z",
            Map.of(),
            "weak sslmode \"require\" may not be used with sslrootcert=system (use \"verify-full\")"),
        arguments(
            "gssencmode=x ssl_max_protocol_version=TLSv1",
            Map.of(),
            "invalid SSL protocol version range"),
        arguments("gssencmode=x sslcertmode=y", Map.of(), "invalid sslcertmode value: \"y\""),
        arguments("port=0 gssencmode=x", Map.of(), "invalid gssencmode value: \"x\""));
  }

  @ParameterizedTest
  @CsvSource({
    "ssl_min_protocol_version=TLSv1.3",
    "ssl_max_protocol_version=tlsv1.2",
    "ssl_min_protocol_version=TLSv1 ssl_max_protocol_version=TLSv1",
    "ssl_min_protocol_version=TLSv1.2 ssl_max_protocol_version=TLSv1.3",
    "gssencmode=disable",
    "gssencmode=prefer",
    "sslnegotiation=postgres",
    "sslcertmode=disable",
    "sslcertmode=allow",
    "sslsni=0",
    "sslsni=yes"
  })
  void acceptsTlsOptionValuesLibpqAccepts(String conninfo) {
    ConnectionConfig cfg = resolve(conninfo, null, null, null, Map.of());
    assertThat(cfg.toString()).isNotEmpty();
  }

  @Test
  void defaultsTheClientCertificateKeyAndCrlToTheHomeDirectory() {
    TlsOptions tls = resolve(null, null, null, null, Map.of()).tls();
    assertThat(tls.sslCert()).isEqualTo(HOME.resolve(".postgresql/postgresql.crt"));
    assertThat(tls.sslKey()).isEqualTo(HOME.resolve(".postgresql/postgresql.key"));
    assertThat(tls.sslCrl()).isEqualTo(HOME.resolve(".postgresql/root.crl"));
    assertThat(tls.minProtocolVersion()).isNull();
  }

  @Test
  void keepsExplicitClientFilesAndDropsTheDefaultCrlWithACrlDirectory() {
    TlsOptions tls =
        resolve(
                "sslcert=/c/me.crt sslcrldir=/c/crls",
                null,
                null,
                null,
                Map.of("PGSSLKEY", "/c/me.key", "PGSSLCERTMODE", "disable"))
            .tls();
    assertThat(tls.sslCert()).isEqualTo(Path.of("/c/me.crt"));
    assertThat(tls.sslKey()).isEqualTo(Path.of("/c/me.key"));
    assertThat(tls.sslCrl()).isNull();
    assertThat(tls.sslCrlDir()).isEqualTo(Path.of("/c/crls"));
    assertThat(tls.certMode()).isEqualTo("disable");
  }

  @ParameterizedTest
  @MethodSource("resolutionErrors")
  void reportsLibpqErrors(String conninfo, Map<String, String> env, String message) {
    assertConnectionError(() -> resolve(conninfo, null, null, null, env), message);
  }

  @Test
  void validatesTheCommandLinePort() {
    assertConnectionError(
        () -> resolve("port=5432", null, "x", null, Map.of()),
        "invalid integer value \"x\" for connection option \"port\"");
  }

  // ---------------------------------------------------------------------------------------------
  // primary_conninfo for -R

  private static Map<String, String> primaryConninfo(
      @Nullable String conninfo,
      @Nullable String password,
      Map<String, String> env,
      @Nullable String dbname) {
    ConnectionConfig cfg =
        ConnInfo.resolve(conninfo, null, null, null, password, env, "osuser", HOME, "x", p -> true);
    return ConnInfo.primaryConninfo(
        new ConnInfo.CommandLine(conninfo, null, null, null, password), env, HOME, cfg, dbname);
  }

  @Test
  void primaryConninfoNamesThePasswordFileOnlyWithoutAPassword() {
    assertThat(primaryConninfo(null, null, Map.of(), null))
        .containsExactly(
            Map.entry("user", "osuser"),
            Map.entry("passfile", "/home/alice/.pgpass"),
            Map.entry("channel_binding", "prefer"),
            Map.entry("port", "5432"),
            Map.entry("sslmode", "prefer"));
    assertThat(primaryConninfo(null, "typed", Map.of(), null))
        .containsEntry("password", "typed")
        .doesNotContainKey("passfile");
    assertThat(primaryConninfo(null, null, Map.of("PGPASSWORD", "envpw"), null))
        .containsEntry("password", "envpw")
        .doesNotContainKey("passfile");
    assertThat(primaryConninfo("passfile=/p", null, Map.of("PGPASSWORD", "envpw"), null))
        .containsEntry("password", "envpw")
        .containsEntry("passfile", "/p");
  }

  @Test
  void primaryConninfoCarriesGivenOptionsInLibpqsOrder() {
    Map<String, String> cfg =
        primaryConninfo(
            "sslsni=0 options='-c a=b' host=h1,h2 port=5433,5434 keepalives_idle=30"
                + " sslrootcert=/ca.pem require_auth=scram-sha-256 dbname=db",
            null,
            Map.of("PGAPPNAME", "app", "PGTARGETSESSIONATTRS", "any", "PGSSLSNI", "1"),
            "db");
    assertThat(String.join(" ", cfg.keySet()))
        .isEqualTo(
            "user passfile channel_binding dbname host port options application_name"
                + " keepalives_idle sslmode sslrootcert target_session_attrs");
    assertThat(cfg)
        .containsEntry("host", "h1,h2")
        .containsEntry("port", "5433,5434")
        .containsEntry("options", "-c a=b");
    // The default ~/.postgresql/root.crt is found when connecting, not written.
    assertThat(primaryConninfo(null, null, Map.of(), null)).doesNotContainKey("sslrootcert");
  }
}
