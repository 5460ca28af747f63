// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.FileTrees;
import io.jwalreceiver.embedded.PostgresServerException;
import io.jwalreceiver.embedded.ServerUser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A real PostgreSQL server (13–18) for integration tests.
 *
 * <p>Binaries come from {@link io.jwalreceiver.embedded.PgBinaries}. Each server gets its own
 * directory under one per-JVM base directory ({@code ${java.io.tmpdir}/jwalreceiver-it-<pid>/},
 * mode 0755): {@code data/} (the cluster, 0700), {@code sock/} (the Unix socket, 0700) and {@code
 * server.log}. When the JVM runs as root, initdb, pg_ctl and postgres run as an unprivileged user
 * ({@code postgres}, else a created system user {@code jwalreceiver-pg}) and those directories
 * belong to it; root can still connect and read everything.
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
 * <p>The generated {@code pg_hba.conf} lets the superuser in by {@code trust}, then each role by
 * its method above; lines from {@link Options#withHbaLine(String)} come first (the listing is on
 * {@code ServerConfiguration.hbaConf}). {@code host} lines match TLS and plain connections alike,
 * so on a TLS server every role works with {@code sslmode=disable}, {@code prefer} or {@code
 * verify-full}; {@value #REPL_TLS} is the role for "TLS required" tests.
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
 *
 * <p>The class is split along its seams: the process side (directories, port, pg_ctl, waits) is
 * {@link ServerProcess}, the SQL, WAL and replication helpers {@link ServerSql}, creation (initdb,
 * from a data directory, shared, standby) {@link ServerFactory}, the configuration files {@link
 * ServerConfiguration}, the per-JVM directories {@link ServerDirectories}; this file holds the
 * options and the public entry points.
 */
public final class PostgresServer extends ServerSql implements AutoCloseable {

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
      List.of(REPL_TRUST, REPL_MD5, REPL_SCRAM, REPL_PASSWORD, REPL_TLS, REPL_CERT, NOREPL, NOHBA);

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

  PostgresServer(Options options, Path serverDir, Path dataDir) {
    super(options, serverDir, dataDir);
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
    return ServerFactory.start(options);
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
    return ServerFactory.startFromDataDir(dir, options);
  }

  /**
   * Starts a server from an existing data directory with default options for its version.
   *
   * @param dir the data directory
   * @return the running server
   * @see #startFromDataDir(Path, Options)
   */
  public static PostgresServer startFromDataDir(Path dir) {
    return startFromDataDir(dir, Options.of(ServerDirectories.dataDirMajor(dir.toAbsolutePath())));
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
    return ServerFactory.shared(options);
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

  // ---------------------------------------------------------------- certificates

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
    return ServerDirectories.caCertificateFile();
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
   * A revocation list of the CA that signs the servers' certificates ({@link #caCertFile()}), valid
   * for a day.
   *
   * @param revokeServerCertificate whether it revokes the certificate of {@link Tls#ON} servers
   * @return the CRL, PEM
   */
  public static String serverCrl(boolean revokeServerCertificate) {
    return TestCertificates.serverCrl(revokeServerCertificate);
  }

  // ---------------------------------------------------------------- closing

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
      forget();
      // A data directory we did not create lives elsewhere and is left alone.
      FileTrees.deleteQuietly(serverDir);
    }
  }

  // ---------------------------------------------------------------- standby

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
    return ServerFactory.standby(this, applicationName);
  }
}
