// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.cli.Main;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.SslMode;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A fake server that completes the startup and the replication commands receivewal needs, then
 * sends one hostile frame at a chosen stage. The whole {@code receivewal} path (connector, query
 * loop, COPY BOTH stream, WAL loop, command line) must end quickly with a protocol-violation
 * error (SQLSTATE 08P01; 08006 when the server simply vanishes), never run out of memory or hang.
 * The byte-level cases of each decoder are in wal-receiver's MessageReaderTest and
 * BackendDecoderTest; this is the end-to-end version over a socket.
 */
class HostileServerTest {

  /** A guard against hangs, not a speed requirement. */
  private static final Duration HANG_GUARD = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** When the hostile bytes are sent. */
  enum Stage {
    /** Right after the startup packet, instead of authentication. */
    STARTUP,
    /** As the answer to IDENTIFY_SYSTEM. */
    QUERY,
    /** As the answer to TIMELINE_HISTORY (IDENTIFY_SYSTEM then reports timeline 2). */
    HISTORY,
    /** As the answer to START_REPLICATION. */
    STREAM
  }

  static Stream<Arguments> hostileFrames() {
    return Stream.of(
        Arguments.of("length 0x7fffffff at startup", Stage.STARTUP,
            frameHeader('R', 0x7fffffff), false, "08P01"),
        Arguments.of("length below 4 at startup", Stage.STARTUP,
            frameHeader('R', 2), false, "08P01"),
        Arguments.of("negative length at startup", Stage.STARTUP,
            frameHeader('R', -8), false, "08P01"),
        Arguments.of("unknown message type at startup", Stage.STARTUP,
            frame('~', new byte[4]), false, "08P01"),
        Arguments.of("length 0x7fffffff answering a query", Stage.QUERY,
            frameHeader('T', 0x7fffffff), false, "08P01"),
        Arguments.of("unknown message type answering a query", Stage.QUERY,
            frame('~', new byte[0]), false, "08P01"),
        Arguments.of("unknown type inside CopyData", Stage.STREAM,
            concat(copyBoth(), frame('d', new byte[] {'z', 1, 2, 3})), false, "08P01"),
        Arguments.of("truncated XLogData", Stage.STREAM,
            concat(copyBoth(), frame('d', new byte[] {'w', 0, 0, 0, 0, 0, 0, 0, 1, 0})),
            false, "08P01"),
        Arguments.of("CopyData of length 0x7fffffff", Stage.STREAM,
            concat(copyBoth(), frameHeader('d', 0x7fffffff)), false, "08P01"),
        Arguments.of("unknown message type in COPY BOTH", Stage.STREAM,
            concat(copyBoth(), frame('~', new byte[0])), false, "08P01"),
        Arguments.of("CopyBothResponse, then end of stream", Stage.STREAM,
            copyBoth(), true, "08006"),
        Arguments.of("ParameterStatus of 40000 bytes at startup", Stage.STARTUP,
            parameterStatus("x", "y".repeat(40000)), false, "08P01"),
        Arguments.of("a new ParameterStatus name after another at startup", Stage.STARTUP,
            manyParameters(1001), false, "08P01"),
        Arguments.of("rows without end answering a query", Stage.QUERY,
            rowsWithoutEnd(), false, "08P01"),
        Arguments.of("a 2 MiB timeline history file", Stage.HISTORY,
            history(2 * 1024 * 1024), false, "08P01"));
  }

  private static byte[] manyParameters(int n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      out.writeBytes(parameterStatus("p" + i, "v"));
    }
    return out.toByteArray();
  }

  /** A RowDescription, then more empty DataRows than any result set may hold. */
  private static byte[] rowsWithoutEnd() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(frame('T', int16(0)));
    byte[] row = frame('D', int16(0));
    for (int i = 0; i < 8 * 1024 * 1024 / 64 + 1; i++) {
      out.writeBytes(row);
    }
    return out.toByteArray();
  }

  /** TIMELINE_HISTORY's answer for timeline 2 with {@code size} bytes of comment lines. */
  private static byte[] history(int size) {
    String line = "# " + "x".repeat(97) + "\n";
    String content = line.repeat(size / line.length() + 1) + "1\t0/3000000\tno recovery target specified\n";
    return result(List.of("filename", "content"),
        List.of("00000002.history", content), "TIMELINE_HISTORY");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileFrames")
  void theLibraryRejectsItWithAProtocolError(
      String name, Stage stage, byte[] hostile, boolean closeAfter, String sqlState)
      throws Exception {
    try (FakeServer server = new FakeServer(stage, hostile, closeAfter)) {
      WalReceiver receiver = new WalReceiver(
          ConnectionConfig.of("127.0.0.1", server.port(), "fake")
              .withSslMode(SslMode.DISABLE)
              .withConnectTimeout(Duration.ofSeconds(5)),
          WalReceiver.Options.defaults().withLoop(false),
          (size, groupAccess) -> SegmentFileSink.open(dir, size),
          size -> ResumePoint.scan(dir, size, w -> {}),
          new WalReceiver.Listener() {},
          InstantSource.system());
      PgException e = assertTimeoutPreemptively(HANG_GUARD,
          () -> catchThrowableOfType(PgException.class, receiver::run), () -> name + " hangs");
      assertThat(e).as(name).isNotNull();
      assertThat(e.sqlState()).as("%s: %s", name, e.getMessage()).isEqualTo(new SqlState(sqlState));
      assertThat(server.stagesReached()).contains(stage);
      System.out.printf("hostile server: %s -> %s %s%n", name, e.sqlState(), e.getMessage());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileFrames")
  void receivewalPrintsOneErrorLineAndExits1(
      String name, Stage stage, byte[] hostile, boolean closeAfter, String sqlState)
      throws Exception {
    try (FakeServer server = new FakeServer(stage, hostile, closeAfter)) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = assertTimeoutPreemptively(HANG_GUARD, () -> {
        try (PrintStream o = new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8);
            PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
          return Main.run(new String[] {"receivewal", "-D", dir.toString(), "--no-loop"}, o, e,
              Map.of("PGHOST", "127.0.0.1", "PGPORT", Integer.toString(server.port()),
                  "PGUSER", "fake", "PGSSLMODE", "disable", "PGCONNECT_TIMEOUT", "5"));
        }
      }, () -> name + " hangs");
      String text = err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(text).isEqualTo(1);
      assertThat(text).startsWith("jwalreceiver: error: ")
          .doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  // ------------------------------------------------------------------------------ wire bytes

  private static byte[] frameHeader(char type, int length) {
    return new byte[] {(byte) type, (byte) (length >>> 24), (byte) (length >>> 16),
        (byte) (length >>> 8), (byte) length};
  }

  private static byte[] frame(char type, byte[] body) {
    return concat(frameHeader(type, body.length + 4), body);
  }

  /** CopyBothResponse: text format, no columns. */
  private static byte[] copyBoth() {
    return frame('W', new byte[] {0, 0, 0});
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] cstring(String s) {
    return concat(s.getBytes(StandardCharsets.UTF_8), new byte[1]);
  }

  private static byte[] int16(int v) {
    return new byte[] {(byte) (v >>> 8), (byte) v};
  }

  private static byte[] int32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  private static byte[] parameterStatus(String name, String value) {
    return frame('S', concat(cstring(name), cstring(value)));
  }

  /** RowDescription (text columns), DataRow, CommandComplete, ReadyForQuery. */
  private static byte[] result(List<String> columns, List<String> values, String tag) {
    ByteArrayOutputStream desc = new ByteArrayOutputStream();
    desc.writeBytes(int16(columns.size()));
    for (String c : columns) {
      desc.writeBytes(cstring(c));
      desc.writeBytes(concat(int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)));
    }
    ByteArrayOutputStream row = new ByteArrayOutputStream();
    row.writeBytes(int16(values.size()));
    for (String v : values) {
      if (v == null) {
        row.writeBytes(int32(-1));
      } else {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        row.writeBytes(int32(b.length));
        row.writeBytes(b);
      }
    }
    return concat(frame('T', desc.toByteArray()), frame('D', row.toByteArray()),
        frame('C', cstring(tag)), frame('Z', new byte[] {'I'}));
  }

  /** One connection at a time: a well-behaved server up to the hostile stage. */
  private static final class FakeServer implements AutoCloseable {
    private final ServerSocket listener;
    private final Stage stage;
    private final byte[] hostile;
    private final boolean closeAfter;
    private final Thread thread;
    private final List<Stage> reached = new CopyOnWriteArrayList<>();

    FakeServer(Stage stage, byte[] hostile, boolean closeAfter) throws IOException {
      this.stage = stage;
      this.hostile = hostile;
      this.closeAfter = closeAfter;
      listener = new ServerSocket();
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      thread = new Thread(this::serve, "fake-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    List<Stage> stagesReached() {
      return reached;
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
      if (attack(Stage.STARTUP, in, out)) {
        return;
      }
      out.write(concat(frame('R', int32(0)), parameterStatus("server_version", "15.13"),
          parameterStatus("integer_datetimes", "on"), frame('K', concat(int32(4242), int32(7))),
          frame('Z', new byte[] {'I'})));
      out.flush();
      while (true) {
        int type;
        try {
          type = in.readUnsignedByte();
        } catch (EOFException e) {
          return;
        }
        int len = in.readInt();
        byte[] body = new byte[len - 4];
        in.readFully(body);
        if (type != 'Q') {
          if (type == 'X') {
            return;
          }
          continue;
        }
        String query = new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
        if (query.startsWith("IDENTIFY_SYSTEM")) {
          if (attack(Stage.QUERY, in, out)) {
            return;
          }
          out.write(result(List.of("systemid", "timeline", "xlogpos", "dbname"),
              Arrays.asList("7000000000000000001", stage == Stage.HISTORY ? "2" : "1",
                  "0/3000000", null),
              "IDENTIFY_SYSTEM"));
        } else if (query.startsWith("SHOW wal_segment_size")) {
          out.write(result(List.of("wal_segment_size"), List.of("1MB"), "SHOW"));
        } else if (query.startsWith("SHOW wal_sender_timeout")) {
          out.write(result(List.of("wal_sender_timeout"), List.of("60s"), "SHOW"));
        } else if (query.startsWith("SHOW data_directory_mode")) {
          out.write(result(List.of("data_directory_mode"), List.of("0700"), "SHOW"));
        } else if (query.startsWith("TIMELINE_HISTORY")) {
          if (attack(Stage.HISTORY, in, out)) {
            return;
          }
        } else if (query.startsWith("START_REPLICATION")) {
          if (attack(Stage.STREAM, in, out)) {
            return;
          }
        } else {
          throw new IOException("fake server cannot answer " + query);
        }
        out.flush();
      }
    }

    /** At the hostile stage: send the bytes, then close or hold until the client gives up. */
    private boolean attack(Stage now, DataInputStream in, DataOutputStream out)
        throws IOException {
      reached.add(now);
      if (now != stage) {
        return false;
      }
      out.write(hostile);
      out.flush();
      if (!closeAfter) {
        // Hold the connection open: the client must give up on its own, not by our EOF.
        while (in.read() >= 0) {
          // Discard whatever the client still sends (status updates, Terminate).
        }
      }
      return true;
    }

    @Override
    public void close() throws IOException {
      listener.close();
      thread.interrupt();
    }
  }
}
