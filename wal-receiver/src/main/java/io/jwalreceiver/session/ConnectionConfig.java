// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything needed to open one replication connection, already resolved from conninfo strings,
 * command-line options, {@code PG*} environment variables and defaults (see {@link ConnInfo}).
 *
 * @param host a host name or IP address, or an absolute directory holding the Unix socket
 * @param port the TCP port, also the Unix socket's suffix ({@code .s.PGSQL.<port>})
 * @param user the role to log in as
 * @param database the database name sent in the startup packet ({@code replication} by default
 *     for physical replication; it matters for {@code .pgpass} and, in 17+, for {@code -R})
 * @param applicationName {@code application_name}, or null to use {@code
 *     fallbackApplicationName}
 * @param fallbackApplicationName the program name used when no application name is set
 * @param password the password, or null (then {@code passFile} is consulted, then {@code
 *     passwordPrompt})
 * @param passFile the password file ({@code ~/.pgpass} by default), or null for none
 * @param passwordPrompt asked for a password when the server wants one and none is known, or
 *     null to fail instead ({@code -w})
 * @param sslMode libpq's sslmode
 * @param sslRootCert the trusted root certificates (PEM), or null for {@code
 *     ~/.postgresql/root.crt} when it exists
 * @param channelBinding libpq's channel_binding
 * @param connectTimeout the connect timeout, {@link Duration#ZERO} for none
 * @param replication the {@code replication} startup parameter ({@code true} for physical), or
 *     null for a plain SQL session
 * @param hostAddr libpq's {@code hostaddr}: the numeric address to connect to while {@link #host}
 *     is still the name checked against the server certificate and looked up in {@code .pgpass},
 *     or null
 * @param tls the TLS settings beyond sslmode and sslrootcert (client certificate, CRLs,
 *     protocol versions, SNI)
 * @param requireAuth libpq 16+'s {@code require_auth} as given (checked by {@link ConnInfo} when
 *     resolved and enforced by {@link Authenticator}), or null for no requirement
 * @param gssEncMode libpq's {@code gssencmode} as given, or null for the default ({@code prefer})
 */
public record ConnectionConfig(
    String host,
    int port,
    String user,
    String database,
    String applicationName,
    String fallbackApplicationName,
    String password,
    Path passFile,
    PasswordPrompt passwordPrompt,
    SslMode sslMode,
    Path sslRootCert,
    ChannelBinding channelBinding,
    Duration connectTimeout,
    String replication,
    String hostAddr,
    TlsOptions tls,
    String requireAuth,
    String gssEncMode) {

  /** Asks the user for a password (pg tools: {@code Password: } on the terminal). */
  @FunctionalInterface
  public interface PasswordPrompt {
    /** Returns the password typed, or null when none can be asked for. */
    String ask();
  }

  public ConnectionConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(sslMode, "sslMode");
    Objects.requireNonNull(channelBinding, "channelBinding");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(tls, "tls");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("invalid port number: \"" + port + "\"");
    }
  }

  /** A physical replication connection with libpq's defaults for everything else. */
  public static ConnectionConfig of(String host, int port, String user) {
    return new ConnectionConfig(
        host,
        port,
        user,
        "replication",
        null,
        "jwalreceiver",
        null,
        null,
        null,
        SslMode.PREFER,
        null,
        ChannelBinding.PREFER,
        Duration.ZERO,
        "true",
        null,
        TlsOptions.DEFAULTS,
        null,
        null);
  }

  /** True when {@link #host} names a Unix socket directory. */
  public boolean isUnixSocket() {
    return host.startsWith("/");
  }

  /** The application name sent to the server. */
  public String effectiveApplicationName() {
    return applicationName != null ? applicationName : fallbackApplicationName;
  }

  public ConnectionConfig withHost(String value) {
    return new ConnectionConfig(
        value, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withPort(int value) {
    return new ConnectionConfig(
        host, value, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withUser(String value) {
    return new ConnectionConfig(
        host, port, value, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withDatabase(String value) {
    return new ConnectionConfig(
        host, port, user, value, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withApplicationName(String value) {
    return new ConnectionConfig(
        host, port, user, database, value, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withFallbackApplicationName(String value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, value, password, passFile, passwordPrompt,
        sslMode, sslRootCert, channelBinding, connectTimeout, replication, hostAddr, tls,
        requireAuth, gssEncMode);
  }

  public ConnectionConfig withPassword(String value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, value, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withPassFile(Path value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, value,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withPasswordPrompt(PasswordPrompt value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        value, sslMode, sslRootCert, channelBinding, connectTimeout, replication, hostAddr, tls,
        requireAuth, gssEncMode);
  }

  public ConnectionConfig withSslMode(SslMode value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, value, sslRootCert, channelBinding, connectTimeout, replication, hostAddr,
        tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withSslRootCert(Path value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, value, channelBinding, connectTimeout, replication, hostAddr,
        tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withChannelBinding(ChannelBinding value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, value, connectTimeout, replication, hostAddr, tls,
        requireAuth, gssEncMode);
  }

  public ConnectionConfig withConnectTimeout(Duration value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, value, replication, hostAddr, tls,
        requireAuth, gssEncMode);
  }

  public ConnectionConfig withReplication(String value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, value, hostAddr,
        tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withHostAddr(String value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication, value,
        tls, requireAuth, gssEncMode);
  }

  public ConnectionConfig withTls(TlsOptions value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, value, requireAuth, gssEncMode);
  }

  public ConnectionConfig withRequireAuth(String value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, value, gssEncMode);
  }

  public ConnectionConfig withGssEncMode(String value) {
    return new ConnectionConfig(
        host, port, user, database, applicationName, fallbackApplicationName, password, passFile,
        passwordPrompt, sslMode, sslRootCert, channelBinding, connectTimeout, replication,
        hostAddr, tls, requireAuth, value);
  }

  /** Passwords never appear in logs: this prints everything else. */
  @Override
  public String toString() {
    return "ConnectionConfig[host=" + host + ", port=" + port + ", user=" + user
        + ", database=" + database + ", application_name=" + effectiveApplicationName()
        + ", sslmode=" + sslMode.keyword() + ", channel_binding=" + channelBinding.keyword()
        + ", password=" + (password == null ? "none" : "set") + "]";
  }
}
