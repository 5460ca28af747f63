// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback TCP server that speaks just enough of the PostgreSQL protocol for a physical
 * replication client to connect and stream: it accepts the startup packet (declining an SSLRequest)
 * without a password, reports itself as PostgreSQL 15, answers any simple query other than {@code
 * START_REPLICATION} with an empty CommandComplete, and on {@code START_REPLICATION} enters COPY
 * BOTH and sends a pre-generated stream of CopyData frames ({@link SyntheticWal}) over and over
 * until the client disconnects. What the client sends during COPY BOTH (status updates) is read and
 * dropped on a second thread.
 *
 * <p>It exists so that two client libraries can be measured on the same bytes through the same kind
 * of socket, without a server's WAL generation or disk in the way. Not a server: no authentication,
 * no error handling beyond closing the connection.
 */
public final class FakeWalSender implements AutoCloseable {

  private final byte[] frames;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final List<Socket> sockets = new ArrayList<>();
  private volatile boolean closed;

  /**
   * Starts listening on 127.0.0.1 on a free port.
   *
   * @param frames complete CopyData frames, replayed endlessly after START_REPLICATION
   */
  public FakeWalSender(byte[] frames) throws IOException {
    this.frames = frames.clone();
    this.listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "fake-walsender-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port to connect to on 127.0.0.1. */
  public int port() {
    return listener.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = listener.accept();
        s.setTcpNoDelay(true);
        synchronized (sockets) {
          sockets.add(s);
        }
        Thread t = new Thread(() -> serve(s), "fake-walsender");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      startup(in, out);
      while (true) {
        byte type = in.readByte();
        byte[] body = new byte[in.readInt() - 4];
        in.readFully(body);
        if (type == 'X') {
          return;
        }
        if (type != 'Q') {
          return;
        }
        String query = new String(body, 0, body.length - 1, StandardCharsets.UTF_8).trim();
        if (query.startsWith("START_REPLICATION")) {
          stream(in, out);
          return;
        }
        out.write(message('C', cString("SELECT 0")));
        out.write(message('Z', new byte[] {'I'}));
        out.flush();
      }
    } catch (IOException e) {
      // The client went away: the normal end of a benchmark.
    }
  }

  private static void startup(DataInputStream in, OutputStream out) throws IOException {
    while (true) {
      int length = in.readInt();
      int code = in.readInt();
      byte[] rest = new byte[length - 8];
      in.readFully(rest);
      if (code == 80877103 || code == 80877104) {
        // SSLRequest or GSSENCRequest: declined, the client goes on in the clear.
        out.write('N');
        out.flush();
        continue;
      }
      if (code != 196608) {
        throw new IOException("unsupported protocol " + code);
      }
      break;
    }
    ByteBuffer ok = ByteBuffer.allocate(4).putInt(0);
    out.write(message('R', ok.array()));
    String[][] params = {
      {"server_version", "15.18"},
      {"server_encoding", "UTF8"},
      {"client_encoding", "UTF8"},
      {"DateStyle", "ISO, MDY"},
      {"integer_datetimes", "on"},
      {"standard_conforming_strings", "on"},
      {"TimeZone", "UTC"},
      {"application_name", "bench"},
      {"is_superuser", "on"},
      {"session_authorization", "bench"}
    };
    for (String[] p : params) {
      byte[] k = cString(p[0]);
      byte[] v = cString(p[1]);
      byte[] body = new byte[k.length + v.length];
      System.arraycopy(k, 0, body, 0, k.length);
      System.arraycopy(v, 0, body, k.length, v.length);
      out.write(message('S', body));
    }
    out.write(message('K', ByteBuffer.allocate(8).putInt(4242).putInt(1).array()));
    out.write(message('Z', new byte[] {'I'}));
    out.flush();
  }

  private void stream(InputStream in, OutputStream out) throws IOException {
    // CopyBothResponse: overall format 0 (text), no columns.
    out.write(message('W', new byte[] {0, 0, 0}));
    out.flush();
    Thread drain =
        new Thread(
            () -> {
              byte[] sink = new byte[8192];
              try {
                while (in.read(sink) >= 0) {
                  // Status updates and CopyDone: dropped.
                }
              } catch (IOException e) {
                // closed
              }
            },
            "fake-walsender-drain");
    drain.setDaemon(true);
    drain.start();
    while (!closed) {
      out.write(frames);
    }
  }

  private static byte[] cString(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    byte[] c = new byte[b.length + 1];
    System.arraycopy(b, 0, c, 0, b.length);
    return c;
  }

  private static byte[] message(char type, byte[] body) {
    return ByteBuffer.allocate(5 + body.length)
        .put((byte) type)
        .putInt(4 + body.length)
        .put(body)
        .array();
  }
}
