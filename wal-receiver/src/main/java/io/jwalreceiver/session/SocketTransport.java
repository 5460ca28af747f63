// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Transport;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * A {@link Transport} over a {@link Socket}: plain TCP, or TLS once {@link #upgrade} has swapped
 * in an {@code SSLSocket} layered on the same connection.
 */
final class SocketTransport implements Transport {

  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private int currentTimeout = -1;

  SocketTransport(Socket socket) {
    use(socket);
  }

  /** Replaces the socket, for the TLS upgrade after SSLRequest. */
  void upgrade(Socket tlsSocket) {
    use(tlsSocket);
  }

  Socket socket() {
    return socket;
  }

  private void use(Socket s) {
    try {
      this.socket = s;
      this.in = s.getInputStream();
      this.out = s.getOutputStream();
      this.currentTimeout = -1;
    } catch (IOException e) {
      throw lost(e);
    }
  }

  /** Reads exactly one byte (the SSLRequest answer): nothing more may be consumed before TLS. */
  int readOneByte() {
    try {
      int b = in.read();
      if (b < 0) {
        throw lost(new EOFException("server closed the connection unexpectedly"));
      }
      return b;
    } catch (IOException e) {
      throw lost(e);
    }
  }

  @Override
  public int read(ByteBuffer dst, long timeoutMillis) {
    try {
      int t = (int) Math.min(Integer.MAX_VALUE, Math.max(0, timeoutMillis));
      if (t != currentTimeout) {
        socket.setSoTimeout(t);
        currentTimeout = t;
      }
      int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
      if (n < 0) {
        throw lost(new EOFException("server closed the connection unexpectedly"));
      }
      dst.position(dst.position() + n);
      return n;
    } catch (SocketTimeoutException e) {
      return 0;
    } catch (IOException e) {
      throw lost(e);
    }
  }

  @Override
  public void write(ByteBuffer src) {
    try {
      out.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
      out.flush();
      src.position(src.limit());
    } catch (IOException e) {
      throw lost(e);
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is best effort; the connection is gone either way.
    }
  }

  static PgException lost(IOException e) {
    String why = e instanceof EOFException ? e.getMessage() : "connection lost: " + e.getMessage();
    return new PgException(SqlState.CONNECTION_FAILURE, why, e);
  }
}
