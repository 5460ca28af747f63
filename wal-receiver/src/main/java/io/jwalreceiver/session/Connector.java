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
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;

/**
 * Establishes a {@link ReplicationConnection}: transport, TLS negotiation per sslmode, the
 * StartupMessage, authentication (trust, cleartext, MD5, SCRAM-SHA-256[-PLUS]) and the
 * ParameterStatus/BackendKeyData exchange up to ReadyForQuery.
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

  static ReplicationConnection connect(ConnectionConfig cfg, Consumer<ServerError> notices) {
    if (cfg.isUnixSocket()) {
      if (cfg.sslMode() == SslMode.REQUIRE || cfg.sslMode().verifiesChain()) {
        throw new PgException(
            SqlState.CONNECTION_UNABLE,
            where(cfg, null) + "sslmode=" + cfg.sslMode().keyword()
                + " cannot be used over a Unix-domain socket",
            null,
            "Connect over TCP (-h with a host name or address) or use sslmode=disable or prefer.",
            null);
      }
      return attempt(cfg, null, false, notices);
    }
    InetAddress[] addresses;
    try {
      // hostaddr: connect there; host stays the name for TLS and .pgpass (libpq).
      addresses = cfg.hostAddr() != null
          ? new InetAddress[] {numericAddress(cfg.hostAddr())}
          : InetAddress.getAllByName(cfg.host());
    } catch (UnknownHostException e) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          "could not translate host name \"" + cfg.host() + "\" to address: Name or service not known",
          e);
    }
    PgException last = null;
    for (InetAddress address : addresses) {
      try {
        return connectTcp(cfg, address, notices);
      } catch (PgException e) {
        last = e;
        if (e.fromServer()) {
          break; // the server answered: another address would be the same server
        }
      }
    }
    throw last;
  }

  /**
   * A numeric IPv4 or IPv6 address, never looked up in DNS (libpq's {@code AI_NUMERICHOST}).
   *
   * @throws PgException 08001 {@code could not parse network address "%s": ...} for anything else
   */
  static InetAddress numericAddress(String text) {
    int percent = text.indexOf('%');
    String address = percent < 0 ? text : text.substring(0, percent);
    String scope = percent < 0 ? "" : text.substring(percent + 1);
    boolean ipv4 =
        !text.isEmpty() && text.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    boolean ipv6 = address.indexOf(':') >= 0
        && address.chars()
            .allMatch(c -> c == ':' || c == '.' || (c < 128 && Character.digit(c, 16) >= 0))
        && scope.chars().allMatch(c -> c < 128 && Character.isLetterOrDigit(c));
    if (ipv4 || ipv6) {
      try {
        return InetAddress.getByName(text);
      } catch (UnknownHostException e) {
        // reported below
      }
    }
    throw new PgException(
        SqlState.CONNECTION_UNABLE,
        "could not parse network address \"" + text + "\": Name or service not known");
  }

  private static ReplicationConnection connectTcp(
      ConnectionConfig cfg, InetAddress address, Consumer<ServerError> notices) {
    switch (cfg.sslMode()) {
      case DISABLE:
        return attempt(cfg, address, false, notices);
      case ALLOW:
        try {
          return attempt(cfg, address, false, notices);
        } catch (PgException e) {
          if (!isAuthRejection(e)) {
            throw e;
          }
          return attempt(cfg, address, true, notices);
        }
      case PREFER:
        try {
          return attempt(cfg, address, true, notices);
        } catch (PgException e) {
          if (!isAuthRejection(e) && !isTlsFailure(e)) {
            throw e;
          }
          // libpq retries without TLS when the TLS attempt fails under prefer.
          return attempt(cfg, address, false, notices);
        }
      default:
        return attempt(cfg, address, true, notices);
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
        && (e.getMessage().contains("SSL error") || e.getCause() instanceof Tls.SetupFailure);
  }

  /** libpq's prefix for a failure of this attempt. */
  static String where(ConnectionConfig cfg, InetAddress address) {
    if (cfg.isUnixSocket()) {
      return "connection to server on socket \"" + socketPath(cfg) + "\" failed: ";
    }
    String host = cfg.host();
    String shown = address != null && !address.getHostAddress().equals(host)
        ? "\"" + host + "\" (" + address.getHostAddress() + ")"
        : "\"" + host + "\"";
    return "connection to server at " + shown + ", port " + cfg.port() + " failed: ";
  }

  private static Path socketPath(ConnectionConfig cfg) {
    return Path.of(cfg.host(), ".s.PGSQL." + cfg.port());
  }

  private static ReplicationConnection attempt(
      ConnectionConfig cfg, InetAddress address, boolean tryTls, Consumer<ServerError> notices) {
    long deadline = cfg.connectTimeout().isZero()
        ? 0
        : System.nanoTime() + Math.max(2000, cfg.connectTimeout().toMillis()) * 1_000_000L;
    String where = where(cfg, address);
    Transport transport;
    SSLSocket tls = null;
    if (cfg.isUnixSocket()) {
      transport = new ChannelTransport(openUnix(cfg, where));
    } else {
      SocketChannel ch = openTcp(cfg, address, deadline, where);
      try {
        tls = tryTls ? negotiateTls(ch, cfg, deadline, where) : null;
        // TLS needs the stream-based socket; plain TCP keeps the channel (direct buffers).
        transport = tls != null ? new SocketTransport(tls) : new ChannelTransport(ch);
      } catch (RuntimeException e) {
        closeQuietly(ch);
        throw e;
      }
    }
    try {
      return startup(cfg, transport, tls, deadline, where, notices);
    } catch (RuntimeException e) {
      transport.close();
      throw e;
    }
  }

  private static SocketChannel openUnix(ConnectionConfig cfg, String where) {
    Path path = socketPath(cfg);
    try {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(path));
      } catch (IOException e) {
        ch.close();
        throw e;
      }
      return ch;
    } catch (IOException e) {
      String reason = e.getMessage() == null ? e.toString() : e.getMessage();
      if (reason.contains("No such file") || reason.contains("Connection refused")) {
        reason = reason.contains("No such file") ? "No such file or directory" : "Connection refused";
      }
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          where + reason,
          null,
          "Is the server running locally and accepting connections on that socket?",
          e);
    }
  }

  /** A connected, still blocking TCP channel. */
  private static SocketChannel openTcp(
      ConnectionConfig cfg, InetAddress address, long deadline, String where) {
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open();
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
      int timeout = deadline == 0 ? 0 : (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      ch.socket().connect(new InetSocketAddress(address, cfg.port()), timeout);
      return ch;
    } catch (SocketTimeoutException e) {
      closeQuietly(ch);
      throw new PgException(SqlState.CONNECTION_UNABLE, where + "timeout expired", e);
    } catch (ConnectException e) {
      closeQuietly(ch);
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          where + "Connection refused",
          null,
          "Is the server running on that host and accepting TCP/IP connections?",
          e);
    } catch (NoRouteToHostException e) {
      closeQuietly(ch);
      throw new PgException(SqlState.CONNECTION_UNABLE, where + "No route to host", e);
    } catch (IOException e) {
      closeQuietly(ch);
      throw new PgException(SqlState.CONNECTION_UNABLE, where + e.getMessage(), e);
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    if (ch == null) {
      return;
    }
    try {
      ch.close();
    } catch (IOException ignored) {
      // Best effort.
    }
  }

  /**
   * SSLRequest, exactly one byte of answer, then the handshake (protocol-notes §1.2).
   *
   * @return the TLS socket, or null when the server declined and sslmode allows plain text
   */
  private static SSLSocket negotiateTls(
      SocketChannel ch, ConnectionConfig cfg, long deadline, String where) {
    int answer;
    try {
      ByteBuffer request = ByteBuffer.allocate(8).putInt(8).putInt(FrontendMessage.SslRequest.CODE);
      request.flip();
      while (request.hasRemaining()) {
        ch.write(request);
      }
      Socket socket = ch.socket();
      socket.setSoTimeout(
          deadline == 0 ? 0 : (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      // One byte only: anything read beyond it before the handshake could be injected
      // (CVE-2021-23222).
      answer = socket.getInputStream().read();
      socket.setSoTimeout(0);
    } catch (SocketTimeoutException e) {
      throw new PgException(SqlState.CONNECTION_UNABLE, where + "timeout expired", e);
    } catch (IOException e) {
      throw new PgException(SqlState.CONNECTION_UNABLE, where + "connection lost: " + e.getMessage(), e);
    }
    if (answer < 0) {
      throw new PgException(SqlState.CONNECTION_UNABLE, where + "server closed the connection unexpectedly");
    }
    if (answer == 'N') {
      if (cfg.sslMode() == SslMode.PREFER || cfg.sslMode() == SslMode.ALLOW) {
        return null;
      }
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          where + "server does not support SSL, but SSL was required",
          null,
          "Enable ssl on the server, or connect with sslmode=prefer or disable.",
          null);
    }
    if (answer != 'S') {
      // An 'E' here comes from a server that predates SSL; never show unauthenticated text.
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          where + "received invalid response to SSL negotiation: " + Wire.typeName((byte) answer));
    }
    try {
      return Tls.handshake(ch.socket(), cfg);
    } catch (PgException e) {
      throw new PgException(e.sqlState(), where + e.getMessage(), e.detail(), e.hint(), e);
    }
  }

  private static ReplicationConnection startup(
      ConnectionConfig cfg,
      Transport transport,
      SSLSocket tls,
      long deadline,
      String where,
      Consumer<ServerError> notices) {
    MessageReader reader = new MessageReader(
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
        new Authenticator(cfg, tls != null, () -> tlsServerEndPoint(tls));
    Map<String, String> parameters = new LinkedHashMap<>();
    int pid = 0;
    while (true) {
      BackendMessage m = next(reader, deadline, where);
      if (m instanceof BackendMessage.AuthenticationRequest req) {
        List<FrontendMessage> replies;
        try {
          replies = auth.handle(req);
        } catch (PgException e) {
          throw new PgException(e.sqlState(), where + e.getMessage(), e.detail(), e.hint(), e);
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
              SqlState.CONNECTION_UNABLE, "\"integer_datetimes\" compile flag does not match server");
        }
        return new ReplicationConnection(
            cfg, transport, reader, writer, notices, parameters, pid, tls != null, auth.channelBound());
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
