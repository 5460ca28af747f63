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
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Transport} over a {@link SocketChannel}: plain TCP, or a Unix-domain socket ({@code
 * <dir>/.s.PGSQL.<port>}). Reads go into direct buffers, so received data reaches the file without
 * a copy through the Java heap.
 *
 * <p>The channel starts non-blocking and waits on selectors, which gives reads their timeout and
 * {@link #wakeup()}. Reads happen on one thread; writes may come from another (a flusher
 * acknowledging WAL), so writes wait on their own selector and never queue behind a blocked read.
 *
 * <p>After {@link #blockingReads()} (a COPY OUT read to its end) the channel blocks instead: a wait
 * for data is one {@code read} rather than {@code read}, {@code EAGAIN}, {@code epoll_wait}, {@code
 * read}. A later read with a timeout switches back.
 */
final class ChannelTransport implements Transport {

  private final SocketChannel channel;

  /** Both null while the channel blocks; a channel registered with a selector cannot block. */
  private @Nullable Selector readSelector;

  private @Nullable Selector writeSelector;

  /** A {@link #wakeup()} that came while the channel blocked, for the next timed read. */
  private volatile boolean wakeupPending;

  ChannelTransport(SocketChannel channel) {
    this.channel = channel;
    try {
      nonBlocking();
    } catch (IOException e) {
      close();
      throw SocketTransport.lost(e);
    }
  }

  /** Non-blocking, with a selector for reads and one for writes. Only on the reading thread. */
  private void nonBlocking() throws IOException {
    channel.configureBlocking(false);
    Selector r = Selector.open();
    readSelector = r;
    channel.register(r, SelectionKey.OP_READ);
    Selector w = Selector.open();
    writeSelector = w;
    channel.register(w, SelectionKey.OP_WRITE);
    if (wakeupPending) {
      wakeupPending = false;
      r.wakeup();
    }
  }

  @Override
  public boolean directBuffers() {
    return true;
  }

  @Override
  public void blockingReads() {
    Selector r = readSelector;
    Selector w = writeSelector;
    if (r == null || w == null) {
      return;
    }
    try {
      // Closing a selector deregisters the channel from it at once.
      readSelector = null;
      writeSelector = null;
      r.close();
      w.close();
      channel.configureBlocking(true);
    } catch (IOException e) {
      throw SocketTransport.lost(e);
    }
  }

  @Override
  public int read(ByteBuffer dst, long timeoutMillis) {
    try {
      Selector selector = readSelector;
      if (selector == null) {
        if (timeoutMillis == 0) {
          // Blocking: returns once at least one byte is there.
          return checked(channel.read(dst));
        }
        nonBlocking();
        selector = Objects.requireNonNull(readSelector);
      }
      int n = channel.read(dst);
      while (n == 0) {
        if (timeoutMillis > 0) {
          selector.select(timeoutMillis);
          selector.selectedKeys().clear();
          n = channel.read(dst);
          break;
        }
        selector.select();
        selector.selectedKeys().clear();
        n = channel.read(dst);
      }
      return checked(n);
    } catch (IOException e) {
      throw SocketTransport.lost(e);
    }
  }

  private static int checked(int n) {
    if (n < 0) {
      throw new PgException(
          SqlState.CONNECTION_FAILURE,
          "server closed the connection unexpectedly",
          new EOFException());
    }
    return n;
  }

  @Override
  public void wakeup() {
    Selector selector = readSelector;
    if (selector == null) {
      // Blocking: no timed read is waiting; the next one returns at once.
      wakeupPending = true;
      return;
    }
    try {
      selector.wakeup();
    } catch (ClosedSelectorException e) {
      // Closed: no read is waiting, and none will.
    }
  }

  @Override
  public void write(ByteBuffer src) {
    try {
      while (src.hasRemaining()) {
        if (channel.write(src) == 0) {
          // Non-blocking and the socket's send buffer is full: wait until it drains. (A blocking
          // channel writes everything before it returns.)
          Selector selector = Objects.requireNonNull(writeSelector, "non-blocking");
          selector.select(1000);
          selector.selectedKeys().clear();
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
