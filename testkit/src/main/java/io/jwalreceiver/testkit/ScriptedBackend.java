// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import static io.jwalreceiver.testkit.BackendBytes.concat;
import static io.jwalreceiver.testkit.BackendBytes.cstring;
import static io.jwalreceiver.testkit.BackendBytes.frame;
import static io.jwalreceiver.testkit.BackendBytes.int32;
import static io.jwalreceiver.testkit.BackendBytes.int64;
import static io.jwalreceiver.testkit.BackendBytes.parameterStatus;
import static io.jwalreceiver.testkit.BackendBytes.readyForQuery;
import static io.jwalreceiver.testkit.BackendBytes.result;
import static io.jwalreceiver.testkit.BackendBytes.resultSet;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * A scripted PostgreSQL backend on a loopback socket: the one fake server of the tests. It speaks
 * enough of the replication protocol for our tools (SSLRequest declined, or accepted with a TLS
 * handshake when {@linkplain #ScriptedBackend(SSLContext) given a context}; GSSENCRequest declined;
 * trust authentication, a PostgreSQL 15 {@code server_version}, IDENTIFY_SYSTEM, the SHOWs they
 * ask) and answers other commands with {@linkplain #on scripts}: the way to make a hostile server
 * reproducible. {@link BaseBackupWriter} writes the PostgreSQL 15+ shape of BASE_BACKUP's answer
 * (result sets, one COPY OUT of typed CopyData, end position). One connection at a time; a script
 * may simply keep writing until the client goes away. It records the command of every query and the
 * type of every message the client sends. Byte-level: it depends on nothing of the library under
 * test.
 *
 * <pre>{@code
 * try (ScriptedBackend server = new ScriptedBackend()
 *     .on("START_REPLICATION", (command, out) -> out.write(hostileBytes))
 *     .start()) {
 *   ... connect to 127.0.0.1:server.port() with sslmode=disable ...
 * }
 * }</pre>
 */
public final class ScriptedBackend implements AutoCloseable {

  /** The startup packet's protocol code of an SSLRequest. */
  private static final int SSL_REQUEST = 80877103;

  /** The startup packet's protocol code of a GSSENCRequest. */
  private static final int GSSENC_REQUEST = 80877104;

  /**
   * Answers one command. A script that throws {@link java.io.EOFException} hangs up; one that
   * returns leaves the connection open for the client's next message.
   */
  @FunctionalInterface
  public interface Script {
    /**
     * Writes the answer.
     *
     * @param command the query text (empty for the startup packet)
     * @param out the connection to the client; flushed after the script returns
     * @throws IOException to end the connection
     */
    void answer(String command, OutputStream out) throws IOException;
  }

  private final ServerSocket listener;
  private final Thread thread;
  private final Map<String, Script> scripts = new LinkedHashMap<>();
  private final Map<Character, Script> messageScripts = new LinkedHashMap<>();
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final List<Character> received = new CopyOnWriteArrayList<>();
  private final CountDownLatch firstConnectionDone = new CountDownLatch(1);
  private volatile String timeline = "1";
  private volatile @Nullable Script startup;
  private final @Nullable SSLContext tls;
  private volatile boolean handshaken;

  /**
   * Binds a free port on the loopback address; {@link #start()} begins accepting.
   *
   * @throws IOException if the port cannot be bound
   */
  public ScriptedBackend() throws IOException {
    this(null);
  }

  /**
   * Binds a free port on the loopback address; {@link #start()} begins accepting. An SSLRequest is
   * accepted with {@code 'S'} and a TLS handshake as the server of {@code tls}.
   *
   * @param tls the server's TLS context, for example {@link TestTls#serverContext()}; null to
   *     decline SSLRequest with {@code 'N'}
   * @throws IOException if the port cannot be bound
   */
  public ScriptedBackend(@Nullable SSLContext tls) throws IOException {
    this.tls = tls;
    listener = new ServerSocket();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    thread = new Thread(this::serve, "scripted-backend");
    thread.setDaemon(true);
  }

  /**
   * Answers commands that start with {@code prefix} with {@code script} (the first matching prefix,
   * in the order they were added, wins over the built-in answers).
   *
   * @param prefix the start of the command text
   * @param script the answer
   * @return this server
   */
  public ScriptedBackend on(String prefix, Script script) {
    scripts.put(prefix, script);
    return this;
  }

  /**
   * Answers the startup packet with {@code script} instead of authentication, parameters and
   * ReadyForQuery (its command is empty).
   *
   * @param script the answer
   * @return this server
   */
  public ScriptedBackend onStartup(Script script) {
    this.startup = script;
    return this;
  }

  /**
   * Answers each frontend message of {@code type} other than a query (for example {@code 'p'}, a
   * SASL or password response) with {@code script}; its command is empty. Other such messages are
   * read and dropped.
   *
   * @param type the message type
   * @param script the answer
   * @return this server
   */
  public ScriptedBackend onMessage(char type, Script script) {
    messageScripts.put(type, script);
    return this;
  }

  /**
   * Sets the timeline IDENTIFY_SYSTEM reports.
   *
   * @param tli the timeline (1 unless set)
   * @return this server
   */
  public ScriptedBackend timeline(int tli) {
    this.timeline = Integer.toString(tli);
    return this;
  }

  /**
   * Starts accepting connections.
   *
   * @return this server
   */
  public ScriptedBackend start() {
    thread.start();
    return this;
  }

  /**
   * The port on {@code 127.0.0.1}.
   *
   * @return the port
   */
  public int port() {
    return listener.getLocalPort();
  }

  /**
   * The commands received so far, in order.
   *
   * @return a live, thread-safe view
   */
  public List<String> commands() {
    return commands;
  }

  /**
   * The type of every message the client sent after the startup packet, in order.
   *
   * @return a live, thread-safe view
   */
  public List<Character> received() {
    return received;
  }

  /**
   * Whether a TLS handshake completed.
   *
   * @return true once a client negotiated TLS
   */
  public boolean tlsHandshaken() {
    return handshaken;
  }

  /**
   * Waits until the first client's connection has ended.
   *
   * @param timeout how long to wait at most
   * @throws InterruptedException if interrupted
   * @throws AssertionError if the client is still connected at the timeout
   */
  public void awaitClientGone(Duration timeout) throws InterruptedException {
    if (!firstConnectionDone.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the client did not close the connection within " + timeout);
    }
  }

  private void serve() {
    while (!listener.isClosed()) {
      try (Socket s = listener.accept()) {
        converse(s);
      } catch (IOException e) {
        // Client gone, or listener closed.
      } finally {
        firstConnectionDone.countDown();
      }
    }
  }

  private void converse(Socket plain) throws IOException {
    Socket s = plain;
    DataInputStream in = new DataInputStream(s.getInputStream());
    DataOutputStream out = new DataOutputStream(s.getOutputStream());
    while (true) {
      int request = readStartupPacket(in);
      SSLContext context = tls;
      if (request == SSL_REQUEST && context != null) {
        out.write('S');
        out.flush();
        SSLSocket t =
            (SSLSocket)
                context.getSocketFactory().createSocket(plain, null, plain.getPort(), false);
        t.setUseClientMode(false);
        t.startHandshake();
        handshaken = true;
        s = t;
        in = new DataInputStream(s.getInputStream());
        out = new DataOutputStream(s.getOutputStream());
      } else if (request == SSL_REQUEST || request == GSSENC_REQUEST) {
        out.write('N');
        out.flush();
      } else {
        break;
      }
    }
    Script startupScript = startup;
    if (startupScript != null) {
      startupScript.answer("", out);
    } else {
      out.write(
          concat(
              frame('R', int32(0)),
              parameterStatus("server_version", "15.13"),
              parameterStatus("integer_datetimes", "on"),
              frame('K', concat(int32(4242), int32(7))),
              readyForQuery()));
    }
    out.flush();
    // Until the client hangs up (end of stream) or says Terminate.
    for (int type = in.read(); type >= 0; type = in.read()) {
      received.add((char) type);
      if (type == 'X') {
        return;
      }
      byte[] body = new byte[in.readInt() - 4];
      in.readFully(body);
      if (type == 'Q') {
        String command = new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
        commands.add(command);
        answer(command, out);
      } else {
        Script script = messageScripts.get((char) type);
        if (script != null) {
          script.answer("", out);
        }
      }
      out.flush();
    }
  }

  /**
   * Reads one packet of the startup phase.
   *
   * @return its request code ({@link #SSL_REQUEST}, {@link #GSSENC_REQUEST}) or protocol version
   */
  private static int readStartupPacket(DataInputStream in) throws IOException {
    int length = in.readInt();
    int code = in.readInt();
    in.readFully(new byte[length - 8]); // the startup parameters
    return code;
  }

  private void answer(String command, OutputStream out) throws IOException {
    for (Map.Entry<String, Script> e : scripts.entrySet()) {
      if (command.startsWith(e.getKey())) {
        e.getValue().answer(command, out);
        return;
      }
    }
    if (command.startsWith("IDENTIFY_SYSTEM")) {
      out.write(
          result(
              List.of("systemid", "timeline", "xlogpos", "dbname"),
              Arrays.asList("7000000000000000001", timeline, "0/3000000", null),
              "IDENTIFY_SYSTEM"));
    } else if (command.startsWith("SHOW wal_segment_size")) {
      out.write(result(List.of("wal_segment_size"), List.of("16MB"), "SHOW"));
    } else if (command.startsWith("SHOW wal_sender_timeout")) {
      out.write(result(List.of("wal_sender_timeout"), List.of("60s"), "SHOW"));
    } else if (command.startsWith("SHOW data_directory_mode")) {
      out.write(result(List.of("data_directory_mode"), List.of("0700"), "SHOW"));
    } else {
      // As a server refuses what it does not know: an error, then ready for the next command.
      out.write(BackendBytes.error("42601", "scripted server cannot answer " + command));
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    thread.interrupt();
  }

  /** Writes BASE_BACKUP's answer in the PostgreSQL 15+ shape. */
  public static final class BaseBackupWriter {
    /** What a 15+ server sends per CopyData (bbsink_copystream's buffer). */
    public static final int CHUNK = 32 * 1024;

    private final OutputStream out;

    /**
     * A writer onto a script's connection.
     *
     * @param out the connection
     */
    public BaseBackupWriter(OutputStream out) {
      this.out = out;
    }

    /**
     * Start position, the main data directory as the only tablespace, COPY OUT begins.
     *
     * @return this writer
     * @throws IOException if the client is gone
     */
    public BaseBackupWriter begin() throws IOException {
      out.write(resultSet(List.of("recptr", "tli"), List.of(List.of("0/3000028", "1")), "SELECT"));
      List<List<@Nullable String>> base = new ArrayList<>();
      base.add(Arrays.asList(null, null, null));
      out.write(resultSet(List.of("spcoid", "spclocation", "size"), base, "SELECT"));
      out.write(frame('H', new byte[] {0, 0, 0}));
      return this;
    }

    /**
     * A new archive ({@code 'n'}).
     *
     * @param name the archive's name
     * @param tablespacePath the tablespace's path, empty for the main data directory
     * @return this writer
     * @throws IOException if the client is gone
     */
    public BaseBackupWriter archive(String name, String tablespacePath) throws IOException {
      out.write(frame('d', concat(new byte[] {'n'}, cstring(name), cstring(tablespacePath))));
      return this;
    }

    /**
     * Archive or manifest bytes ({@code 'd'}), in server-sized chunks.
     *
     * @param bytes the bytes
     * @return this writer
     * @throws IOException if the client is gone
     */
    public BaseBackupWriter data(byte[] bytes) throws IOException {
      for (int off = 0; off < bytes.length; off += CHUNK) {
        int n = Math.min(CHUNK, bytes.length - off);
        out.write(frame('d', concat(new byte[] {'d'}, Arrays.copyOfRange(bytes, off, off + n))));
      }
      return this;
    }

    /**
     * Progress ({@code 'p'}).
     *
     * @param bytesDone the bytes sent so far
     * @return this writer
     * @throws IOException if the client is gone
     */
    public BaseBackupWriter progress(long bytesDone) throws IOException {
      out.write(frame('d', concat(new byte[] {'p'}, int64(bytesDone))));
      return this;
    }

    /**
     * The manifest follows ({@code 'm'}).
     *
     * @return this writer
     * @throws IOException if the client is gone
     */
    public BaseBackupWriter manifest() throws IOException {
      out.write(frame('d', new byte[] {'m'}));
      return this;
    }

    /**
     * CopyDone, end position, completion.
     *
     * @throws IOException if the client is gone
     */
    public void end() throws IOException {
      out.write(frame('c', new byte[0]));
      out.write(resultSet(List.of("recptr", "tli"), List.of(List.of("0/3000100", "1")), "SELECT"));
      out.write(frame('C', cstring("BASE_BACKUP")));
      out.write(readyForQuery());
    }
  }
}
