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
 * A {@link Transport} over a stream {@link Socket}: used for TLS connections (an {@code SSLSocket}
 * layered on the TCP channel after SSLRequest). Plain connections use {@link ChannelTransport}.
 */
final class SocketTransport implements Transport {

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private int currentTimeout = -1;

  SocketTransport(Socket socket) {
    try {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
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
    String message = e.getMessage();
    String why =
        e instanceof EOFException && message != null ? message : "connection lost: " + message;
    return new PgException(SqlState.CONNECTION_FAILURE, why, e);
  }
}
