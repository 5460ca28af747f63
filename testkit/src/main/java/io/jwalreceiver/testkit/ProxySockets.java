// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/** What {@link TcpProxy} and {@link HttpFaultProxy} share: their listener, threads and resets. */
final class ProxySockets {

  private ProxySockets() {}

  /** A listener on a free loopback port. */
  static ServerSocket listen() {
    try {
      ServerSocket listener = new ServerSocket();
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
      return listener;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for the proxy", e);
    }
  }

  /** Starts {@code body} on a daemon thread. */
  static Thread startDaemon(Runnable body, String name) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Closes the listener; never throws. */
  static void closeQuietly(ServerSocket listener) {
    try {
      listener.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }

  /** Closes {@code socket} with a reset (SO_LINGER 0) where it can; never throws. */
  static void reset(Socket socket) {
    try {
      if (!socket.isClosed()) {
        socket.setSoLinger(true, 0);
      }
    } catch (SocketException e) {
      // Not connected: a plain close will do.
    }
    try {
      socket.close();
    } catch (IOException e) {
      // Already gone.
    }
  }
}
