// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import static io.jwalreceiver.testkit.BackendBytes.concat;
import static io.jwalreceiver.testkit.BackendBytes.cstring;
import static io.jwalreceiver.testkit.BackendBytes.frame;
import static io.jwalreceiver.testkit.BackendBytes.int32;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scripted backend, driven by hand-written frontend bytes (no client library involved). */
class ScriptedBackendTest {

  /** The client side of one connection: sends frontend bytes, reads backend frames. */
  private static final class Client implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    Client(ScriptedBackend server) throws IOException {
      socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
      socket.setSoTimeout(10_000);
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
    }

    void startup() throws IOException {
      byte[] params = concat(cstring("user"), cstring("u"), new byte[1]);
      out.write(concat(int32(8 + params.length), int32(196608), params));
      out.flush();
    }

    void query(String sql) throws IOException {
      out.write(frame('Q', cstring(sql)));
      out.flush();
    }

    /** Frame types up to and including the next ReadyForQuery. */
    List<Character> untilReady() throws IOException {
      List<Character> types = new ArrayList<>();
      while (true) {
        char type = (char) in.readUnsignedByte();
        in.readFully(new byte[in.readInt() - 4]);
        types.add(type);
        if (type == 'Z') {
          return types;
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void declinesSslThenAuthenticatesAndAnswersTheBuiltInCommands() throws Exception {
    try (ScriptedBackend server = new ScriptedBackend().start();
        Client c = new Client(server)) {
      c.out.write(concat(int32(8), int32(80877103)));
      c.out.flush();
      assertThat(c.in.readUnsignedByte()).isEqualTo('N');
      c.startup();
      assertThat(c.untilReady()).containsExactly('R', 'S', 'S', 'K', 'Z');
      c.query("IDENTIFY_SYSTEM");
      assertThat(c.untilReady()).containsExactly('T', 'D', 'C', 'Z');
      c.query("NOT A COMMAND");
      assertThat(c.untilReady()).containsExactly('E', 'Z');
      assertThat(server.commands()).containsExactly("IDENTIFY_SYSTEM", "NOT A COMMAND");
    }
  }

  @Test
  void scriptsAnswerByPrefixAndByMessageTypeAndEverythingIsRecorded() throws Exception {
    try (ScriptedBackend server =
            new ScriptedBackend()
                .onStartup((command, out) -> out.write(frame('R', int32(3))))
                .onMessage(
                    'p',
                    (command, out) ->
                        out.write(concat(frame('R', int32(0)), BackendBytes.readyForQuery())))
                .on("SHOW x", (command, out) -> out.write(BackendBytes.error("0A000", command)))
                .start();
        Client c = new Client(server)) {
      c.startup();
      assertThat((char) c.in.readUnsignedByte()).isEqualTo('R');
      assertThat(c.in.readInt()).isEqualTo(8);
      assertThat(c.in.readInt()).isEqualTo(3);
      c.out.write(frame('p', cstring("secret")));
      c.out.flush();
      assertThat(c.untilReady()).containsExactly('R', 'Z');
      c.query("SHOW x");
      assertThat(c.untilReady()).containsExactly('E', 'Z');
      c.out.write(frame('X', new byte[0]));
      c.out.flush();
      server.awaitClientGone(Duration.ofSeconds(10));
      assertThat(server.received()).containsExactly('p', 'Q', 'X');
      assertThat(server.commands()).containsExactly("SHOW x");
      assertThat(server.tlsHandshaken()).isFalse();
    }
  }

  @Test
  void resultSetsCarryNullsAsMinusOneLengths() {
    byte[] bytes = BackendBytes.result(List.of("a", "b"), java.util.Arrays.asList("x", null), "T");
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    // The DataRow: 2 columns, "x" with length 1, then NULL as length -1.
    assertThat(text)
        .contains(
            new String(
                concat(
                    BackendBytes.int16(2),
                    int32(1),
                    "x".getBytes(StandardCharsets.US_ASCII),
                    int32(-1)),
                StandardCharsets.ISO_8859_1));
  }
}
