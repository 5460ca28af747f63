// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (13–18) for integration tests.
 *
 * <p>Binaries come from {@link PgBinaries}. Each server gets its own directory under one per-JVM
 * base directory ({@code ${java.io.tmpdir}/jwalreceiver-it-<pid>/}, mode 0755): {@code data/} (the
 * cluster, 0700), {@code sock/} (the Unix socket, 0700) and {@code server.log}. When the JVM runs
 * as root, initdb, pg_ctl and postgres run as an unprivileged user ({@code postgres}, else a
 * created system user {@code jwalreceiver-pg}) and those directories belong to it; root can still
 * connect and read everything.
 *
 * <p>The server listens on {@value #HOST} on a free port. The database superuser is {@value
 * #SUPERUSER} (trusted). These roles exist, all with password {@value #PASSWORD}:
 *
 * <table>
 *   <caption>Test roles</caption>
 *   <tr><th>role</th><th>attributes</th><th>TCP replication connections</th></tr>
 *   <tr><td>{@value #REPL_TRUST}</td><td>LOGIN REPLICATION</td><td>trust</td></tr>
 *   <tr><td>{@value #REPL_MD5}</td><td>LOGIN REPLICATION, md5-stored password</td>
 *       <td>md5</td></tr>
 *   <tr><td>{@value #REPL_SCRAM}</td><td>LOGIN REPLICATION</td>
 *       <td>scram-sha-256 (SCRAM-SHA-256-PLUS when the connection uses TLS)</td></tr>
 *   <tr><td>{@value #REPL_PASSWORD}</td><td>LOGIN REPLICATION</td>
 *       <td>password (clear text)</td></tr>
 *   <tr><td>{@value #REPL_TLS}</td><td>LOGIN REPLICATION</td>
 *       <td>scram-sha-256, TLS connections only and only on a TLS server; rejected otherwise</td>
 *   </tr>
 *   <tr><td>{@value #REPL_CERT}</td><td>LOGIN REPLICATION</td>
 *       <td>cert: TLS with a client certificate whose CN is the role ({@link
 *       #clientCertificate(String)}), only on a TLS server</td></tr>
 *   <tr><td>{@value #NOREPL}</td><td>LOGIN (no REPLICATION)</td>
 *       <td>scram-sha-256, then refused by the server for lack of the attribute</td></tr>
 *   <tr><td>{@value #NOHBA}</td><td>LOGIN REPLICATION</td><td>none: {@code no pg_hba.conf entry
 *       for replication connection from host "127.0.0.1", user "nohba"}</td></tr>
 * </table>
 *
 * <p>The generated {@code pg_hba.conf}, first match wins (lines from {@link
 * Options#withHbaLine(String)} come before all of these):
 *
 * <pre>
 * local    all          all                         trust
 * local    replication  all                         trust
 * host     all          postgres       127.0.0.1/32 trust
 * host     replication  postgres       127.0.0.1/32 trust
 * hostssl  replication  repl_tls       127.0.0.1/32 scram-sha-256   (TLS servers only)
 * hostssl  replication  repl_cert      127.0.0.1/32 cert            (TLS servers only)
 * host     replication  repl_trust     127.0.0.1/32 trust
 * host     replication  repl_md5       127.0.0.1/32 md5
 * host     replication  repl_scram     127.0.0.1/32 scram-sha-256
 * host     replication  repl_password  127.0.0.1/32 password
 * host     replication  norepl         127.0.0.1/32 scram-sha-256
 * host     all          all            127.0.0.1/32 scram-sha-256
 * </pre>
 *
 * <p>{@code host} lines match TLS and plain connections alike, so on a TLS server every role works
 * with {@code sslmode=disable}, {@code prefer} or {@code verify-full}; {@value #REPL_TLS} is the
 * role for "TLS required" tests.
 *
 * <p>With TLS the server presents a certificate signed by a per-JVM test CA ({@link
 * #caCertFile()}), with subject alternative names {@code localhost} and {@code 127.0.0.1}, or, for
 * {@link Tls#WRONG_HOSTNAME}, only {@code wrong.example.invalid} (so {@code verify-full} fails and
 * {@code verify-ca} succeeds), or, for {@link Tls#LOCALHOST_ONLY}, only {@code localhost}. Its
 * {@code ssl_ca_file} is a second test CA that signs {@link #clientCertificate(String)}, so the
 * server asks every TLS client for a certificate and checks the one it gets; {@link
 * #serverCrl(boolean)} gives revocation lists of the server CA.
 *
 * <p>Every server this JVM starts is stopped by a shutdown hook. Most tests should use {@link
 * #shared(int)} rather than starting their own.
 */
public final class PostgresServer implements AutoCloseable {

  /** The address every server listens on. */
  public static final String HOST = "127.0.0.1";

  /** The database superuser (trusted locally and from {@value #HOST}). */
  public static final String SUPERUSER = "postgres";

  /** The password of every test role. */
  public static final String PASSWORD = "secret-pw";

  /** Replication role authenticated by {@code trust}. */
  public static final String REPL_TRUST = "repl_trust";

  /** Replication role authenticated by {@code md5} (its password is stored as md5). */
  public static final String REPL_MD5 = "repl_md5";

  /** Replication role authenticated by {@code scram-sha-256}. */
  public static final String REPL_SCRAM = "repl_scram";

  /** Replication role authenticated by clear-text {@code password}. */
  public static final String REPL_PASSWORD = "repl_password";

  /** Replication role accepted only over TLS ({@code hostssl}, scram-sha-256) on TLS servers. */
  public static final String REPL_TLS = "repl_tls";

  /** Replication role accepted only over TLS with its client certificate ({@code cert}). */
  public static final String REPL_CERT = "repl_cert";

  /** Login role without the REPLICATION attribute. */
  public static final String NOREPL = "norepl";

  /** Replication role with no {@code host replication} line in pg_hba.conf. */
  public static final String NOHBA = "nohba";

  /** Every test role. */
  public static final List<String> TEST_ROLES =
      List.of(
          REPL_TRUST, REPL_MD5, REPL_SCRAM, REPL_PASSWORD, REPL_TLS, REPL_CERT, NOREPL, NOHBA);

  private static final Duration STOP_TIMEOUT = PgCtl.STOP_TIMEOUT;
  private static final Duration WAIT_TIMEOUT = Duration.ofSeconds(60);
  private static final int PORT_ATTEMPTS = 5;
  private static final int LOG_TAIL_LINES = 40;

  private static final Set<PostgresServer> LIVE = ConcurrentHashMap.newKeySet();
  private static final Map<Options, PostgresServer> SHARED = new ConcurrentHashMap<>();
  private static final ReentrantLock SHARED_LOCK = new ReentrantLock();
  private static final ReentrantLock BASE_LOCK = new ReentrantLock();
  private static final AtomicInteger SERVER_COUNTER = new AtomicInteger();
  private static Path baseDir;

  private final Options options;
  private final PgCtl pgCtl;
  private final Path serverDir;
  private final Path dataDir;
  private final Path socketDir;
  private final Path logFile;
  private final Map<String, String> instanceSettings = new LinkedHashMap<>();
  private final ReentrantLock lifecycle = new ReentrantLock();
  private volatile int port;
  private volatile boolean running;
  private volatile boolean shared;
  private String initdbOutput = "";

  /** Which certificate, if any, the server presents. */
  public enum Tls {
    /** {@code ssl=off}. */
    OFF,
    /** {@code ssl=on} with a certificate valid for {@code localhost} and {@code 127.0.0.1}. */
    ON,
    /** {@code ssl=on} with a certificate naming only {@code wrong.example.invalid}. */
    WRONG_HOSTNAME,
    /**
     * {@code ssl=on} with a certificate naming only {@code localhost} (CN and one dNSName), so
     * {@code verify-full} to {@code 127.0.0.1} must fail.
     */
    LOCALHOST_ONLY
  }

  /** How {@link #stop(StopMode)} shuts the server down ({@code pg_ctl stop -m}). */
  public enum StopMode {
    /** Wait for clients to disconnect. */
    SMART,
    /** Disconnect clients, then a shutdown checkpoint. */
    FAST,
    /** Quit without a checkpoint; the next start runs crash recovery. */
    IMMEDIATE;

    String argument() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * How to create a server. Start from {@link #of(int)} and refine with the {@code withX} methods.
   *
   * @param major the PostgreSQL major version (13–18)
   * @param tls the certificate mode
   * @param fast whether to trade durability for speed ({@code fsync=off}, {@code initdb
   *     --no-sync}); standby and replication tests do not depend on fsync
   * @param settings extra {@code postgresql.conf} settings, applied after the defaults (values are
   *     quoted for you: write {@code 16MB}, not {@code '16MB'})
   * @param hbaLines extra {@code pg_hba.conf} lines, placed before the defaults
   * @param initdbArgs extra initdb arguments, e.g. {@code --wal-segsize=1} or {@code
   *     --data-checksums}
   */
  public record Options(
      int major,
      Tls tls,
      boolean fast,
      Map<String, String> settings,
      List<String> hbaLines,
      List<String> initdbArgs) {

    /**
     * Validates and copies the collections.
     *
     * @param major the PostgreSQL major version
     * @param tls the certificate mode
     * @param fast whether to skip fsync
     * @param settings extra {@code postgresql.conf} settings
     * @param hbaLines extra {@code pg_hba.conf} lines
     * @param initdbArgs extra initdb arguments
     */
    public Options {
      if (major < 9) {
        throw new IllegalArgumentException("not a PostgreSQL major version: " + major);
      }
      if (tls == null) {
        throw new IllegalArgumentException("tls must not be null");
      }
      settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
      hbaLines = List.copyOf(hbaLines);
      initdbArgs = List.copyOf(initdbArgs);
    }

    /**
     * The defaults: no TLS, fast, no extra settings.
     *
     * @param major the PostgreSQL major version
     * @return the options
     */
    public static Options of(int major) {
      return new Options(major, Tls.OFF, true, Map.of(), List.of(), List.of());
    }

    /**
     * Another major version.
     *
     * @param newMajor the version
     * @return changed options
     */
    public Options withMajor(int newMajor) {
      return new Options(newMajor, tls, fast, settings, hbaLines, initdbArgs);
    }

    /**
     * TLS on (valid certificate) or off.
     *
     * @param on whether to enable TLS
     * @return changed options
     */
    public Options withTls(boolean on) {
      return withTls(on ? Tls.ON : Tls.OFF);
    }

    /**
     * A certificate mode.
     *
     * @param mode the mode
     * @return changed options
     */
    public Options withTls(Tls mode) {
      return new Options(major, mode, fast, settings, hbaLines, initdbArgs);
    }

    /**
     * TLS with a certificate for the wrong host name.
     *
     * @return changed options
     */
    public Options withTlsWrongHostname() {
      return withTls(Tls.WRONG_HOSTNAME);
    }

    /**
     * Fast (fsync off) or durable.
     *
     * @param on whether to skip fsync
     * @return changed options
     */
    public Options withFast(boolean on) {
      return new Options(major, tls, on, settings, hbaLines, initdbArgs);
    }

    /**
     * One more {@code postgresql.conf} setting.
     *
     * @param name the parameter
     * @param value its value, unquoted
     * @return changed options
     */
    public Options withSetting(String name, String value) {
      Map<String, String> more = new LinkedHashMap<>(settings);
      more.put(name, value);
      return new Options(major, tls, fast, more, hbaLines, initdbArgs);
    }

    /**
     * More {@code postgresql.conf} settings.
     *
     * @param more parameters and unquoted values
     * @return changed options
     */
    public Options withSettings(Map<String, String> more) {
      Map<String, String> all = new LinkedHashMap<>(settings);
      all.putAll(more);
      return new Options(major, tls, fast, all, hbaLines, initdbArgs);
    }

    /**
     * One more {@code pg_hba.conf} line, matched before the default lines.
     *
     * @param line e.g. {@code host replication alice 127.0.0.1/32 reject}
     * @return changed options
     */
    public Options withHbaLine(String line) {
      List<String> more = new ArrayList<>(hbaLines);
      more.add(line);
      return new Options(major, tls, fast, settings, more, initdbArgs);
    }

    /**
     * Extra initdb arguments.
     *
     * @param args e.g. {@code --wal-segsize=1}
     * @return changed options
     */
    public Options withInitdbArgs(String... args) {
      List<String> more = new ArrayList<>(initdbArgs);
      more.addAll(List.of(args));
      return new Options(major, tls, fast, settings, hbaLines, more);
    }
  }

  private PostgresServer(Options options, Path serverDir, Path dataDir) {
    this.options = options;
    this.pgCtl = PgCtl.of(options.major());
    this.serverDir = serverDir;
    this.dataDir = dataDir;
    this.socketDir = serverDir.resolve("sock");
    this.logFile = serverDir.resolve("server.log");
    ServerUser.get().createPrivateDir(socketDir);
    instanceSettings.put("listen_addresses", HOST);
    instanceSettings.put("unix_socket_directories", socketDir.toString());
  }

  // ---------------------------------------------------------------- creation

  /**
   * Creates (initdb) and starts a server with default options.
   *
   * @param major the PostgreSQL major version
   * @return the running server; {@link #close()} it
   */
  public static PostgresServer start(int major) {
    return start(Options.of(major));
  }

  /**
   * Creates (initdb) and starts a server, then creates the test roles.
   *
   * @param options how
   * @return the running server; {@link #close()} it
   * @throws PostgresServerException with the initdb output and server log tail on failure
   */
  public static PostgresServer start(Options options) {
    Path dir = newServerDir(options.major(), "primary");
    PostgresServer server = new PostgresServer(options, dir, dir.resolve("data"));
    try {
      server.initdb();
      server.writeConfiguration();
      server.startOnFreePort();
      server.createRoles();
      return server;
    } catch (RuntimeException e) {
      server.abandon();
      throw e;
    }
  }

  /**
   * Starts a server from an existing data directory, e.g. a base backup our client wrote (with
   * {@code standby.signal} it starts as a standby). The directory is {@linkplain #handOver handed
   * over} first; a new port, socket directory and listen address are written into its {@code
   * postgresql.auto.conf}. {@link #close()} stops the server but leaves the directory.
   *
   * @param dir the data directory (its {@code PG_VERSION} must match {@code options.major()})
   * @param options the version and TLS mode; settings, hba lines and initdb arguments are ignored
   *     (the directory has its own configuration)
   * @return the running server
   */
  public static PostgresServer startFromDataDir(Path dir, Options options) {
    Path data = dir.toAbsolutePath();
    int found = dataDirMajor(data);
    if (found != options.major()) {
      throw new IllegalArgumentException(
          data + " holds PostgreSQL " + found + ", options ask for " + options.major());
    }
    handOver(data);
    PostgresServer server =
        new PostgresServer(options, newServerDir(options.major(), "restored"), data);
    try {
      server.writeTlsFiles();
      server.startOnFreePort();
      return server;
    } catch (RuntimeException e) {
      server.abandon();
      throw e;
    }
  }

  /**
   * Starts a server from an existing data directory with default options for its version.
   *
   * @param dir the data directory
   * @return the running server
   * @see #startFromDataDir(Path, Options)
   */
  public static PostgresServer startFromDataDir(Path dir) {
    return startFromDataDir(dir, Options.of(dataDirMajor(dir.toAbsolutePath())));
  }

  /**
   * A started server with default options, shared by the whole JVM (created on first use, restarted
   * if something stopped it, stopped at exit). {@link #close()} does nothing on it; tests must not
   * change its configuration or stop it.
   *
   * @param major the PostgreSQL major version
   * @return the shared server
   */
  public static PostgresServer shared(int major) {
    return shared(Options.of(major));
  }

  /**
   * The shared TLS server ({@link Tls#ON}) of a version.
   *
   * @param major the PostgreSQL major version
   * @return the shared server
   * @see #shared(int)
   */
  public static PostgresServer sharedTls(int major) {
    return shared(Options.of(major).withTls(true));
  }

  /**
   * The shared server for some options; one per distinct options value.
   *
   * @param options how
   * @return the shared server
   * @see #shared(int)
   */
  public static PostgresServer shared(Options options) {
    SHARED_LOCK.lock();
    try {
      PostgresServer server = SHARED.get(options);
      if (server == null) {
        server = start(options);
        server.shared = true;
        SHARED.put(options, server);
      } else if (!server.isRunning()) {
        server.running = false;
        server.start();
      }
      return server;
    } finally {
      SHARED_LOCK.unlock();
    }
  }

  /**
   * Gives a directory tree written by this JVM to the server user, so a server can start from it.
   * As root: recursive change of owner (symbolic links are not followed, so tablespace targets need
   * their own call), and search permission for others ({@code o+x}) added to any ancestor lacking
   * it, such as a JUnit {@code @TempDir}. Always: mode 0700 on {@code dir} and 0600 on {@code
   * dir/server.key}.
   *
   * @param dir a data directory, e.g. a backup written by our client
   */
  public static void handOver(Path dir) {
    ServerUser.get().handOver(dir);
  }

  // ---------------------------------------------------------------- accessors

  /**
   * The address the server listens on.
   *
   * @return {@value #HOST}
   */
  public String host() {
    return HOST;
  }

  /**
   * The TCP port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The Unix-socket directory ({@code .s.PGSQL.<port>} is in it).
   *
   * @return the directory
   */
  public Path socketDir() {
    return socketDir;
  }

  /**
   * The major version.
   *
   * @return 13 to 18
   */
  public int majorVersion() {
    return options.major();
  }

  /**
   * The options the server was created with.
   *
   * @return the options
   */
  public Options options() {
    return options;
  }

  /**
   * The data directory.
   *
   * @return the directory (owned by the server user)
   */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * The directory with {@code initdb}, {@code pg_ctl} and {@code postgres}.
   *
   * @return the directory
   */
  public Path binDir() {
    return pgCtl.binDir();
  }

  /**
   * The server log ({@code pg_ctl -l}).
   *
   * @return the file
   */
  public Path logFile() {
    return logFile;
  }

  /**
   * The last lines of the server log.
   *
   * @param lines how many
   * @return the text, or an empty string if there is no log yet
   */
  public String logTail(int lines) {
    return PgCtl.logTail(logFile, lines);
  }

  /**
   * The PEM file of the CA that signs the TLS servers' certificates (readable by everyone).
   *
   * @return the path, valid for the JVM's lifetime
   */
  public Path caCertFile() {
    return caCertificateFile();
  }

  /**
   * The PEM file of the test CA (the same for every server in this JVM).
   *
   * @return the path
   */
  public static Path caCertificateFile() {
    Path file = baseDir().resolve("ca.crt");
    BASE_LOCK.lock();
    try {
      if (!Files.exists(file)) {
        Path tmp = baseDir().resolve("ca.crt.tmp");
        Files.writeString(tmp, TestCertificates.ca().certificate());
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      BASE_LOCK.unlock();
    }
  }

  /**
   * A client certificate the TLS servers accept for {@code cert} authentication as {@code role}
   * (its CN), signed by the servers' {@code ssl_ca_file} CA; the same for every server of this JVM.
   *
   * @param role the role (CN)
   * @return the certificate and its unencrypted PKCS#8 key, PEM
   */
  public static CertificateAndKey clientCertificate(String role) {
    TestCertificates.Pem pem = TestCertificates.client(role);
    return new CertificateAndKey(pem.certificate(), pem.privateKey());
  }

  /**
   * A revocation list of the CA that signs the servers' certificates ({@link #caCertFile()}),
   * valid for a day.
   *
   * @param revokeServerCertificate whether it revokes the certificate of {@link Tls#ON} servers
   * @return the CRL, PEM
   */
  public static String serverCrl(boolean revokeServerCertificate) {
    return TestCertificates.serverCrl(revokeServerCertificate);
  }

  /**
   * The JDBC URL of database {@code postgres} as the superuser, over TCP. Append parameters with
   * {@code &}, e.g. {@code &sslmode=verify-full&sslrootcert=...}.
   *
   * @return {@code jdbc:postgresql://127.0.0.1:<port>/postgres?user=postgres}
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + HOST + ":" + port + "/postgres?user=" + SUPERUSER;
  }

  /**
   * A new connection as the superuser (plain TCP, no TLS). The caller closes it.
   *
   * @return the connection
   * @throws PostgresServerException if it cannot connect
   */
  public Connection sql() {
    Properties props = new Properties();
    props.setProperty("sslmode", "disable");
    props.setProperty("gssEncMode", "disable");
    props.setProperty("connectTimeout", "10");
    props.setProperty("ApplicationName", "jwalreceiver-testkit");
    try {
      return DriverManager.getConnection(jdbcUrl(), props);
    } catch (SQLException e) {
      throw new PostgresServerException("cannot connect to " + this, e);
    }
  }

  /**
   * Runs one or more SQL statements as the superuser.
   *
   * @param sql the statements
   */
  public void execute(String sql) {
    try (Connection c = sql();
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new PostgresServerException("failed on " + this + ": " + sql, e);
    }
  }

  /**
   * The first column of the first row of a query, as text.
   *
   * @param sql the query
   * @return the value (may be {@code null} for SQL NULL)
   * @throws PostgresServerException if the query fails or returns no row
   */
  public String queryString(String sql) {
    try (Connection c = sql();
        Statement st = c.createStatement()) {
      return queryString(st, sql);
    } catch (SQLException e) {
      throw new PostgresServerException("failed on " + this + ": " + sql, e);
    }
  }

  /**
   * {@code server_version_num}, e.g. 180002.
   *
   * @return the number
   */
  public int serverVersionNum() {
    return Integer.parseInt(queryString("SHOW server_version_num"));
  }

  /**
   * Whether the server is in recovery (a standby).
   *
   * @return {@code pg_is_in_recovery()}
   */
  public boolean isInRecovery() {
    return "t".equals(queryString("SELECT pg_is_in_recovery()"));
  }

  /**
   * Whether the postmaster is running (its pid from {@code postmaster.pid} is alive).
   *
   * @return true if running
   */
  public boolean isRunning() {
    return running
        && PgCtl.postmaster(dataDir).isPresent();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the server again after {@link #stop()}, on the same port. No-op if running. */
  public void start() {
    lifecycle.lock();
    try {
      if (running) {
        return;
      }
      LIVE.add(this);
      Commands.Result result = pgCtl.start(dataDir, logFile, serverDir);
      if (!result.ok()) {
        killPostmaster();
        throw startFailure(result);
      }
      running = true;
    } finally {
      lifecycle.unlock();
    }
  }

  /** Stops the server with {@code pg_ctl stop -m fast}. No-op if stopped. */
  public void stop() {
    stop(StopMode.FAST);
  }

  /**
   * Stops the server. If pg_ctl fails the postmaster is killed.
   *
   * @param mode the shutdown mode
   */
  public void stop(StopMode mode) {
    lifecycle.lock();
    try {
      if (!running) {
        return;
      }
      running = false;
      Commands.Result result = pgCtl.stop(dataDir, mode.argument(), STOP_TIMEOUT, serverDir);
      if (!result.ok()) {
        killPostmaster();
        throw new PostgresServerException(
            "pg_ctl stop failed for " + this + " (killed it): " + result.output() + logSection());
      }
    } finally {
      lifecycle.unlock();
    }
  }

  /** Stops ({@code fast}) and starts again on the same port. */
  public void restart() {
    stop();
    start();
  }

  /** Re-reads the configuration files ({@code pg_reload_conf()}). */
  public void reload() {
    queryString("SELECT pg_reload_conf()");
  }

  /**
   * Stops the server and deletes its directories (the data directory only if this class created
   * it). Does nothing on a {@linkplain #shared(int) shared} server.
   */
  @Override
  public void close() {
    if (shared) {
      return;
    }
    try {
      if (running) {
        try {
          stop(StopMode.FAST);
        } catch (RuntimeException e) {
          killPostmaster();
        }
      }
    } finally {
      LIVE.remove(this);
      // A data directory we did not create lives elsewhere and is left alone.
      FileTrees.deleteQuietly(serverDir);
    }
  }

  // ---------------------------------------------------------------- WAL helpers

  /**
   * Writes at least {@code bytes} of WAL quickly (non-transactional logical messages of 64 KiB,
   * which need no table and work at {@code wal_level=replica}), then commits a transactional
   * message so that everything written is flushed (and so can be streamed).
   *
   * @param bytes how much WAL to produce
   * @return {@code pg_current_wal_flush_lsn()} afterwards, at or after the end of the new WAL
   */
  public String generateWal(long bytes) {
    final int chunk = 64 * 1024;
    try (Connection c = sql();
        Statement st = c.createStatement()) {
      String start = queryString(st, "SELECT pg_current_wal_insert_lsn()");
      long written = 0;
      while (written < bytes) {
        long messages = Math.min(256, Math.max(1, (bytes - written + chunk - 1) / chunk));
        st.execute(
            "SELECT count(pg_logical_emit_message(false, 'jwalreceiver-filler', repeat('x', "
                + chunk
                + "))) FROM generate_series(1, "
                + messages
                + ")");
        written =
            Long.parseLong(
                queryString(
                    st,
                    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '"
                        + start
                        + "')::bigint"));
      }
      // A transaction that wrote WAL itself commits synchronously, flushing everything before
      // its commit record. (One that only took an xid would commit asynchronously.)
      queryString(st, "SELECT pg_logical_emit_message(true, 'jwalreceiver-flush', '')");
      return queryString(st, "SELECT pg_current_wal_flush_lsn()");
    } catch (SQLException e) {
      throw new PostgresServerException("cannot generate WAL on " + this, e);
    }
  }

  /**
   * Switches to a new WAL segment ({@code pg_switch_wal()}); a no-op on the server's side if
   * nothing was written since the last switch.
   *
   * @return the end of the switch record
   */
  public String switchWal() {
    return queryString("SELECT pg_switch_wal()");
  }

  /**
   * The current WAL position: {@code pg_current_wal_lsn()}, or on a standby {@code
   * pg_last_wal_replay_lsn()}.
   *
   * @return an LSN such as {@code 0/3000148}
   */
  public String currentWalLsn() {
    return queryString(
        "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            + " ELSE pg_current_wal_lsn() END");
  }

  // ---------------------------------------------------------------- replication helpers

  /**
   * Builds a streaming standby of this (primary) server with application name {@code standby1}.
   *
   * @return the running standby
   * @see #createStandby(String)
   */
  public PostgresServer createStandby() {
    return createStandby("standby1");
  }

  /**
   * Builds a streaming standby without pg_basebackup: stops this server ({@code fast}), copies its
   * data directory, starts it again, then starts the copy with {@code standby.signal} and {@code
   * primary_conninfo = 'host=127.0.0.1 port=<this port> user=repl_trust application_name=<name>'},
   * and waits until this server reports it {@code streaming}. Do not call it on a shared server (it
   * restarts it). Tablespaces are not copied.
   *
   * @param applicationName the standby's {@code application_name}
   * @return the running standby; close it before or after this server
   */
  public PostgresServer createStandby(String applicationName) {
    if (shared) {
      throw new IllegalStateException("createStandby restarts the primary; not on a shared server");
    }
    Path dir = newServerDir(options.major(), "standby");
    Path copy = dir.resolve("data");
    stop(StopMode.FAST);
    try {
      copyDataDir(dataDir, copy);
    } finally {
      start();
    }
    handOver(copy);
    ServerUser.get().writeFile(copy.resolve("standby.signal"), "", false);
    PostgresServer standby = new PostgresServer(options, dir, copy);
    standby.initdbOutput = "(copy of " + dataDir + ")";
    standby.instanceSettings.put(
        "primary_conninfo",
        "host="
            + HOST
            + " port="
            + port
            + " user="
            + REPL_TRUST
            + " application_name="
            + applicationName);
    standby.instanceSettings.put("hot_standby", "on");
    try {
      standby.startOnFreePort();
      awaitReplication(applicationName, WAIT_TIMEOUT);
      return standby;
    } catch (RuntimeException e) {
      standby.abandon();
      throw e;
    }
  }

  /**
   * Waits until {@code pg_stat_replication} on this server shows a standby with the given {@code
   * application_name} in state {@code streaming}.
   *
   * @param applicationName the standby's name
   * @param timeout how long to wait
   * @throws PostgresServerException on timeout (with this server's log tail)
   */
  public void awaitReplication(String applicationName, Duration timeout) {
    String sql =
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name ="
            + " '"
            + applicationName.replace("'", "''")
            + "'";
    await(
        timeout,
        () -> !"0".equals(queryString(sql)),
        "standby '" + applicationName + "' streaming from " + this);
  }

  /**
   * On a standby: waits until WAL up to {@code lsn} has been replayed.
   *
   * @param lsn a position from the primary, e.g. {@link #currentWalLsn()} there
   * @param timeout how long to wait
   */
  public void awaitReplay(String lsn, Duration timeout) {
    String sql = "SELECT pg_last_wal_replay_lsn() >= '" + lsn.replace("'", "''") + "'::pg_lsn";
    await(timeout, () -> "t".equals(queryString(sql)), "replay of " + lsn + " on " + this);
  }

  /**
   * Promotes a standby ({@code pg_ctl promote -w}) and waits until it leaves recovery.
   *
   * @throws PostgresServerException if promotion fails or times out
   */
  public void promote() {
    pgCtl
        .pgCtl(
            List.of(
                "promote",
                "-D",
                dataDir.toString(),
                "-w",
                "-t",
                Long.toString(WAIT_TIMEOUT.toSeconds())),
            serverDir,
            WAIT_TIMEOUT.plusSeconds(10))
        .check();
    await(WAIT_TIMEOUT, () -> !isInRecovery(), "promotion of " + this);
  }

  @Override
  public String toString() {
    return "PostgreSQL " + options.major() + " on " + HOST + ":" + port + " (" + dataDir + ")";
  }

  // ---------------------------------------------------------------- internals: setup

  private void initdb() {
    List<String> extra = new ArrayList<>();
    if (options.fast()) {
      extra.add("--no-sync");
    }
    extra.addAll(options.initdbArgs());
    Commands.Result result = pgCtl.initdb(dataDir, SUPERUSER, extra, serverDir);
    initdbOutput = result.output();
    if (!result.ok()) {
      throw new PostgresServerException(
          "initdb failed for PostgreSQL "
              + options.major()
              + " (exit "
              + result.exitCode()
              + "): "
              + String.join(" ", result.command())
              + "\n"
              + result.output());
    }
  }

  private void writeConfiguration() {
    StringBuilder conf = new StringBuilder("\n# ---- jwalreceiver testkit ----\n");
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("wal_level", "replica");
    settings.put("max_wal_senders", "20");
    settings.put("max_replication_slots", "20");
    settings.put("wal_keep_size", "128MB");
    settings.put("shared_buffers", "32MB");
    settings.put("max_connections", "40");
    settings.put("logging_collector", "off");
    settings.put("log_line_prefix", "%m [%p] %q%u@%d ");
    settings.put("log_connections", "on");
    settings.put("log_replication_commands", "on");
    if (options.fast()) {
      settings.put("fsync", "off");
    }
    settings.putAll(options.settings());
    settings.forEach((k, v) -> conf.append(k).append(" = ").append(quote(v)).append('\n'));
    try {
      Files.writeString(dataDir.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ServerUser.get().writeFile(dataDir.resolve("pg_hba.conf"), hbaConf(), false);
    writeTlsFiles();
  }

  private String hbaConf() {
    StringBuilder hba = new StringBuilder("# jwalreceiver testkit; first match wins\n");
    options.hbaLines().forEach(l -> hba.append(l).append('\n'));
    String net = HOST + "/32";
    hba.append("local    all          all                   trust\n");
    hba.append("local    replication  all                   trust\n");
    hba.append(line("host", "all", SUPERUSER, net, "trust"));
    hba.append(line("host", "replication", SUPERUSER, net, "trust"));
    if (options.tls() != Tls.OFF) {
      hba.append(line("hostssl", "replication", REPL_TLS, net, "scram-sha-256"));
      hba.append(line("hostssl", "replication", REPL_CERT, net, "cert"));
    }
    hba.append(line("host", "replication", REPL_TRUST, net, "trust"));
    hba.append(line("host", "replication", REPL_MD5, net, "md5"));
    hba.append(line("host", "replication", REPL_SCRAM, net, "scram-sha-256"));
    hba.append(line("host", "replication", REPL_PASSWORD, net, "password"));
    hba.append(line("host", "replication", NOREPL, net, "scram-sha-256"));
    hba.append(line("host", "all", "all", net, "scram-sha-256"));
    return hba.toString();
  }

  private static String line(String type, String db, String user, String net, String method) {
    return String.format(Locale.ROOT, "%-8s %-12s %-14s %-14s %s%n", type, db, user, net, method);
  }

  private void writeTlsFiles() {
    if (options.tls() == Tls.OFF) {
      return;
    }
    TestCertificates.Pem pem =
        options.tls() == Tls.LOCALHOST_ONLY
            ? TestCertificates.localhostOnlyServer()
            : TestCertificates.server(options.tls() == Tls.WRONG_HOSTNAME);
    ServerUser user = ServerUser.get();
    user.writeFile(dataDir.resolve("server.crt"), pem.certificate(), false);
    user.writeFile(dataDir.resolve("server.key"), pem.privateKey(), true);
    user.writeFile(
        dataDir.resolve("client-ca.crt"), TestCertificates.clientCa().certificate(), false);
    instanceSettings.put("ssl", "on");
    instanceSettings.put("ssl_cert_file", "server.crt");
    instanceSettings.put("ssl_key_file", "server.key");
    instanceSettings.put("ssl_ca_file", "client-ca.crt");
  }

  private void createRoles() {
    String pw = "'" + PASSWORD + "'";
    StringBuilder sql = new StringBuilder();
    sql.append("CREATE ROLE ")
        .append(REPL_TRUST)
        .append(" LOGIN REPLICATION PASSWORD ")
        .append(pw)
        .append(";\n");
    // md5 must be the stored form for md5 authentication; PostgreSQL 18 warns, which is fine.
    sql.append("SET password_encryption = 'md5';\n");
    sql.append("CREATE ROLE ")
        .append(REPL_MD5)
        .append(" LOGIN REPLICATION PASSWORD ")
        .append(pw)
        .append(";\n");
    sql.append("SET password_encryption = 'scram-sha-256';\n");
    for (String role : List.of(REPL_SCRAM, REPL_PASSWORD, REPL_TLS, REPL_CERT, NOHBA)) {
      sql.append("CREATE ROLE ")
          .append(role)
          .append(" LOGIN REPLICATION PASSWORD ")
          .append(pw)
          .append(";\n");
    }
    sql.append("CREATE ROLE ").append(NOREPL).append(" LOGIN PASSWORD ").append(pw).append(";\n");
    execute(sql.toString());
  }

  // ---------------------------------------------------------------- internals: processes

  /** Picks a free port, writes it, starts; retries with another port if it was taken meanwhile. */
  private void startOnFreePort() {
    lifecycle.lock();
    try {
      LIVE.add(this);
      for (int attempt = 1; ; attempt++) {
        port = PgCtl.freePort(HOST);
        instanceSettings.put("port", Integer.toString(port));
        writeInstanceSettings();
        Commands.Result result = pgCtl.start(dataDir, logFile, serverDir);
        if (result.ok()) {
          running = true;
          return;
        }
        killPostmaster();
        String log = logTail(LOG_TAIL_LINES);
        boolean portClash =
            log.contains("could not bind")
                || log.contains("Address already in use")
                || log.contains("could not create any TCP/IP sockets");
        if (!portClash || attempt >= PORT_ATTEMPTS) {
          throw startFailure(result);
        }
      }
    } finally {
      lifecycle.unlock();
    }
  }

  private PostgresServerException startFailure(Commands.Result result) {
    return new PostgresServerException(
        "PostgreSQL "
            + options.major()
            + " failed to start in "
            + dataDir
            + " (port "
            + port
            + "):\n"
            + result.output()
            + logSection()
            + "\n--- initdb output ---\n"
            + initdbOutput);
  }

  private String logSection() {
    return "\n--- last "
        + LOG_TAIL_LINES
        + " lines of "
        + logFile
        + " ---\n"
        + logTail(LOG_TAIL_LINES);
  }

  /**
   * Rewrites the per-instance settings (port, sockets, TLS files, standby connection) in {@code
   * postgresql.auto.conf}, which is read last and so wins over a copied {@code postgresql.conf}.
   */
  private void writeInstanceSettings() {
    Path auto = dataDir.resolve("postgresql.auto.conf");
    try {
      List<String> kept = new ArrayList<>();
      if (Files.exists(auto)) {
        for (String l : Files.readAllLines(auto, StandardCharsets.UTF_8)) {
          String key = l.split("=", 2)[0].trim().toLowerCase(Locale.ROOT);
          if (!instanceSettings.containsKey(key)) {
            kept.add(l);
          }
        }
      } else {
        kept.add("# Do not edit this file manually!");
        kept.add("# It will be overwritten by the ALTER SYSTEM command.");
      }
      StringBuilder text = new StringBuilder();
      kept.forEach(l -> text.append(l).append('\n'));
      instanceSettings.forEach(
          (k, v) -> text.append(k).append(" = ").append(quote(v)).append('\n'));
      ServerUser.get().writeFile(auto, text.toString(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + auto, e);
    }
  }

  /** Kills the postmaster (and with it its children) if one is running from this data dir. */
  private void killPostmaster() {
    running = false;
    PgCtl.postmaster(dataDir).ifPresent(PgCtl::kill);
  }

  /**
   * After a failed creation: kill whatever runs and forget the server (its files stay for the
   * post-mortem).
   */
  private void abandon() {
    killPostmaster();
    LIVE.remove(this);
  }

  private void await(Duration timeout, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PostgresServerException("interrupted waiting for " + what, e);
      }
    }
    throw new PostgresServerException(
        "timed out after " + timeout.toSeconds() + " s waiting for " + what + logSection(), last);
  }

  // ---------------------------------------------------------------- internals: files

  private static Path baseDir() {
    BASE_LOCK.lock();
    try {
      if (baseDir == null) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        cleanStaleBaseDirs(tmp);
        Path dir = tmp.resolve("jwalreceiver-it-" + ProcessHandle.current().pid());
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
          FileTrees.deleteTree(dir);
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Runtime.getRuntime()
            .addShutdownHook(new Thread(PostgresServer::stopAll, "jwalreceiver-testkit-shutdown"));
        baseDir = dir;
      }
      return baseDir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the test base directory", e);
    } finally {
      BASE_LOCK.unlock();
    }
  }

  private static Path newServerDir(int major, String role) {
    Path dir =
        baseDir().resolve("pg" + major + "-" + SERVER_COUNTER.incrementAndGet() + "-" + role);
    return ServerUser.get().createPrivateDir(dir);
  }

  /** The shutdown hook: never leave a postgres process behind. */
  private static void stopAll() {
    for (PostgresServer server : List.copyOf(LIVE)) {
      try {
        server.lifecycle.lock();
        try {
          if (server.running) {
            server.running = false;
            server.pgCtl.stop(
                server.dataDir,
                StopMode.IMMEDIATE.argument(),
                Duration.ofSeconds(15),
                server.serverDir);
          }
        } finally {
          server.lifecycle.unlock();
        }
      } catch (RuntimeException e) {
        // Fall through to the kill.
      }
      server.killPostmaster();
    }
    LIVE.clear();
    Path dir = baseDir;
    if (dir != null) {
      FileTrees.deleteQuietly(dir);
    }
  }

  /**
   * Removes base directories of JVMs that died without their shutdown hook (kill -9), killing any
   * postmaster still running from them.
   */
  private static void cleanStaleBaseDirs(Path tmp) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, "jwalreceiver-it-*")) {
      for (Path dir : dirs) {
        long pid;
        try {
          pid = Long.parseLong(dir.getFileName().toString().substring("jwalreceiver-it-".length()));
        } catch (NumberFormatException e) {
          continue;
        }
        if (pid == ProcessHandle.current().pid()
            || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        try (Stream<Path> pidFiles =
            Files.find(dir, 3, (p, a) -> p.getFileName().toString().equals("postmaster.pid"))) {
          pidFiles.forEach(PostgresServer::killStalePostmaster);
        }
        FileTrees.deleteQuietly(dir);
      }
    } catch (IOException | RuntimeException e) {
      // Best effort only.
    }
  }

  private static void killStalePostmaster(Path pidFile) {
    try {
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      ProcessHandle.of(pid)
          .filter(h -> h.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
          .ifPresent(PgCtl::kill);
    } catch (IOException | RuntimeException e) {
      // Unreadable: nothing to kill.
    }
  }

  private static void copyDataDir(Path from, Path to) {
    try {
      Files.walkFileTree(
          from,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                throws IOException {
              Files.copy(
                  dir,
                  to.resolve(from.relativize(dir).toString()),
                  StandardCopyOption.COPY_ATTRIBUTES,
                  LinkOption.NOFOLLOW_LINKS);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              String name = file.getFileName().toString();
              if (file.getParent().equals(from)
                  && (name.equals("postmaster.pid") || name.equals("postmaster.opts"))) {
                return FileVisitResult.CONTINUE;
              }
              Files.copy(
                  file,
                  to.resolve(from.relativize(file).toString()),
                  StandardCopyOption.COPY_ATTRIBUTES,
                  LinkOption.NOFOLLOW_LINKS);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    }
  }

  private static int dataDirMajor(Path dataDir) {
    try {
      String version = Files.readString(dataDir.resolve("PG_VERSION")).trim();
      return Integer.parseInt(version.split("\\.")[0]);
    } catch (IOException | NumberFormatException e) {
      throw new IllegalArgumentException(dataDir + " is not a PostgreSQL data directory", e);
    }
  }

  private static String queryString(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) {
        throw new PostgresServerException("no row from: " + sql);
      }
      return rs.getString(1);
    }
  }

  private static String quote(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
