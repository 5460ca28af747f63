// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Transport;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.frontend.FrontendMessage;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Objects;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * Opens the byte stream of one connection attempt: a Unix-domain or TCP socket, then, when asked,
 * SSLRequest and the TLS handshake per sslmode (protocol-notes §1.2). What follows on that stream
 * (startup, authentication) is {@link Connector}'s.
 *
 * <p>Failures carry libpq's wording, prefixed with {@link #where}: {@code connection to server at
 * "h", port p failed: …} or {@code connection to server on socket "/dir/.s.PGSQL.p" failed: …}.
 */
final class SocketOpener {

  /**
   * A connected socket, still blocking and not yet encrypted.
   *
   * @param channel the socket
   */
  record Opened(SocketChannel channel) {

    /** The plain-text stream over the socket (which it makes non-blocking). */
    Transport plain() {
      return new ChannelTransport(channel);
    }

    /** Closes the socket (and whatever stream is over it). */
    void close() {
      closeQuietly(channel);
    }

    /**
     * SSLRequest and the TLS handshake per sslmode (protocol-notes §1.2).
     *
     * @return the TLS socket, or null when the server declined and sslmode allows plain text
     */
    @Nullable SSLSocket secure(ConnectionConfig cfg, long deadline, String where) {
      return negotiateTls(channel, cfg, deadline, where);
    }
  }

  private SocketOpener() {}

  /**
   * Connects to {@code address}, or to the Unix socket when {@code cfg} names one ({@code address}
   * then being null). A failure here is one libpq moves on from to the next address.
   *
   * @param deadline {@link System#nanoTime} by which the connection must be up, or 0 for none
   * @param where {@link #where} for this attempt
   */
  static Opened connect(
      ConnectionConfig cfg, @Nullable InetAddress address, long deadline, String where) {
    SocketChannel ch =
        cfg.isUnixSocket()
            ? openUnix(cfg, where)
            : openTcp(cfg, Objects.requireNonNull(address, "address"), deadline, where);
    return new Opened(ch);
  }

  /**
   * {@code e} with this attempt's {@link #where} in front of its message (SQLSTATE, detail and hint
   * kept): for failures raised below the connection, such as the TLS handshake's and
   * authentication's, that do not know which server they were talking to.
   */
  static PgException prefixed(String where, PgException e) {
    return new PgException(e.sqlState(), where + e.getMessage(), e.detail(), e.hint(), e);
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
    boolean ipv6 =
        address.indexOf(':') >= 0
            && address
                .chars()
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

  /**
   * libpq's prefix for a failure of this attempt ({@code emitHostIdentityInfo}): the {@code
   * hostaddr} when one is given, else the host name with the address it resolved to when that
   * differs.
   */
  static String where(ConnectionConfig cfg, @Nullable InetAddress address) {
    if (cfg.isUnixSocket()) {
      return "connection to server on socket \"" + socketPath(cfg) + "\" failed: ";
    }
    String hostAddr = cfg.hostAddr();
    String host = hostAddr != null ? hostAddr : cfg.host();
    String shown =
        hostAddr == null && address != null && !address.getHostAddress().equals(host)
            ? "\"" + host + "\" (" + address.getHostAddress() + ")"
            : "\"" + host + "\"";
    return "connection to server at " + shown + ", port " + cfg.port() + " failed: ";
  }

  private static Path socketPath(ConnectionConfig cfg) {
    return Path.of(cfg.host(), ".s.PGSQL." + cfg.port());
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
        reason =
            reason.contains("No such file") ? "No such file or directory" : "Connection refused";
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
      int timeout =
          deadline == 0 ? 0 : (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
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

  private static void closeQuietly(@Nullable SocketChannel ch) {
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
   * SSLRequest, exactly one byte of answer, then the handshake (protocol-notes §1.2); see {@link
   * Opened#secure}.
   */
  private static @Nullable SSLSocket negotiateTls(
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
      throw new PgException(
          SqlState.CONNECTION_UNABLE, where + "connection lost: " + e.getMessage(), e);
    }
    if (answer < 0) {
      throw new PgException(
          SqlState.CONNECTION_UNABLE, where + "server closed the connection unexpectedly");
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
      throw prefixed(where, e);
    }
  }
}
