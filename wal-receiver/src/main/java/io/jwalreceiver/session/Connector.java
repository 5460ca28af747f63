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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

  static ReplicationConnection connect(ConnectionConfig cfg, Consumer<ServerError> notices) {
    if (cfg.isUnixSocket()) {
      if (cfg.sslMode() == SslMode.REQUIRE || cfg.sslMode().verifiesChain()) {
        throw new PgException(
            SqlState.CONNECTION_UNABLE,
            SocketOpener.where(cfg, null)
                + "sslmode="
                + cfg.sslMode().keyword()
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
      addresses =
          cfg.hostAddr() != null
              ? new InetAddress[] {SocketOpener.numericAddress(cfg.hostAddr())}
              : InetAddress.getAllByName(cfg.host());
    } catch (UnknownHostException e) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE,
          "could not translate host name \""
              + cfg.host()
              + "\" to address: Name or service not known",
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
      ConnectionConfig cfg,
      @Nullable InetAddress address,
      boolean tryTls,
      Consumer<ServerError> notices) {
    long deadline =
        cfg.connectTimeout().isZero()
            ? 0
            : System.nanoTime() + Math.max(2000, cfg.connectTimeout().toMillis()) * 1_000_000L;
    String where = SocketOpener.where(cfg, address);
    SocketOpener.Opened opened = SocketOpener.open(cfg, address, tryTls, deadline, where);
    try {
      return startup(cfg, opened.transport(), opened.tls(), deadline, where, notices);
    } catch (RuntimeException e) {
      opened.transport().close();
      throw e;
    }
  }

  private static ReplicationConnection startup(
      ConnectionConfig cfg,
      Transport transport,
      @Nullable SSLSocket tls,
      long deadline,
      String where,
      Consumer<ServerError> notices) {
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
        return new ReplicationConnection(
            cfg,
            transport,
            reader,
            writer,
            notices,
            parameters,
            pid,
            tls != null,
            auth.channelBound());
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
