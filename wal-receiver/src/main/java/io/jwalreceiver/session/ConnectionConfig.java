// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything needed to open one replication connection, already resolved from conninfo strings,
 * command-line options, {@code PG*} environment variables and defaults (see {@link ConnInfo}).
 *
 * @param host a host name or IP address, or an absolute directory holding the Unix socket
 * @param port the TCP port, also the Unix socket's suffix ({@code .s.PGSQL.<port>})
 * @param user the role to log in as
 * @param database the database name sent in the startup packet ({@code replication} by default for
 *     physical replication; it matters for {@code .pgpass} and, in 17+, for {@code -R})
 * @param applicationName {@code application_name}, or null to use {@code fallbackApplicationName}
 * @param fallbackApplicationName the program name used when no application name is set
 * @param password the password, or null (then {@code passFile} is consulted, then {@code
 *     passwordPrompt})
 * @param passFile the password file ({@code ~/.pgpass} by default), or null for none
 * @param passwordPrompt asked for a password when the server wants one and none is known, or null
 *     to fail instead ({@code -w})
 * @param sslMode libpq's sslmode
 * @param sslRootCert the trusted root certificates (PEM), or null for {@code
 *     ~/.postgresql/root.crt} when it exists
 * @param channelBinding libpq's channel_binding
 * @param connectTimeout the connect timeout, {@link Duration#ZERO} for none
 * @param replication the {@code replication} startup parameter ({@code true} for physical), or null
 *     for a plain SQL session
 * @param hostAddr libpq's {@code hostaddr}: the numeric address to connect to while {@link #host}
 *     is still the name checked against the server certificate and looked up in {@code .pgpass}, or
 *     null
 * @param tls the TLS settings beyond sslmode and sslrootcert (client certificate, CRLs, protocol
 *     versions, SNI)
 * @param requireAuth libpq 16+'s {@code require_auth} as given (checked by {@link ConnInfo} when
 *     resolved and enforced by {@link Authenticator}), or null for no requirement
 * @param gssEncMode libpq's {@code gssencmode} as given, or null for the default ({@code prefer})
 * @param explicitDatabase the database the user named, other than {@code replication}: the {@code
 *     dbname} of the {@code -d} conninfo, or {@code PGDATABASE} without {@code -d} (pg_basebackup
 *     17+ writes it into {@code primary_conninfo} with {@code -R}); null when none was named.
 *     {@link ConnInfo#resolve} records it so that nobody has to parse the conninfo again
 * @param hosts libpq's host list, tried in turn: every element of comma-separated {@code host},
 *     {@code hostaddr} and {@code port} lists; its first element is always {@link #host}, {@link
 *     #hostAddr} and {@link #port} (an empty list given to the constructor means just that one)
 * @param targetSessionAttrs libpq's {@code target_session_attrs}: which server of the list is
 *     accepted
 * @param loadBalanceHosts libpq 16+'s {@code load_balance_hosts=random}: the hosts, and the
 *     addresses of each host name, are tried in a random order
 */
public record ConnectionConfig(
    String host,
    int port,
    String user,
    @Nullable String database,
    @Nullable String applicationName,
    @Nullable String fallbackApplicationName,
    @Nullable String password,
    @Nullable Path passFile,
    @Nullable PasswordPrompt passwordPrompt,
    SslMode sslMode,
    @Nullable Path sslRootCert,
    ChannelBinding channelBinding,
    Duration connectTimeout,
    @Nullable String replication,
    @Nullable String hostAddr,
    TlsOptions tls,
    @Nullable String requireAuth,
    @Nullable String gssEncMode,
    @Nullable String explicitDatabase,
    List<HostSpec> hosts,
    TargetSessionAttrs targetSessionAttrs,
    boolean loadBalanceHosts) {

  /** Asks the user for a password (pg tools: {@code Password: } on the terminal). */
  @FunctionalInterface
  public interface PasswordPrompt {
    /** Returns the password typed, or null when none can be asked for. */
    @Nullable String ask();
  }

  /** Checks the required components and the port range. */
  public ConnectionConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(sslMode, "sslMode");
    Objects.requireNonNull(channelBinding, "channelBinding");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(targetSessionAttrs, "targetSessionAttrs");
    HostSpec first = new HostSpec(host, hostAddr, port);
    if (hosts.isEmpty()) {
      hosts = List.of(first);
    } else if (!hosts.get(0).equals(first)) {
      throw new IllegalArgumentException("the host list must start with " + first);
    } else {
      hosts = List.copyOf(hosts);
    }
  }

  /** A physical replication connection with libpq's defaults for everything else. */
  public static ConnectionConfig of(String host, int port, String user) {
    return builder().host(host).port(port).user(user).build();
  }

  /**
   * A builder holding the defaults of a physical replication connection: port 5432, database {@code
   * replication}, {@code replication=true}, sslmode and channel_binding {@code prefer}, no connect
   * timeout, {@link TlsOptions#DEFAULTS}, fallback application name {@code jwalreceiver}. {@link
   * Builder#host} and {@link Builder#user} have no default.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.user = user;
    b.database = database;
    b.applicationName = applicationName;
    b.fallbackApplicationName = fallbackApplicationName;
    b.password = password;
    b.passFile = passFile;
    b.passwordPrompt = passwordPrompt;
    b.sslMode = sslMode;
    b.sslRootCert = sslRootCert;
    b.channelBinding = channelBinding;
    b.connectTimeout = connectTimeout;
    b.replication = replication;
    b.hostAddr = hostAddr;
    b.tls = tls;
    b.requireAuth = requireAuth;
    b.gssEncMode = gssEncMode;
    b.explicitDatabase = explicitDatabase;
    b.hosts = hosts.size() > 1 ? hosts : null;
    b.targetSessionAttrs = targetSessionAttrs;
    b.loadBalanceHosts = loadBalanceHosts;
    return b;
  }

  /** True when {@link #host} names a Unix socket directory. */
  public boolean isUnixSocket() {
    return hostAddr == null && host.startsWith("/");
  }

  /**
   * These settings for one server of {@link #hosts}: that host, address and port alone, with
   * everything else kept.
   */
  public ConnectionConfig forHost(HostSpec server) {
    return toBuilder().host(server.host()).hostAddr(server.hostAddr()).port(server.port()).build();
  }

  /** The application name sent to the server. */
  public @Nullable String effectiveApplicationName() {
    return applicationName != null ? applicationName : fallbackApplicationName;
  }

  /**
   * Builds a {@link ConnectionConfig}; each setter names the record component it sets. Start from
   * {@link ConnectionConfig#builder()} (the defaults) or {@link ConnectionConfig#toBuilder()}.
   */
  public static final class Builder {
    private @Nullable String host;
    private int port = ConnInfo.DEFAULT_PORT;
    private @Nullable String user;
    private @Nullable String database = ConnInfo.REPLICATION_DATABASE;
    private @Nullable String applicationName;
    private @Nullable String fallbackApplicationName = "jwalreceiver";
    private @Nullable String password;
    private @Nullable Path passFile;
    private @Nullable PasswordPrompt passwordPrompt;
    private SslMode sslMode = SslMode.PREFER;
    private @Nullable Path sslRootCert;
    private ChannelBinding channelBinding = ChannelBinding.PREFER;
    private Duration connectTimeout = Duration.ZERO;
    private @Nullable String replication = "true";
    private @Nullable String hostAddr;
    private TlsOptions tls = TlsOptions.DEFAULTS;
    private @Nullable String requireAuth;
    private @Nullable String gssEncMode;
    private @Nullable String explicitDatabase;
    private @Nullable List<HostSpec> hosts;
    private TargetSessionAttrs targetSessionAttrs = TargetSessionAttrs.ANY;
    private boolean loadBalanceHosts;

    private Builder() {}

    /** Sets {@link ConnectionConfig#host()}: one server, replacing a host list. */
    public Builder host(String value) {
      this.host = value;
      this.hosts = null;
      return this;
    }

    /** Sets {@link ConnectionConfig#port()}: one server, replacing a host list. */
    public Builder port(int value) {
      this.port = value;
      this.hosts = null;
      return this;
    }

    /** Sets {@link ConnectionConfig#user()}. */
    public Builder user(String value) {
      this.user = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#database()}. */
    public Builder database(@Nullable String value) {
      this.database = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#applicationName()}. */
    public Builder applicationName(@Nullable String value) {
      this.applicationName = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#fallbackApplicationName()}. */
    public Builder fallbackApplicationName(@Nullable String value) {
      this.fallbackApplicationName = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#password()}. */
    public Builder password(@Nullable String value) {
      this.password = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#passFile()}. */
    public Builder passFile(@Nullable Path value) {
      this.passFile = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#passwordPrompt()}. */
    public Builder passwordPrompt(@Nullable PasswordPrompt value) {
      this.passwordPrompt = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#sslMode()}. */
    public Builder sslMode(SslMode value) {
      this.sslMode = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#sslRootCert()}. */
    public Builder sslRootCert(@Nullable Path value) {
      this.sslRootCert = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#channelBinding()}. */
    public Builder channelBinding(ChannelBinding value) {
      this.channelBinding = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#connectTimeout()}. */
    public Builder connectTimeout(Duration value) {
      this.connectTimeout = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#replication()}. */
    public Builder replication(@Nullable String value) {
      this.replication = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#hostAddr()}: one server, replacing a host list. */
    public Builder hostAddr(@Nullable String value) {
      this.hostAddr = value;
      this.hosts = null;
      return this;
    }

    /**
     * Sets {@link ConnectionConfig#hosts()} and how the list is tried ({@link
     * ConnectionConfig#targetSessionAttrs()}, {@link ConnectionConfig#loadBalanceHosts()}), and
     * {@link ConnectionConfig#host()}, {@link ConnectionConfig#hostAddr()} and {@link
     * ConnectionConfig#port()} from its first element.
     *
     * @throws IllegalArgumentException when the list is empty
     */
    public Builder hosts(
        List<HostSpec> value, TargetSessionAttrs targetSessionAttrs, boolean loadBalanceHosts) {
      if (value.isEmpty()) {
        throw new IllegalArgumentException("no hosts");
      }
      HostSpec first = value.get(0);
      this.host = first.host();
      this.hostAddr = first.hostAddr();
      this.port = first.port();
      this.hosts = List.copyOf(value);
      this.targetSessionAttrs = targetSessionAttrs;
      this.loadBalanceHosts = loadBalanceHosts;
      return this;
    }

    /** Sets {@link ConnectionConfig#tls()}. */
    public Builder tls(TlsOptions value) {
      this.tls = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#requireAuth()}. */
    public Builder requireAuth(@Nullable String value) {
      this.requireAuth = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#gssEncMode()}. */
    public Builder gssEncMode(@Nullable String value) {
      this.gssEncMode = value;
      return this;
    }

    /** Sets {@link ConnectionConfig#explicitDatabase()}. */
    public Builder explicitDatabase(@Nullable String value) {
      this.explicitDatabase = value;
      return this;
    }

    /**
     * The configuration.
     *
     * @throws NullPointerException when host or user is not set
     * @throws IllegalArgumentException for a port outside 1 … 65535
     */
    public ConnectionConfig build() {
      return new ConnectionConfig(
          Objects.requireNonNull(host, "host"),
          port,
          Objects.requireNonNull(user, "user"),
          database,
          applicationName,
          fallbackApplicationName,
          password,
          passFile,
          passwordPrompt,
          sslMode,
          sslRootCert,
          channelBinding,
          connectTimeout,
          replication,
          hostAddr,
          tls,
          requireAuth,
          gssEncMode,
          explicitDatabase,
          hosts == null ? List.of() : hosts,
          targetSessionAttrs,
          loadBalanceHosts);
    }
  }

  /** Passwords never appear in logs: this prints everything else. */
  @Override
  public String toString() {
    return "ConnectionConfig[host="
        + (hosts.size() > 1 ? hosts.toString() : host)
        + ", port="
        + port
        + ", user="
        + user
        + ", database="
        + database
        + ", application_name="
        + effectiveApplicationName()
        + ", sslmode="
        + sslMode.keyword()
        + ", channel_binding="
        + channelBinding.keyword()
        + ", password="
        + (password == null ? "none" : "set")
        + "]";
  }
}
