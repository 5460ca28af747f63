// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramException;
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
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationCleartextPassword;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationMd5Password;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationOk;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSasl;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslContinue;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslFinal;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationUnsupported;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.HexFormat;
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

  /** The reader's buffer: 4 MiB holds 32 of the walsender's largest (128 KiB) messages. */
  /** Most distinct ParameterStatus names accepted during startup (servers report about 20). */
  static final int MAX_PARAMETERS = 1000;

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
      addresses = InetAddress.getAllByName(cfg.host());
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

  private static boolean isAuthRejection(PgException e) {
    return e.fromServer() && e.sqlState().classCode().equals("28");
  }

  private static boolean isTlsFailure(PgException e) {
    return !e.fromServer() && e.getMessage().contains("SSL error");
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
      return Tls.handshake(ch.socket(), cfg.host(), cfg.port(), cfg);
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

    Auth auth = new Auth(cfg, tls, where);
    Map<String, String> parameters = new LinkedHashMap<>();
    int pid = 0;
    boolean authenticated = false;
    while (true) {
      BackendMessage m = next(reader, deadline, where);
      if (m instanceof BackendMessage.AuthenticationRequest req) {
        FrontendMessage reply = auth.respond(req);
        if (reply != null) {
          writer.send(reply);
        }
        if (req instanceof AuthenticationOk) {
          auth.checkBindingSatisfied();
          authenticated = true;
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
        continue;
      } else if (m instanceof ErrorResponse e) {
        throw new PgException(where, e.error());
      } else if (m instanceof ReadyForQuery && authenticated) {
        if (!"on".equals(parameters.getOrDefault("integer_datetimes", "on"))) {
          throw new PgException(
              SqlState.CONNECTION_UNABLE, "\"integer_datetimes\" compile flag does not match server");
        }
        return new ReplicationConnection(
            cfg, transport, reader, writer, notices, parameters, pid, tls != null, auth.channelBound);
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

  /** The authentication exchange: one instance per attempt. */
  static final class Auth {
    private final ConnectionConfig cfg;
    private final SSLSocket tls;
    private final String where;
    private ScramClient scram;
    boolean channelBound;
    private String password;

    Auth(ConnectionConfig cfg, SSLSocket tls, String where) {
      this.cfg = cfg;
      this.tls = tls;
      this.where = where;
    }

    /** The reply to one authentication request, or null when none is due. */
    FrontendMessage respond(BackendMessage.AuthenticationRequest req) {
      if (req instanceof AuthenticationOk) {
        return null;
      }
      if (req instanceof AuthenticationCleartextPassword) {
        refuseWithoutBinding();
        return new FrontendMessage.PasswordMessage(password());
      }
      if (req instanceof AuthenticationMd5Password md5) {
        refuseWithoutBinding();
        return new FrontendMessage.PasswordMessage(md5Hash(password(), cfg.user(), md5.salt()));
      }
      if (req instanceof AuthenticationSasl sasl) {
        return saslStart(sasl.mechanisms());
      }
      if (req instanceof AuthenticationSaslContinue c) {
        return saslContinue(c.data());
      }
      if (req instanceof AuthenticationSaslFinal f) {
        saslFinal(f.data());
        return null;
      }
      int code = ((AuthenticationUnsupported) req).code();
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          where + "authentication method " + code + " not supported",
          null,
          "jwalreceiver supports trust, password, md5 and scram-sha-256 authentication.",
          null);
    }

    void checkBindingSatisfied() {
      if (cfg.channelBinding() == ChannelBinding.REQUIRE && !channelBound) {
        throw new PgException(
            SqlState.INVALID_AUTHORIZATION,
            where + "channel binding required, but server authenticated client without channel"
                + " binding");
      }
    }

    private void refuseWithoutBinding() {
      if (cfg.channelBinding() == ChannelBinding.REQUIRE) {
        throw new PgException(
            SqlState.INVALID_AUTHORIZATION,
            where + "channel binding required but not supported by server's authentication"
                + " request");
      }
    }

    private String password() {
      if (password != null) {
        return password;
      }
      String p = cfg.password();
      if (p == null && cfg.passFile() != null) {
        // PgPassFile maps the default socket directory to "localhost", as libpq does.
        p = PgPassFile.lookup(
                cfg.passFile(), cfg.host(), cfg.port(),
                cfg.database() == null ? cfg.user() : cfg.database(), cfg.user(), w -> {})
            .orElse(null);
      }
      if (p == null && cfg.passwordPrompt() != null) {
        p = cfg.passwordPrompt().ask();
      }
      if (p == null || p.isEmpty()) {
        throw new PgException(
            SqlState.INVALID_PASSWORD,
            where + "fe_sendauth: no password supplied",
            null,
            "Give the password in PGPASSWORD or ~/.pgpass, or leave out -w to be asked for it.",
            null);
      }
      password = p;
      return p;
    }

    private FrontendMessage saslStart(List<String> mechanisms) {
      boolean plusOffered = mechanisms.contains("SCRAM-SHA-256-PLUS");
      boolean useBinding = tls != null && cfg.channelBinding() != ChannelBinding.DISABLE;
      if (cfg.channelBinding() == ChannelBinding.REQUIRE && !(tls != null && plusOffered)) {
        throw new PgException(
            SqlState.INVALID_AUTHORIZATION,
            where + "channel binding is required, but server did not offer an authentication"
                + " method that supports channel binding");
      }
      if (!mechanisms.contains("SCRAM-SHA-256") && !plusOffered) {
        throw new PgException(
            SqlState.CONNECTION_UNABLE,
            where + "none of the server's SASL authentication mechanisms are supported");
      }
      List<String> advertised = new ArrayList<>();
      for (String m : mechanisms) {
        if (m.equals("SCRAM-SHA-256") || (m.equals("SCRAM-SHA-256-PLUS") && useBinding)) {
          advertised.add(m);
        }
      }
      try {
        var stage = ScramClient.builder()
            .advertisedMechanisms(advertised)
            .username("*")
            .password(password().toCharArray());
        if (useBinding) {
          X509Certificate leaf = (X509Certificate) tls.getSession().getPeerCertificates()[0];
          stage.channelBinding(
              TlsServerEndpoint.TLS_SERVER_END_POINT, TlsServerEndpoint.getChannelBindingData(leaf));
        }
        scram = stage.stringPreparation(StringPreparation.POSTGRESQL_PREPARATION).build();
        String mechanism = scram.getScramMechanism().getName();
        channelBound = mechanism.endsWith("-PLUS");
        byte[] first = scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
        return new FrontendMessage.SaslInitialResponse(mechanism, first);
      } catch (SSLPeerUnverifiedException | CertificateEncodingException e) {
        throw new PgException(
            SqlState.CONNECTION_UNABLE, where + "could not get server certificate for channel binding", e);
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new PgException(SqlState.CONNECTION_UNABLE, where + "SCRAM: " + e.getMessage(), e);
      }
    }

    private FrontendMessage saslContinue(byte[] data) {
      requireScram();
      try {
        scram.serverFirstMessage(new String(data, StandardCharsets.UTF_8));
        byte[] fin = scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8);
        return new FrontendMessage.SaslResponse(fin);
      } catch (ScramException | IllegalArgumentException | IllegalStateException e) {
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION, where + "invalid SCRAM server-first-message: " + e.getMessage(), e);
      }
    }

    private void saslFinal(byte[] data) {
      requireScram();
      try {
        scram.serverFinalMessage(new String(data, StandardCharsets.UTF_8));
      } catch (ScramException | IllegalArgumentException | IllegalStateException e) {
        throw new PgException(
            SqlState.INVALID_AUTHORIZATION,
            where + "SCRAM: the server's signature does not verify: " + e.getMessage(), e);
      }
    }

    private void requireScram() {
      if (scram == null) {
        throw Wire.violation("SASL message before SASL authentication started");
      }
    }
  }

  /** {@code "md5" + hex(md5(hex(md5(password ‖ user)) ‖ salt))} (protocol-notes §1.4). */
  static String md5Hash(String password, String user, byte[] salt) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(password.getBytes(StandardCharsets.UTF_8));
      md.update(user.getBytes(StandardCharsets.UTF_8));
      String inner = HexFormat.of().formatHex(md.digest());
      md.update(inner.getBytes(StandardCharsets.US_ASCII));
      md.update(salt);
      return "md5" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is not available in this JDK", e);
    }
  }
}
