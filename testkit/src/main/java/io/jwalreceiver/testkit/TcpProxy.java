// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP forwarder for fault injection: listens on {@code 127.0.0.1:<free port>} and relays each
 * connection to a target, one daemon thread per direction.
 *
 * <ul>
 *   <li>{@link #cutAll()} resets every live connection on both sides (SO_LINGER 0, so peers see a
 *       reset rather than an orderly end of stream);
 *   <li>{@link #pause()} stalls forwarding in both directions (data read is held, the rest stays in
 *       the kernel buffers) until {@link #resume()};
 *   <li>at most {@value #MAX_CONNECTIONS} connections at once; more are refused by a reset.
 * </ul>
 *
 * <pre>{@code
 * try (TcpProxy proxy = TcpProxy.to(server)) {
 *   connect to proxy.host():proxy.port() ...
 *   proxy.cutAll();   // the client sees the connection drop
 * }
 * }</pre>
 */
public final class TcpProxy implements AutoCloseable {

  /** The most connections relayed at the same time. */
  public static final int MAX_CONNECTIONS = 64;

  private static final int BUFFER_SIZE = 64 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  private volatile String targetHost;
  private volatile int targetPort;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final ReentrantLock gateLock = new ReentrantLock();
  private final Condition resumed = gateLock.newCondition();
  private final AtomicInteger connectionIds = new AtomicInteger();
  private final AtomicLong bytesForwarded = new AtomicLong();
  private volatile boolean paused;
  private volatile boolean closed;

  /**
   * Starts a proxy to a target.
   *
   * @param targetHost where to connect
   * @param targetPort the target's port
   */
  public TcpProxy(String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    listener = ProxySockets.listen();
    acceptor = ProxySockets.startDaemon(this::acceptLoop, "tcp-proxy-" + port() + "-accept");
  }

  /**
   * Starts a proxy to a server's TCP port.
   *
   * @param server the target
   * @return the proxy
   */
  public static TcpProxy to(PostgresServer server) {
    return new TcpProxy(server.host(), server.port());
  }

  /**
   * The address to connect to instead of the target.
   *
   * @return {@code 127.0.0.1}
   */
  public String host() {
    return PostgresServer.HOST;
  }

  /**
   * The port to connect to instead of the target's.
   *
   * @return the listening port
   */
  public int port() {
    return listener.getLocalPort();
  }

  /**
   * How many connections are being relayed now.
   *
   * @return the count
   */
  public int connectionCount() {
    return links.size();
  }

  /**
   * Bytes relayed so far, both directions, all connections.
   *
   * @return the total
   */
  public long bytesForwarded() {
    return bytesForwarded.get();
  }

  /**
   * Relays new connections to another target from now on (a host list whose first reachable host
   * changed: a failover); live connections stay with the old one until cut.
   *
   * @param server the new target
   */
  public void retarget(PostgresServer server) {
    synchronized (this) {
      targetHost = server.host();
      targetPort = server.port();
    }
  }

  /** Stops relaying data (connections stay open) until {@link #resume()}. */
  public void pause() {
    paused = true;
  }

  /** Relays data again after {@link #pause()}. */
  public void resume() {
    gateLock.lock();
    try {
      paused = false;
      resumed.signalAll();
    } finally {
      gateLock.unlock();
    }
  }

  /**
   * Whether relaying is paused.
   *
   * @return true between {@link #pause()} and {@link #resume()}
   */
  public boolean isPaused() {
    return paused;
  }

  /**
   * Resets every live connection, client and target side. New connections are still accepted.
   *
   * @return how many connections were cut
   */
  public int cutAll() {
    List<Link> current = List.copyOf(links);
    current.forEach(Link::reset);
    return current.size();
  }

  /** Stops listening and resets every connection. */
  @Override
  public void close() {
    closed = true;
    ProxySockets.closeQuietly(listener);
    cutAll();
    resume();
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "TcpProxy 127.0.0.1:" + port() + " -> " + targetHost + ":" + targetPort;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // Listener closed.
      }
      if (links.size() >= MAX_CONNECTIONS) {
        ProxySockets.reset(client);
        continue;
      }
      Socket upstream = new Socket();
      InetSocketAddress target;
      synchronized (this) {
        target = new InetSocketAddress(targetHost, targetPort);
      }
      try {
        upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
      } catch (IOException e) {
        ProxySockets.reset(upstream);
        ProxySockets.reset(client);
        continue;
      }
      Link link = new Link(connectionIds.incrementAndGet(), client, upstream);
      links.add(link);
      if (closed) {
        link.reset();
        return;
      }
      link.start();
    }
  }

  /** Blocks while paused; returns at once when the link has been cut. */
  private void awaitResumed(Link link) throws InterruptedException {
    if (!paused) {
      return;
    }
    gateLock.lock();
    try {
      while (paused && !link.closed) {
        // Timed so that a cut link is noticed without a signal.
        resumed.await(50, TimeUnit.MILLISECONDS);
      }
    } finally {
      gateLock.unlock();
    }
  }

  /** One relayed connection: a client socket, an upstream socket, two pump threads. */
  private final class Link {
    private final int id;
    private final Socket client;
    private final Socket upstream;
    private final AtomicInteger pumpsRunning = new AtomicInteger(2);
    private volatile boolean closed;

    Link(int id, Socket client, Socket upstream) {
      this.id = id;
      this.client = client;
      this.upstream = upstream;
    }

    void start() {
      startPump(client, upstream, "c2s");
      startPump(upstream, client, "s2c");
    }

    private void startPump(Socket from, Socket to, String direction) {
      ProxySockets.startDaemon(
          () -> pump(from, to), "tcp-proxy-" + port() + "-" + id + "-" + direction);
    }

    private void pump(Socket from, Socket to) {
      byte[] buffer = new byte[BUFFER_SIZE];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (true) {
          int n = in.read(buffer);
          if (n < 0) {
            // Orderly end from one side: pass the half-close on.
            to.shutdownOutput();
            break;
          }
          awaitResumed(this);
          if (closed) {
            break;
          }
          out.write(buffer, 0, n);
          out.flush();
          bytesForwarded.addAndGet(n);
        }
      } catch (IOException e) {
        // A reset on either side ends the whole link.
        reset();
      } catch (InterruptedException e) {
        reset();
        Thread.currentThread().interrupt();
      } finally {
        if (pumpsRunning.decrementAndGet() == 0) {
          closeQuietly();
        }
      }
    }

    void reset() {
      closed = true;
      ProxySockets.reset(client);
      ProxySockets.reset(upstream);
      links.remove(this);
    }

    private void closeQuietly() {
      closed = true;
      try {
        client.close();
      } catch (IOException e) {
        // Gone.
      }
      try {
        upstream.close();
      } catch (IOException e) {
        // Gone.
      }
      links.remove(this);
    }
  }
}
