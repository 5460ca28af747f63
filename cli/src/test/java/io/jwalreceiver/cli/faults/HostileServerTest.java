// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.testkit.BackendBytes.concat;
import static io.jwalreceiver.testkit.BackendBytes.frame;
import static io.jwalreceiver.testkit.BackendBytes.frameHeader;
import static io.jwalreceiver.testkit.BackendBytes.int16;
import static io.jwalreceiver.testkit.BackendBytes.parameterStatus;
import static io.jwalreceiver.testkit.BackendBytes.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.SslMode;
import io.jwalreceiver.testkit.ScriptedBackend;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A fake server that completes the startup and the replication commands receivewal needs, then
 * sends one hostile frame at a chosen stage. The whole {@code receivewal} path (connector, query
 * loop, COPY BOTH stream, WAL loop, command line) must end quickly with a protocol-violation error
 * (SQLSTATE 08P01; 08006 when the server simply vanishes), never run out of memory or hang. The
 * byte-level cases of each decoder are in wal-receiver's MessageReaderTest and BackendDecoderTest;
 * this is the end-to-end version over a socket.
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
        Arguments.of(
            "length 0x7fffffff at startup",
            Stage.STARTUP,
            frameHeader('R', 0x7fffffff),
            false,
            "08P01"),
        Arguments.of(
            "length below 4 at startup", Stage.STARTUP, frameHeader('R', 2), false, "08P01"),
        Arguments.of(
            "negative length at startup", Stage.STARTUP, frameHeader('R', -8), false, "08P01"),
        Arguments.of(
            "unknown message type at startup",
            Stage.STARTUP,
            frame('~', new byte[4]),
            false,
            "08P01"),
        Arguments.of(
            "length 0x7fffffff answering a query",
            Stage.QUERY,
            frameHeader('T', 0x7fffffff),
            false,
            "08P01"),
        Arguments.of(
            "unknown message type answering a query",
            Stage.QUERY,
            frame('~', new byte[0]),
            false,
            "08P01"),
        Arguments.of(
            "unknown type inside CopyData",
            Stage.STREAM,
            concat(copyBoth(), frame('d', new byte[] {'z', 1, 2, 3})),
            false,
            "08P01"),
        Arguments.of(
            "truncated XLogData",
            Stage.STREAM,
            concat(copyBoth(), frame('d', new byte[] {'w', 0, 0, 0, 0, 0, 0, 0, 1, 0})),
            false,
            "08P01"),
        Arguments.of(
            "CopyData of length 0x7fffffff",
            Stage.STREAM,
            concat(copyBoth(), frameHeader('d', 0x7fffffff)),
            false,
            "08P01"),
        Arguments.of(
            "unknown message type in COPY BOTH",
            Stage.STREAM,
            concat(copyBoth(), frame('~', new byte[0])),
            false,
            "08P01"),
        Arguments.of(
            "CopyBothResponse, then end of stream", Stage.STREAM, copyBoth(), true, "08006"),
        Arguments.of(
            "ParameterStatus of 40000 bytes at startup",
            Stage.STARTUP,
            parameterStatus("x", "y".repeat(40000)),
            false,
            "08P01"),
        Arguments.of(
            "a new ParameterStatus name after another at startup",
            Stage.STARTUP,
            manyParameters(1001),
            false,
            "08P01"),
        Arguments.of(
            "rows without end answering a query", Stage.QUERY, rowsWithoutEnd(), false, "08P01"),
        Arguments.of(
            "a 2 MiB timeline history file",
            Stage.HISTORY,
            history(2 * 1024 * 1024),
            false,
            "08P01"));
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
    String content =
        line.repeat(size / line.length() + 1) + "1\t0/3000000\tno recovery target specified\n";
    return result(
        List.of("filename", "content"), List.of("00000002.history", content), "TIMELINE_HISTORY");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileFrames")
  void theLibraryRejectsItWithAProtocolError(
      String name, Stage stage, byte[] hostile, boolean closeAfter, String sqlState)
      throws Exception {
    try (FakeServer server = new FakeServer(stage, hostile, closeAfter)) {
      WalReceiver receiver =
          new WalReceiver(
              ConnectionConfig.builder()
                  .host("127.0.0.1")
                  .port(server.port())
                  .user("fake")
                  .sslMode(SslMode.DISABLE)
                  .connectTimeout(Duration.ofSeconds(5))
                  .build(),
              ReceiverOptions.defaults().withLoop(false),
              (size, groupAccess) -> SegmentFileSink.open(dir, size),
              size -> ResumePoint.scan(dir, size, w -> {}),
              new WalReceiver.Listener() {},
              InstantSource.system());
      PgException e =
          assertTimeoutPreemptively(
              HANG_GUARD,
              () -> catchThrowableOfType(PgException.class, receiver::run),
              () -> name + " hangs");
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
      FaultKit.Run r =
          assertTimeoutPreemptively(
              HANG_GUARD,
              () ->
                  FaultKit.cli(
                      HostileBackupServerTest.env(server.port()),
                      "receivewal",
                      "-D",
                      dir.toString(),
                      "--no-loop"),
              () -> name + " hangs");
      int code = r.exitCode();
      String text = r.err();
      assertThat(code).as(text).isEqualTo(1);
      assertThat(text)
          .startsWith("jwalreceiver: error: ")
          .doesNotContain("Exception")
          .doesNotContain("\tat ");
    }
  }

  /** CopyBothResponse: text format, no columns. */
  private static byte[] copyBoth() {
    return frame('W', new byte[] {0, 0, 0});
  }

  /** A well-behaved server up to the hostile stage, then the hostile bytes. */
  private static final class FakeServer implements AutoCloseable {
    private final ScriptedBackend server = new ScriptedBackend();
    private final List<Stage> reached = new CopyOnWriteArrayList<>();

    FakeServer(Stage stage, byte[] hostile, boolean closeAfter) throws IOException {
      ScriptedBackend.Script attack =
          (command, out) -> {
            reached.add(stage);
            out.write(hostile);
            out.flush();
            if (closeAfter) {
              throw new EOFException("hanging up");
            }
            // Else the connection stays open: the client must give up on its own, not by our EOF.
          };
      switch (stage) {
        case STARTUP -> server.onStartup(attack);
        case QUERY -> server.on("IDENTIFY_SYSTEM", attack);
        case HISTORY -> server.timeline(2).on("TIMELINE_HISTORY", attack);
        case STREAM -> server.on("START_REPLICATION", attack);
        default -> throw new IllegalArgumentException(stage.toString());
      }
      server.start();
    }

    int port() {
      return server.port();
    }

    List<Stage> stagesReached() {
      return reached;
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
