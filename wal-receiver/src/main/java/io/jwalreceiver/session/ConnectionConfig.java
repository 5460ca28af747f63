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
    String replication) {

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
        "true");
  }

  /** True when {@link #host} names a Unix socket directory. */
  public boolean isUnixSocket() {
    return host.startsWith("/");
  }

  /** The application name sent to the server. */
  public String effectiveApplicationName() {
    return applicationName != null ? applicationName : fallbackApplicationName;
  }

  public ConnectionConfig withHost(String newHost) {
    return new ConnectionConfig(newHost, port, user, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withPort(int newPort) {
    return new ConnectionConfig(host, newPort, user, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withUser(String newUser) {
    return new ConnectionConfig(host, port, newUser, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withDatabase(String newDatabase) {
    return new ConnectionConfig(host, port, user, newDatabase, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withApplicationName(String name) {
    return new ConnectionConfig(host, port, user, database, name,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withFallbackApplicationName(String name) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        name, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withPassword(String newPassword) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, newPassword, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withPassFile(Path file) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, password, file, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withPasswordPrompt(PasswordPrompt prompt) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, password, passFile, prompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withSslMode(SslMode mode) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, mode, sslRootCert,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withSslRootCert(Path file) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, file,
        channelBinding, connectTimeout, replication);
  }

  public ConnectionConfig withChannelBinding(ChannelBinding binding) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        binding, connectTimeout, replication);
  }

  public ConnectionConfig withConnectTimeout(Duration timeout) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, timeout, replication);
  }

  public ConnectionConfig withReplication(String mode) {
    return new ConnectionConfig(host, port, user, database, applicationName,
        fallbackApplicationName, password, passFile, passwordPrompt, sslMode, sslRootCert,
        channelBinding, connectTimeout, mode);
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
