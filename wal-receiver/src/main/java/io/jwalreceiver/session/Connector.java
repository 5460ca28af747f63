// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import com.ongres.scram.common.util.TlsServerEndpoint;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.MessageReader;
import io.jwalreceiver.protocol.MessageWriter;
import io.jwalreceiver.protocol.Transport;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendDecoder;
import io.jwalreceiver.protocol.backend.BackendMessage;
import io.jwalreceiver.protocol.backend.BackendMessage.BackendKeyData;
import io.jwalreceiver.protocol.backend.BackendMessage.ErrorResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.NegotiateProtocolVersion;
import io.jwalreceiver.protocol.backend.BackendMessage.NoticeResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ParameterStatus;
import io.jwalreceiver.protocol.backend.BackendMessage.ReadyForQuery;
import io.jwalreceiver.protocol.frontend.FrontendMessage;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * Establishes a {@link ReplicationConnection}: which addresses to try and, per sslmode, whether
 * with TLS and whether to retry the other way; then, on the stream {@link SocketOpener} opened, the
 * StartupMessage, authentication ({@link Authenticator}: trust, cleartext, MD5,
 * SCRAM-SHA-256[-PLUS]) and the ParameterStatus/BackendKeyData exchange up to ReadyForQuery.
 *
 * <p>Failures carry libpq's wording: {@code connection to server at "h", port p failed: …} or
 * {@code connection to server on socket "/dir/.s.PGSQL.p" failed: …}.
 */
final class Connector {

  /** Most distinct ParameterStatus names accepted during startup (servers report about 20). */
  static final int MAX_PARAMETERS = 1000;

  /** The reader's buffer: 4 MiB holds 32 of the walsender's largest (128 KiB) messages. */
  static final int RECEIVE_BUFFER_SIZE = 4 * 1024 * 1024;

  private Connector() {}

  /**
   * One address of one host being tried: libpq's {@code whichhost} and {@code whichaddr}.
   *
   * @param opened the settings the caller connects with (the whole host list)
   * @param cfg the settings of this host alone ({@link ConnectionConfig#forHost})
   * @param address the address tried, or null for the Unix socket
   * @param deadline {@link System#nanoTime} by which this address must be connected, 0 for none
   */
  record Target(
      ConnectionConfig opened, ConnectionConfig cfg, @Nullable InetAddress address, long deadline) {

    /** libpq's prefix for a failure at this address. */
    String where() {
      return SocketOpener.where(cfg, address);
    }

    /** True when {@code connect_timeout} has run out for this address. */
    boolean expired() {
      return deadline != 0 && System.nanoTime() - deadline >= 0;
    }

    /** The same address with other settings (the check connection of {@link TargetCheck}). */
    Target with(ConnectionConfig other) {
      return new Target(other, other, address, deadline);
    }
  }

  /**
   * A socket that could not be connected: libpq then tries the next address (its {@code
   * try_next_addr}) rather than giving up. Unwinds the sslmode retries of one address.
   */
  private static final class NotConnected extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final PgException failure;

    NotConnected(PgException failure) {
      super(failure.getMessage(), failure, false, false);
      this.failure = failure;
    }
  }

  /**
   * libpq's {@code PQconnectPoll} over the host list: each host in turn ({@link
   * ConnectionConfig#hosts()}, shuffled with {@code load_balance_hosts=random}), each address of a
   * host name in turn (shuffled likewise), until one is connected and qualifies under {@code
   * target_session_attrs} ({@link TargetCheck}). A socket that cannot be connected or a {@code
   * connect_timeout} moves on to the next address; {@code cannot_connect_now} (57P03) and a server
   * that does not qualify move on to the next host; any other failure (TLS, authentication, a
   * server error) ends the attempt, as in libpq. With {@code prefer-standby}, a second pass takes
   * any server when no standby was found. When every host failed, the error lists each failure in
   * turn ({@link ConnectFailures}).
   */
  static ReplicationConnection connect(ConnectionConfig opened, Consumer<ServerError> notices) {
    return connect(opened, notices, ThreadLocalRandom.current());
  }

  /**
   * As {@link #connect(ConnectionConfig, Consumer)} with the random order drawn from {@code
   * random}.
   */
  static ReplicationConnection connect(
      ConnectionConfig opened, Consumer<ServerError> notices, Random random) {
    List<HostSpec> hosts = new ArrayList<>(opened.hosts());
    if (opened.loadBalanceHosts()) {
      Collections.shuffle(hosts, random);
    }
    ConnectFailures failures = new ConnectFailures();
    TargetSessionAttrs target = opened.targetSessionAttrs();
    while (true) {
      for (HostSpec host : hosts) {
        ReplicationConnection c =
            connectHost(opened, opened.forHost(host), target, notices, random, failures);
        if (c != null) {
          return c;
        }
      }
      if (target != TargetSessionAttrs.PREFER_STANDBY) {
        throw failures.toException();
      }
      target = TargetSessionAttrs.ANY; // libpq's SERVER_TYPE_PREFER_STANDBY_PASS2
    }
  }

  /** One host: its addresses in turn; null to move on to the next host. */
  private static @Nullable ReplicationConnection connectHost(
      ConnectionConfig opened,
      ConnectionConfig cfg,
      TargetSessionAttrs target,
      Consumer<ServerError> notices,
      Random random,
      ConnectFailures failures) {
    List<@Nullable InetAddress> addresses = new ArrayList<>();
    if (cfg.isUnixSocket()) {
      if (cfg.sslMode() == SslMode.REQUIRE || cfg.sslMode().verifiesChain()) {
        failures.add(
            new PgException(
                SqlState.CONNECTION_UNABLE,
                SocketOpener.where(cfg, null)
                    + "sslmode="
                    + cfg.sslMode().keyword()
                    + " cannot be used over a Unix-domain socket",
                null,
                "Connect over TCP (-h with a host name or address) or use sslmode=disable or"
                    + " prefer.",
                null));
        throw failures.toException();
      }
      addresses.add(null);
    } else {
      try {
        addresses.addAll(resolve(cfg));
      } catch (PgException e) {
        failures.add(e);
        return null;
      }
      if (opened.loadBalanceHosts()) {
        Collections.shuffle(addresses, random);
      }
    }
    for (InetAddress address : addresses) {
      Target t = new Target(opened, cfg, address, deadline(cfg));
      try {
        ReplicationConnection c = connectAddress(t, notices);
        String rejected;
        try {
          rejected = TargetCheck.rejects(c, t, target, notices);
        } catch (RuntimeException e) {
          c.close();
          throw e;
        }
        if (rejected == null) {
          return c;
        }
        c.close();
        failures.add(new PgException(SqlState.CONNECTION_UNABLE, t.where() + rejected));
        return null; // libpq: try the next host, not this host's other addresses
      } catch (NotConnected e) {
        failures.add(e.failure);
      } catch (PgException e) {
        failures.add(e);
        if (e.fromServer() && e.sqlState().code().equals("57P03")) {
          return null; // cannot_connect_now: the next host
        }
        // A read may give up a little before the deadline: its "timeout expired" counts too.
        boolean timedOut =
            t.expired()
                || (!e.fromServer() && String.valueOf(e.getMessage()).endsWith("timeout expired"));
        if (!timedOut) {
          throw failures.toException();
        }
        // connect_timeout: the next address
      }
    }
    return null;
  }

  /** The addresses of a host: its {@code hostaddr}, or every address its name resolves to. */
  private static List<InetAddress> resolve(ConnectionConfig cfg) {
    if (cfg.hostAddr() != null) {
      // hostaddr: connect there; host stays the name for TLS and .pgpass (libpq).
      return List.of(SocketOpener.numericAddress(cfg.hostAddr()));
    }
    try {
      return List.of(InetAddress.getAllByName(cfg.host()));
    } catch (UnknownHostException e) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          "could not translate host name \""
              + cfg.host()
              + "\" to address: Name or service not known",
          e);
    }
  }

  /** libpq's {@code connect_timeout} timer, restarted for each address (at least 2 seconds). */
  private static long deadline(ConnectionConfig cfg) {
    return cfg.connectTimeout().isZero()
        ? 0
        : System.nanoTime() + Math.max(2000, cfg.connectTimeout().toMillis()) * 1_000_000L;
  }

  /** One address, with the sslmode's TLS choice and retry; see {@link #connect}. */
  static ReplicationConnection connectAddress(Target t, Consumer<ServerError> notices) {
    if (t.address() == null) {
      return attempt(t, false, notices);
    }
    switch (t.cfg().sslMode()) {
      case DISABLE -> {
        return attempt(t, false, notices);
      }
      case ALLOW -> {
        try {
          return attempt(t, false, notices);
        } catch (PgException e) {
          if (!isAuthRejection(e)) {
            throw e;
          }
          return attempt(t, true, notices);
        }
      }
      case PREFER -> {
        try {
          return attempt(t, true, notices);
        } catch (PgException e) {
          if (!isAuthRejection(e) && !isTlsFailure(e)) {
            throw e;
          }
          // libpq retries without TLS when the TLS attempt fails under prefer.
          return attempt(t, false, notices);
        }
      }
      default -> {
        return attempt(t, true, notices);
      }
    }
  }

  /**
   * A server's refusal of the startup under one encryption choice, after which libpq (17+) tries
   * the other one with allow and prefer: any ErrorResponse except {@code cannot_connect_now}
   * (57P03, which moves on to the next host instead).
   */
  private static boolean isAuthRejection(PgException e) {
    return e.fromServer() && !e.sqlState().code().equals("57P03");
  }

  private static boolean isTlsFailure(PgException e) {
    return !e.fromServer()
        && (String.valueOf(e.getMessage()).contains("SSL error")
            || e.getCause() instanceof Tls.SetupFailure);
  }

  private static ReplicationConnection attempt(
      Target t, boolean tryTls, Consumer<ServerError> notices) {
    String where = t.where();
    SocketOpener.Opened opened;
    try {
      opened = SocketOpener.connect(t.cfg(), t.address(), t.deadline(), where);
    } catch (PgException e) {
      throw new NotConnected(e);
    }
    try {
      SSLSocket tls = tryTls ? opened.secure(t.cfg(), t.deadline(), where) : null;
      // TLS needs the stream-based socket; plain TCP keeps the channel (direct buffers).
      return startup(t, tls != null ? new SocketTransport(tls) : opened.plain(), tls, notices);
    } catch (RuntimeException e) {
      opened.close();
      throw e;
    }
  }

  private static ReplicationConnection startup(
      Target t, Transport transport, @Nullable SSLSocket tls, Consumer<ServerError> notices) {
    ConnectionConfig cfg = t.cfg();
    long deadline = t.deadline();
    String where = t.where();
    MessageReader reader =
        new MessageReader(
            transport, ReplicationConnection.DEFAULT_FRAME_LIMIT, RECEIVE_BUFFER_SIZE);
    MessageWriter writer = new MessageWriter(transport);
    List<Map.Entry<String, String>> params = new ArrayList<>();
    params.add(new SimpleEntry<>("user", cfg.user()));
    if (cfg.database() != null) {
      params.add(new SimpleEntry<>("database", cfg.database()));
    }
    if (cfg.replication() != null) {
      params.add(new SimpleEntry<>("replication", cfg.replication()));
    }
    String app = cfg.effectiveApplicationName();
    if (app != null) {
      params.add(new SimpleEntry<>("application_name", app));
    }
    params.add(new SimpleEntry<>("client_encoding", "UTF8"));
    writer.send(new FrontendMessage.StartupMessage(params));

    Authenticator auth =
        new Authenticator(
            cfg, tls != null, () -> tlsServerEndPoint(Objects.requireNonNull(tls, "tls")));
    Map<String, String> parameters = new LinkedHashMap<>();
    int pid = 0;
    while (true) {
      BackendMessage m = next(reader, deadline, where);
      if (m instanceof BackendMessage.AuthenticationRequest req) {
        List<FrontendMessage> replies;
        try {
          replies = auth.handle(req);
        } catch (PgException e) {
          throw SocketOpener.prefixed(where, e);
        }
        for (FrontendMessage reply : replies) {
          writer.send(reply);
        }
      } else if (m instanceof ParameterStatus ps) {
        parameters.put(ps.name(), ps.value());
        if (parameters.size() > MAX_PARAMETERS) {
          // A server reports some 15-20 settings; a stream of new names is not a server.
          throw Wire.violation("server reported more than " + MAX_PARAMETERS + " parameters");
        }
      } else if (m instanceof BackendKeyData k) {
        pid = k.processId();
      } else if (m instanceof NoticeResponse n) {
        notices.accept(n.notice());
      } else if (m instanceof NegotiateProtocolVersion) {
        // We ask for 3.0 without _pq_ options, so there is nothing to downgrade; ignore.
      } else if (m instanceof ErrorResponse e) {
        throw new PgException(where, e.error());
      } else if (m instanceof ReadyForQuery && auth.authenticated()) {
        if (!"on".equals(parameters.getOrDefault("integer_datetimes", "on"))) {
          throw new PgException(
              SqlState.CONNECTION_UNABLE,
              "\"integer_datetimes\" compile flag does not match server");
        }
        InetAddress address = t.address();
        return new ReplicationConnection(
            t.opened(),
            transport,
            reader,
            writer,
            notices,
            parameters,
            pid,
            tls != null,
            auth.channelBound(),
            new ConnectedServer(
                cfg.host(), cfg.port(), address == null ? null : address.getHostAddress()));
      } else {
        throw ReplicationConnection.unexpected(m, "connection startup");
      }
    }
  }

  private static BackendMessage next(MessageReader reader, long deadline, String where) {
    long wait = 0;
    if (deadline != 0) {
      wait = (deadline - System.nanoTime()) / 1_000_000;
      if (wait <= 0) {
        throw new PgException(SqlState.CONNECTION_UNABLE, where + "timeout expired");
      }
    }
    try {
      if (!reader.next(wait)) {
        throw new PgException(SqlState.CONNECTION_UNABLE, where + "timeout expired");
      }
    } catch (PgException e) {
      if (e.sqlState().equals(SqlState.CONNECTION_FAILURE)) {
        throw new PgException(SqlState.CONNECTION_UNABLE, where + e.getMessage(), e);
      }
      throw e;
    }
    return BackendDecoder.decode(reader.type(), reader.body());
  }

  /** The tls-server-end-point channel binding data: a hash of the server's certificate. */
  private static byte[] tlsServerEndPoint(SSLSocket tls) {
    try {
      X509Certificate leaf = (X509Certificate) tls.getSession().getPeerCertificates()[0];
      return TlsServerEndpoint.getChannelBindingData(leaf);
    } catch (SSLPeerUnverifiedException | CertificateEncodingException e) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE, "could not get server certificate for channel binding", e);
    }
  }
}
