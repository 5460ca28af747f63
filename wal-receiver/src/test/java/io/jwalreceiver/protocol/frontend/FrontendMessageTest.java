// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.frontend;

import static io.jwalreceiver.protocol.WireBytes.hex;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.protocol.MessageWriter;
import io.jwalreceiver.protocol.ScriptedTransport;
import io.jwalreceiver.protocol.WireBytes;
import io.jwalreceiver.protocol.frontend.FrontendMessage.CopyData;
import io.jwalreceiver.protocol.frontend.FrontendMessage.CopyDone;
import io.jwalreceiver.protocol.frontend.FrontendMessage.CopyFail;
import io.jwalreceiver.protocol.frontend.FrontendMessage.PasswordMessage;
import io.jwalreceiver.protocol.frontend.FrontendMessage.Query;
import io.jwalreceiver.protocol.frontend.FrontendMessage.SaslInitialResponse;
import io.jwalreceiver.protocol.frontend.FrontendMessage.SaslResponse;
import io.jwalreceiver.protocol.frontend.FrontendMessage.SslRequest;
import io.jwalreceiver.protocol.frontend.FrontendMessage.StartupMessage;
import io.jwalreceiver.protocol.frontend.FrontendMessage.Terminate;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
class FrontendMessageTest {

  /** The bytes one {@code send} writes, checking that it was one write call. */
  private static byte[] encode(FrontendMessage message) {
    ScriptedTransport transport = ScriptedTransport.silent();
    new MessageWriter(transport).send(message);
    assertThat(transport.writes()).as("one write per message").hasSize(1);
    return transport.written();
  }

  static Stream<Arguments> exactEncodings() {
    return Stream.of(
        Arguments.of(
            "StartupMessage for a physical walsender",
            new StartupMessage(
                List.of(
                    Map.entry("user", "postgres"),
                    Map.entry("database", "replication"),
                    Map.entry("replication", "true"))),
            hex("0000003D 00030000"),
            "user\0postgres\0database\0replication\0replication\0true\0\0"),
        Arguments.of(
            "StartupMessage without parameters",
            new StartupMessage(List.of()),
            hex("00000009 00030000"),
            "\0"),
        Arguments.of("SSLRequest", new SslRequest(), hex("00000008 04D2162F"), ""),
        Arguments.of(
            "PasswordMessage",
            new PasswordMessage("md5aa3f7960cece520601ff6c8aafa927f2"),
            hex("70 00000028"),
            "md5aa3f7960cece520601ff6c8aafa927f2\0"),
        Arguments.of("PasswordMessage empty", new PasswordMessage(""), hex("70 00000005"), "\0"),
        Arguments.of(
            "SASLInitialResponse with data",
            new SaslInitialResponse("SCRAM-SHA-256", "n,,n=,r=abc".getBytes(US_ASCII)),
            hex("70 00000021"),
            "SCRAM-SHA-256\0\0\0\0\u000bn,,n=,r=abc"),
        Arguments.of(
            "SASLInitialResponse without data",
            new SaslInitialResponse("SCRAM-SHA-256", null),
            hex("70 00000016"),
            "SCRAM-SHA-256\0\u00ff\u00ff\u00ff\u00ff"),
        Arguments.of(
            "SASLInitialResponse with empty data",
            new SaslInitialResponse("X", new byte[0]),
            hex("70 0000000A"),
            "X\0\0\0\0\0"),
        Arguments.of(
            "SASLResponse",
            new SaslResponse("c=biws,r=abc,p=xyz".getBytes(US_ASCII)),
            hex("70 00000016"),
            "c=biws,r=abc,p=xyz"),
        Arguments.of(
            "Query", new Query("IDENTIFY_SYSTEM"), hex("51 00000014"), "IDENTIFY_SYSTEM\0"),
        Arguments.of(
            "CopyData",
            new CopyData(ByteBuffer.wrap(hex("72 00 01 FF"))),
            hex("64 00000008"),
            "r\0\u0001\u00ff"),
        Arguments.of(
            "CopyData empty", new CopyData(ByteBuffer.allocate(0)), hex("64 00000004"), ""),
        Arguments.of("CopyDone", new CopyDone(), hex("63 00000004"), ""),
        Arguments.of("CopyFail", new CopyFail("aborted"), hex("66 0000000C"), "aborted\0"),
        Arguments.of("Terminate", new Terminate(), hex("58 00000004"), ""));
  }

  /**
   * @param head the expected header, written out in hex
   * @param tail the expected rest, one char per byte (ISO-8859-1), so strings stay readable
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("exactEncodings")
  void encodesExactBytes(String what, FrontendMessage message, byte[] head, String tail) {
    byte[] expected = WireBytes.create().bytes(head).bytes(tail.getBytes(ISO_8859_1)).toArray();

    assertThat(encode(message)).isEqualTo(expected);
  }

  @Test
  void encodesSslRequestAsTheEightDocumentedBytes() {
    assertThat(encode(new SslRequest())).containsExactly(hex("00 00 00 08 04 D2 16 2F"));
  }

  @Test
  void encodesStartupParametersInGivenOrderAsUtf8() {
    byte[] bytes =
        encode(
            new StartupMessage(
                List.of(Map.entry("user", "j\u00f6rg"), Map.entry("application_name", "a"))));

    byte[] expected =
        WireBytes.create()
            .int32(4 + 4 + 5 + 6 + 17 + 2 + 1)
            .int32(196608)
            .cString("user")
            .cString("j\u00f6rg")
            .cString("application_name")
            .cString("a")
            .int8(0)
            .toArray();
    assertThat(bytes).isEqualTo(expected);
  }

  @Test
  void copyDataLeavesTheSourcePositionAlone() {
    ByteBuffer payload = ByteBuffer.wrap(hex("00 11 22 33 44 55"));
    payload.position(2).limit(5);

    byte[] bytes = encode(new CopyData(payload));

    assertThat(bytes).isEqualTo(hex("64 00000007 22 33 44"));
    assertThat(payload.position()).isEqualTo(2);
    assertThat(payload.limit()).isEqualTo(5);
  }

  @Test
  void growsTheBufferForMessagesLargerThanEightKilobytes() {
    byte[] payload = new byte[100_000];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 13);
    }
    String sql = "SHOW " + "x".repeat(20_000);

    byte[] copy = encode(new CopyData(ByteBuffer.wrap(payload)));
    byte[] query = encode(new Query(sql));

    assertThat(Arrays.copyOf(copy, 5)).isEqualTo(hex("64 000186A4"));
    assertThat(Arrays.copyOfRange(copy, 5, copy.length)).isEqualTo(payload);
    assertThat(query).hasSize(1 + 4 + sql.length() + 1);
    assertThat(ByteBuffer.wrap(query, 1, 4).getInt()).isEqualTo(4 + sql.length() + 1);
  }

  @Test
  void reusesTheWriterAcrossMessagesWithoutLeftovers() {
    ScriptedTransport transport = ScriptedTransport.silent();
    MessageWriter writer = new MessageWriter(transport);

    writer.send(new Query("IDENTIFY_SYSTEM"));
    writer.send(new SslRequest());
    writer.send(new CopyDone());

    assertThat(transport.writes())
        .containsExactly(
            WireBytes.create().bytes(hex("51 00000014")).cString("IDENTIFY_SYSTEM").toArray(),
            hex("00000008 04D2162F"),
            hex("63 00000004"));
  }

  @Test
  void refusesStringsWithNulBytes() {
    assertThatThrownBy(() -> encode(new Query("SHOW a\0b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> encode(new StartupMessage(List.of(Map.entry("user", "a\0")))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sendsTheNextMessageIntactAfterAnEncodingFailure() {
    ScriptedTransport transport = ScriptedTransport.silent();
    MessageWriter writer = new MessageWriter(transport);

    assertThatThrownBy(() -> writer.send(new Query("a\0b")))
        .isInstanceOf(IllegalArgumentException.class);
    writer.send(new Terminate());

    assertThat(transport.writes()).containsExactly(hex("58 00000004"));
  }

  @Test
  void keepsSecretsOutOfToString() {
    assertThat(new PasswordMessage("s3cret")).asString().doesNotContain("s3cret");
    assertThat(new SaslInitialResponse("SCRAM-SHA-256", "n,,n=,r=nonce".getBytes(US_ASCII)))
        .asString()
        .doesNotContain("nonce");
    assertThat(new SaslResponse("p=proof".getBytes(US_ASCII))).asString().doesNotContain("proof");
  }

  @Test
  void copiesSaslDataOnConstruction() {
    byte[] data = "c=biws".getBytes(US_ASCII);
    SaslResponse response = new SaslResponse(data);
    Arrays.fill(data, (byte) 'x');

    assertThat(encode(response))
        .isEqualTo(WireBytes.create().bytes(hex("70 0000000A")).ascii("c=biws").toArray());
  }
}
