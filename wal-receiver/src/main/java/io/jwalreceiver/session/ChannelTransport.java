// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Transport;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * A {@link Transport} over a non-blocking {@link SocketChannel}: plain TCP, or a Unix-domain socket
 * ({@code <dir>/.s.PGSQL.<port>}). Reads go into direct buffers, so received WAL reaches the
 * segment file without a copy through the Java heap; waits use selectors, which also gives reads
 * their timeout.
 *
 * <p>Reads happen on one thread; writes may come from another (a flusher acknowledging WAL), so
 * writes wait on their own selector and never queue behind a blocked read.
 */
final class ChannelTransport implements Transport {

  private final SocketChannel channel;
  private final Selector readSelector;
  private final Selector writeSelector;

  ChannelTransport(SocketChannel channel) {
    this.channel = channel;
    try {
      channel.configureBlocking(false);
      this.readSelector = Selector.open();
      channel.register(readSelector, SelectionKey.OP_READ);
      this.writeSelector = Selector.open();
      channel.register(writeSelector, SelectionKey.OP_WRITE);
    } catch (IOException e) {
      close();
      throw SocketTransport.lost(e);
    }
  }

  @Override
  public boolean directBuffers() {
    return true;
  }

  @Override
  public int read(ByteBuffer dst, long timeoutMillis) {
    try {
      int n = channel.read(dst);
      while (n == 0) {
        if (timeoutMillis > 0) {
          readSelector.select(timeoutMillis);
          readSelector.selectedKeys().clear();
          n = channel.read(dst);
          break;
        }
        readSelector.select();
        readSelector.selectedKeys().clear();
        n = channel.read(dst);
      }
      if (n < 0) {
        throw new PgException(
            SqlState.CONNECTION_FAILURE,
            "server closed the connection unexpectedly",
            new EOFException());
      }
      return n;
    } catch (IOException e) {
      throw SocketTransport.lost(e);
    }
  }

  @Override
  public void wakeup() {
    try {
      readSelector.wakeup();
    } catch (ClosedSelectorException e) {
      // Closed: no read is waiting, and none will.
    }
  }

  @Override
  public void write(ByteBuffer src) {
    try {
      while (src.hasRemaining()) {
        if (channel.write(src) == 0) {
          // The socket's send buffer is full: wait until it drains.
          writeSelector.select(1000);
          writeSelector.selectedKeys().clear();
        }
      }
    } catch (IOException e) {
      throw SocketTransport.lost(e);
    }
  }

  @Override
  public void close() {
    for (AutoCloseable c : new AutoCloseable[] {readSelector, writeSelector, channel}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception ignored) {
          // Best effort: the connection is going away.
        }
      }
    }
  }
}
