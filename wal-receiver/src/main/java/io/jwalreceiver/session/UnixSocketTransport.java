// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Transport;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * A {@link Transport} over a Unix-domain {@link SocketChannel} ({@code <dir>/.s.PGSQL.<port>}).
 * Reads with a timeout wait on a selector; the channel stays non-blocking once one was asked
 * for, and writes then loop until every byte is out.
 */
final class UnixSocketTransport implements Transport {

  private final SocketChannel channel;
  private Selector selector;

  UnixSocketTransport(SocketChannel channel) {
    this.channel = channel;
  }

  @Override
  public int read(ByteBuffer dst, long timeoutMillis) {
    try {
      if (timeoutMillis > 0) {
        if (selector == null) {
          selector = Selector.open();
          channel.configureBlocking(false);
          channel.register(selector, SelectionKey.OP_READ);
        }
        int n = channel.read(dst);
        if (n == 0) {
          selector.select(timeoutMillis);
          selector.selectedKeys().clear();
          n = channel.read(dst);
        }
        if (n < 0) {
          throw eof();
        }
        return n;
      }
      while (true) {
        int n = channel.read(dst);
        if (n < 0) {
          throw eof();
        }
        if (n > 0) {
          return n;
        }
        if (selector != null) {
          selector.select();
          selector.selectedKeys().clear();
        }
      }
    } catch (IOException e) {
      throw SocketTransport.lost(e);
    }
  }

  private static PgException eof() {
    return new PgException(
        SqlState.CONNECTION_FAILURE,
        "server closed the connection unexpectedly",
        new EOFException());
  }

  @Override
  public void write(ByteBuffer src) {
    try {
      while (src.hasRemaining()) {
        if (channel.write(src) == 0) {
          Thread.onSpinWait();
        }
      }
    } catch (IOException e) {
      throw SocketTransport.lost(e);
    }
  }

  @Override
  public void close() {
    try {
      if (selector != null) {
        selector.close();
      }
      channel.close();
    } catch (IOException ignored) {
      // Best effort.
    }
  }
}
