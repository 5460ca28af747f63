// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FakeWire.concat;
import static io.jwalreceiver.cli.faults.FakeWire.cstring;
import static io.jwalreceiver.cli.faults.FakeWire.frame;
import static io.jwalreceiver.cli.faults.FakeWire.int32;
import static io.jwalreceiver.cli.faults.FakeWire.int64;
import static io.jwalreceiver.cli.faults.FakeWire.parameterStatus;
import static io.jwalreceiver.cli.faults.FakeWire.readyForQuery;
import static io.jwalreceiver.cli.faults.FakeWire.result;
import static io.jwalreceiver.cli.faults.FakeWire.resultSet;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process server speaking enough of the replication protocol for our tools (trust
 * authentication, a PostgreSQL 15 server_version, IDENTIFY_SYSTEM, the SHOWs they ask) and
 * answering other commands with scripts: the way to make a hostile server reproducible. {@link
 * BaseBackupWriter} writes the PostgreSQL 15+ shape of BASE_BACKUP's answer (result sets, one
 * COPY OUT of typed CopyData, end position). One connection at a time; a script may simply keep
 * writing until the client goes away.
 */
final class ScriptedReplicationServer implements AutoCloseable {

  /**
   * Answers one command. A script that throws {@link java.io.EOFException} hangs up; one that
   * returns leaves the connection open for the client's next message.
   */
  @FunctionalInterface
  interface Script {
    void answer(String command, OutputStream out) throws IOException;
  }

  private final ServerSocket listener;
  private final Thread thread;
  private final Map<String, Script> scripts = new LinkedHashMap<>();
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private volatile String timeline = "1";
  private volatile Script startup;

  ScriptedReplicationServer() throws IOException {
    listener = new ServerSocket();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    thread = new Thread(this::serve, "scripted-replication-server");
    thread.setDaemon(true);
  }

  /** Answers commands that start with {@code prefix} with {@code script}. */
  ScriptedReplicationServer on(String prefix, Script script) {
    scripts.put(prefix, script);
    return this;
  }

  /**
   * Answers the startup packet with {@code script} instead of authentication, parameters and
   * ReadyForQuery (its command is empty).
   */
  ScriptedReplicationServer onStartup(Script script) {
    this.startup = script;
    return this;
  }

  /** The timeline IDENTIFY_SYSTEM reports (1 unless set). */
  ScriptedReplicationServer timeline(int tli) {
    this.timeline = Integer.toString(tli);
    return this;
  }

  ScriptedReplicationServer start() {
    thread.start();
    return this;
  }

  int port() {
    return listener.getLocalPort();
  }

  /** The commands received so far, in order. */
  List<String> commands() {
    return commands;
  }

  private void serve() {
    while (!listener.isClosed()) {
      try (Socket s = listener.accept()) {
        converse(s);
      } catch (IOException e) {
        // Client gone, or listener closed.
      }
    }
  }

  private void converse(Socket s) throws IOException {
    DataInputStream in = new DataInputStream(s.getInputStream());
    DataOutputStream out = new DataOutputStream(s.getOutputStream());
    int length = in.readInt();
    in.readFully(new byte[length - 4]); // protocol version and parameters
    if (startup != null) {
      startup.answer("", out);
    } else {
      out.write(concat(frame('R', int32(0)), parameterStatus("server_version", "15.13"),
          parameterStatus("integer_datetimes", "on"), frame('K', concat(int32(4242), int32(7))),
          readyForQuery()));
    }
    out.flush();
    while (true) {
      int type;
      try {
        type = in.readUnsignedByte();
      } catch (EOFException e) {
        return;
      }
      byte[] body = new byte[in.readInt() - 4];
      in.readFully(body);
      if (type == 'X') {
        return;
      }
      if (type != 'Q') {
        continue;
      }
      String command = new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
      commands.add(command);
      answer(command, out);
      out.flush();
    }
  }

  private void answer(String command, OutputStream out) throws IOException {
    for (Map.Entry<String, Script> e : scripts.entrySet()) {
      if (command.startsWith(e.getKey())) {
        e.getValue().answer(command, out);
        return;
      }
    }
    if (command.startsWith("IDENTIFY_SYSTEM")) {
      out.write(result(List.of("systemid", "timeline", "xlogpos", "dbname"),
          Arrays.asList("7000000000000000001", timeline, "0/3000000", null), "IDENTIFY_SYSTEM"));
    } else if (command.startsWith("SHOW wal_segment_size")) {
      out.write(result(List.of("wal_segment_size"), List.of("16MB"), "SHOW"));
    } else if (command.startsWith("SHOW wal_sender_timeout")) {
      out.write(result(List.of("wal_sender_timeout"), List.of("60s"), "SHOW"));
    } else if (command.startsWith("SHOW data_directory_mode")) {
      out.write(result(List.of("data_directory_mode"), List.of("0700"), "SHOW"));
    } else {
      // As a server refuses what it does not know: an error, then ready for the next command.
      out.write(concat(frame('E', concat(cstring("SERROR"), cstring("C42601"),
          cstring("Mscripted server cannot answer " + command), new byte[1])), readyForQuery()));
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    thread.interrupt();
  }

  /** Writes BASE_BACKUP's answer in the PostgreSQL 15+ shape. */
  static final class BaseBackupWriter {
    /** What a 15+ server sends per CopyData (bbsink_copystream's buffer). */
    static final int CHUNK = 32 * 1024;

    private final OutputStream out;

    BaseBackupWriter(OutputStream out) {
      this.out = out;
    }

    /** Start position, the main data directory as the only tablespace, COPY OUT begins. */
    BaseBackupWriter begin() throws IOException {
      out.write(resultSet(List.of("recptr", "tli"), List.of(List.of("0/3000028", "1")),
          "SELECT"));
      List<List<String>> base = new ArrayList<>();
      base.add(Arrays.asList(null, null, null));
      out.write(resultSet(List.of("spcoid", "spclocation", "size"), base, "SELECT"));
      out.write(frame('H', new byte[] {0, 0, 0}));
      return this;
    }

    /** A new archive ({@code 'n'}). */
    BaseBackupWriter archive(String name, String tablespacePath) throws IOException {
      out.write(frame('d', concat(new byte[] {'n'}, cstring(name), cstring(tablespacePath))));
      return this;
    }

    /** Archive or manifest bytes ({@code 'd'}), in server-sized chunks. */
    BaseBackupWriter data(byte[] bytes) throws IOException {
      for (int off = 0; off < bytes.length; off += CHUNK) {
        int n = Math.min(CHUNK, bytes.length - off);
        out.write(frame('d', concat(new byte[] {'d'}, Arrays.copyOfRange(bytes, off, off + n))));
      }
      return this;
    }

    /** Progress ({@code 'p'}). */
    BaseBackupWriter progress(long bytesDone) throws IOException {
      out.write(frame('d', concat(new byte[] {'p'}, int64(bytesDone))));
      return this;
    }

    /** The manifest follows ({@code 'm'}). */
    BaseBackupWriter manifest() throws IOException {
      out.write(frame('d', new byte[] {'m'}));
      return this;
    }

    /** CopyDone, end position, completion. */
    void end() throws IOException {
      out.write(frame('c', new byte[0]));
      out.write(resultSet(List.of("recptr", "tli"), List.of(List.of("0/3000100", "1")),
          "SELECT"));
      out.write(frame('C', cstring("BASE_BACKUP")));
      out.write(readyForQuery());
    }
  }
}
