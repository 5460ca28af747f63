// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.backend;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static io.jwalreceiver.protocol.WireBytes.hex;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Golden;
import io.jwalreceiver.protocol.Golden.Frame;
import io.jwalreceiver.protocol.WireBytes;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationCleartextPassword;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationMd5Password;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationOk;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSasl;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslContinue;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationSaslFinal;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationUnsupported;
import io.jwalreceiver.protocol.backend.BackendMessage.BackendKeyData;
import io.jwalreceiver.protocol.backend.BackendMessage.CommandComplete;
import io.jwalreceiver.protocol.backend.BackendMessage.CopyData;
import io.jwalreceiver.protocol.backend.BackendMessage.CopyDone;
import io.jwalreceiver.protocol.backend.BackendMessage.CopyResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.DataRow;
import io.jwalreceiver.protocol.backend.BackendMessage.EmptyQueryResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ErrorResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.Field;
import io.jwalreceiver.protocol.backend.BackendMessage.Ignored;
import io.jwalreceiver.protocol.backend.BackendMessage.NegotiateProtocolVersion;
import io.jwalreceiver.protocol.backend.BackendMessage.NoticeResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ParameterStatus;
import io.jwalreceiver.protocol.backend.BackendMessage.ReadyForQuery;
import io.jwalreceiver.protocol.backend.BackendMessage.RowDescription;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BackendDecoderTest {

  private static final int TEXT = 25;
  private static final int INT4 = 23;
  private static final int INT8 = 20;

  private static BackendMessage decode(char type, byte[] body) {
    ByteBuffer b = ByteBuffer.wrap(body);
    return BackendDecoder.decode((byte) type, b);
  }

  private static List<BackendMessage> decodeGolden(String name) {
    List<BackendMessage> out = new ArrayList<>();
    for (Frame f : Golden.frames(Golden.load(name))) {
      ByteBuffer body = ByteBuffer.wrap(f.body());
      out.add(BackendDecoder.decode(f.type(), body));
      if (f.type() != 'd') {
        assertThat(body.hasRemaining()).as("body of %s read to its end", f).isFalse();
      }
    }
    return out;
  }

  private static WireBytes w() {
    return WireBytes.create();
  }

  private static Field textColumn(String name) {
    return new Field(name, 0, (short) 0, TEXT, (short) -1, -1, (short) 0);
  }

  private static DataRow row(@Nullable String... values) {
    List<byte[]> v = new ArrayList<>();
    for (String s : values) {
      v.add(s == null ? null : s.getBytes(US_ASCII));
    }
    return new DataRow(v);
  }

  private static void assertProtocolViolation(Throwable t) {
    assertThat(t)
        .isInstanceOfSatisfying(
            PgException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
              assertThat(e.fromServer()).isFalse();
            });
  }

  // ---- Authentication ---------------------------------------------------------------------

  static Stream<Arguments> authenticationRequests() {
    return Stream.of(
        Arguments.of("Ok", hex("00000000"), new AuthenticationOk()),
        Arguments.of("CleartextPassword", hex("00000003"), new AuthenticationCleartextPassword()),
        Arguments.of(
            "MD5Password",
            hex("00000005 01 02 FE FF"),
            new AuthenticationMd5Password(hex("0102FEFF"))),
        Arguments.of(
            "SASL with two mechanisms",
            w().int32(10).cString("SCRAM-SHA-256-PLUS").cString("SCRAM-SHA-256").int8(0).toArray(),
            new AuthenticationSasl(List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"))),
        Arguments.of(
            "SASL with no mechanism", hex("0000000A 00"), new AuthenticationSasl(List.of())),
        Arguments.of(
            "SASLContinue",
            w().int32(11).ascii("r=abc,s=c2FsdA==,i=4096").toArray(),
            new AuthenticationSaslContinue("r=abc,s=c2FsdA==,i=4096".getBytes(US_ASCII))),
        Arguments.of(
            "SASLContinue empty", hex("0000000B"), new AuthenticationSaslContinue(new byte[0])),
        Arguments.of(
            "SASLFinal",
            w().int32(12).ascii("v=c2lnbmF0dXJl").toArray(),
            new AuthenticationSaslFinal("v=c2lnbmF0dXJl".getBytes(US_ASCII))),
        Arguments.of("KerberosV5", hex("00000002"), new AuthenticationUnsupported(2)),
        Arguments.of("GSS", hex("00000007"), new AuthenticationUnsupported(7)),
        Arguments.of("SSPI", hex("00000009"), new AuthenticationUnsupported(9)),
        Arguments.of("negative code", hex("FFFFFFFF"), new AuthenticationUnsupported(-1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("authenticationRequests")
  void decodesAuthenticationRequests(String what, byte[] body, BackendMessage expected) {
    assertThat(decode('R', body)).isEqualTo(expected);
  }

  @Test
  void decodesGoldenMd5PasswordRequest() {
    assertThat(decodeGolden("pg15-auth-md5-request.bin"))
        .containsExactly(new AuthenticationMd5Password(hex("882F234A")));
  }

  @Test
  void decodesGoldenScramExchange() {
    List<BackendMessage> messages = decodeGolden("pg15-auth-scram.bin");

    assertThat(messages).hasSize(4);
    assertThat(messages.get(0)).isEqualTo(new AuthenticationSasl(List.of("SCRAM-SHA-256")));
    assertThat(messages.get(1)).isInstanceOf(AuthenticationSaslContinue.class);
    String serverFirst =
        new String(((AuthenticationSaslContinue) messages.get(1)).data(), US_ASCII);
    assertThat(serverFirst).matches("r=[A-Za-z0-9+/]+,s=[A-Za-z0-9+/=]+,i=4096");
    assertThat(messages.get(2)).isInstanceOf(AuthenticationSaslFinal.class);
    String serverFinal = new String(((AuthenticationSaslFinal) messages.get(2)).data(), US_ASCII);
    assertThat(serverFinal).matches("v=[A-Za-z0-9+/]{43}=");
    assertThat(messages.get(3)).isEqualTo(new AuthenticationOk());
  }

  // ---- Startup ----------------------------------------------------------------------------

  @Test
  void decodesGoldenTrustStartup() {
    List<BackendMessage> messages = decodeGolden("pg15-startup-trust.bin");

    assertThat(messages.get(0)).isEqualTo(new AuthenticationOk());
    Map<String, String> params = new LinkedHashMap<>();
    for (BackendMessage m : messages.subList(1, messages.size() - 2)) {
      ParameterStatus p = (ParameterStatus) m;
      params.put(p.name(), p.value());
    }
    assertThat(params)
        .hasSize(13)
        .containsEntry("application_name", "jwalreceiver-golden")
        .containsEntry("integer_datetimes", "on")
        .containsEntry("standard_conforming_strings", "on")
        .containsEntry("in_hot_standby", "off")
        .containsEntry("session_authorization", "postgres")
        .containsEntry("DateStyle", "ISO, MDY");
    assertThat(params.get("server_version")).startsWith("15.18");
    BackendKeyData key = (BackendKeyData) messages.get(messages.size() - 2);
    assertThat(key.processId()).isEqualTo(0x0000_2067);
    assertThat(key.secretKey().toArray()).isEqualTo(hex("3CB373AC"));
    assertThat(messages.get(messages.size() - 1)).isEqualTo(new ReadyForQuery('I'));
  }

  @Test
  void decodesParameterStatus() {
    assertThat(decode('S', w().cString("TimeZone").cString("Etc/UTC").toArray()))
        .isEqualTo(new ParameterStatus("TimeZone", "Etc/UTC"));
    assertThat(decode('S', w().cString("search_path").cString("").toArray()))
        .isEqualTo(new ParameterStatus("search_path", ""));
  }

  @Test
  void decodesBackendKeyDataWithFourAndThirtyTwoByteKeys() {
    assertThat(decode('K', hex("7FFFFFFF DEADBEEF")))
        .isEqualTo(new BackendKeyData(Integer.MAX_VALUE, hex("DEADBEEF")));
    byte[] longKey = new byte[32];
    Arrays.fill(longKey, (byte) 0xA5);
    assertThat(decode('K', w().int32(42).bytes(longKey).toArray()))
        .isEqualTo(new BackendKeyData(42, longKey));
  }

  @ParameterizedTest(name = "status {0}")
  @ValueSource(chars = {'I', 'T', 'E'})
  void decodesReadyForQuery(char status) {
    assertThat(decode('Z', new byte[] {(byte) status})).isEqualTo(new ReadyForQuery(status));
  }

  // ---- Results ----------------------------------------------------------------------------

  @Test
  void decodesGoldenIdentifySystem() {
    List<BackendMessage> messages = decodeGolden("pg15-identify-system.bin");

    assertThat(messages)
        .containsExactly(
            new RowDescription(
                List.of(
                    textColumn("systemid"),
                    new Field("timeline", 0, (short) 0, INT4, (short) 4, -1, (short) 0),
                    textColumn("xlogpos"),
                    textColumn("dbname"))),
            row("7712893606093416722", "1", "0/1501490", null),
            new CommandComplete("IDENTIFY_SYSTEM"),
            new ReadyForQuery('I'));
  }

  @Test
  void decodesGoldenShowWalSegmentSize() {
    assertThat(decodeGolden("pg15-show-wal-segment-size.bin"))
        .containsExactly(
            new RowDescription(List.of(textColumn("wal_segment_size"))),
            row("16MB"),
            new CommandComplete("SHOW"),
            new ReadyForQuery('I'));
  }

  @Test
  void decodesGoldenCreateReplicationSlot() {
    assertThat(decodeGolden("pg15-create-replication-slot.bin"))
        .containsExactly(
            new RowDescription(
                List.of(
                    textColumn("slot_name"),
                    textColumn("consistent_point"),
                    textColumn("snapshot_name"),
                    textColumn("output_plugin"))),
            row("golden_slot", "0/0", null, null),
            new CommandComplete("CREATE_REPLICATION_SLOT"),
            new ReadyForQuery('I'));
  }

  @Test
  void decodesGoldenReadReplicationSlot() {
    assertThat(decodeGolden("pg15-read-replication-slot.bin"))
        .containsExactly(
            new RowDescription(
                List.of(
                    textColumn("slot_type"),
                    textColumn("restart_lsn"),
                    new Field("restart_tli", 0, (short) 0, INT8, (short) 8, -1, (short) 0))),
            row("physical", "0/1500718", "1"),
            new CommandComplete("READ_REPLICATION_SLOT"),
            new ReadyForQuery('I'));
  }

  @Test
  void decodesGoldenDropReplicationSlot() {
    assertThat(decodeGolden("pg15-drop-replication-slot.bin"))
        .containsExactly(new CommandComplete("DROP_REPLICATION_SLOT"), new ReadyForQuery('I'));
  }

  @Test
  void decodesRowDescriptionFieldsInWireOrder() {
    byte[] body =
        w().int16(2)
            .cString("a")
            .int32(16384)
            .int16(3)
            .int32(1043)
            .int16(-1)
            .int32(36)
            .int16(0)
            .cString("")
            .int32(0)
            .int16(0)
            .int32(17)
            .int16(-1)
            .int32(-1)
            .int16(1)
            .toArray();

    assertThat(decode('T', body))
        .isEqualTo(
            new RowDescription(
                List.of(
                    new Field("a", 16384, (short) 3, 1043, (short) -1, 36, (short) 0),
                    new Field("", 0, (short) 0, 17, (short) -1, -1, (short) 1))));
    assertThat(decode('T', hex("0000"))).isEqualTo(new RowDescription(List.of()));
  }

  @Test
  void decodesDataRowWithNullDistinctFromEmpty() {
    byte[] body = w().int16(3).int32(-1).int32(0).int32(3).ascii("abc").toArray();

    DataRow row = (DataRow) decode('D', body);

    assertThat(row.values()).hasSize(3);
    assertThat(row.values().get(0)).isNull();
    assertThat(row.values().get(1)).isEmpty();
    assertThat(row.values().get(2)).isEqualTo("abc".getBytes(US_ASCII));
    assertThat(row).isEqualTo(row(null, "", "abc")).isNotEqualTo(row("", "", "abc"));
  }

  @Test
  void copiesDataRowValuesOutOfTheFrame() {
    byte[] body = w().int16(1).int32(2).ascii("ok").toArray();

    DataRow row = (DataRow) decode('D', body);
    Arrays.fill(body, (byte) 0);

    assertThat(row.values().get(0)).isEqualTo("ok".getBytes(US_ASCII));
  }

  @Test
  void decodesCommandCompleteAndEmptyQueryResponse() {
    assertThat(decode('C', w().cString("SELECT 1").toArray()))
        .isEqualTo(new CommandComplete("SELECT 1"));
    assertThat(decode('I', new byte[0])).isEqualTo(new EmptyQueryResponse());
  }

  // ---- Errors and notices -----------------------------------------------------------------

  @Test
  void decodesGoldenErrorForMissingSlot() {
    List<BackendMessage> messages = decodeGolden("pg15-error-drop-missing-slot.bin");

    assertThat(messages).hasSize(2);
    assertThat(messages.get(1)).isEqualTo(new ReadyForQuery('I'));
    ServerError error = ((ErrorResponse) messages.get(0)).error();
    assertThat(error.severity()).isEqualTo("ERROR");
    assertThat(error.sqlState()).isEqualTo(SqlState.UNDEFINED_OBJECT);
    assertThat(error.message())
        .isEqualTo("replication slot \"golden_missing_slot\" does not exist");
    assertThat(error.detail()).isNull();
    assertThat(error.hint()).isNull();
    assertThat(error.fields())
        .containsEntry('S', "ERROR")
        .containsEntry('F', "slot.c")
        .containsEntry('R', "ReplicationSlotAcquire")
        .containsKey('L');
    assertThat(error.render())
        .isEqualTo("ERROR:  replication slot \"golden_missing_slot\" does not exist");
  }

  @Test
  void decodesGoldenNoticeWithDetailHintAndContext() {
    List<BackendMessage> messages = decodeGolden("pg15-notice.bin");

    assertThat(messages).hasSize(3);
    assertThat(messages.get(1)).isEqualTo(new CommandComplete("DO"));
    ServerError notice = ((NoticeResponse) messages.get(0)).notice();
    assertThat(notice.severity()).isEqualTo("NOTICE");
    assertThat(notice.sqlState()).isEqualTo(new SqlState("00000"));
    assertThat(notice.detail()).isEqualTo("notice detail");
    assertThat(notice.hint()).isEqualTo("notice hint");
    assertThat(notice.where()).isEqualTo("PL/pgSQL function inline_code_block line 1 at RAISE");
    assertThat(notice.render())
        .isEqualTo("NOTICE:  golden notice\nDETAIL:  notice detail\nHINT:  notice hint");
  }

  @Test
  void rendersErrorLikeLibpq() {
    byte[] body =
        w().int8('S')
            .cString("FEHLER") // localised severity
            .int8('V')
            .cString("ERROR")
            .int8('C')
            .cString("55006")
            .int8('M')
            .cString("replication slot \"s\" is active for PID 4242")
            .int8('D')
            .cString("some detail")
            .int8('H')
            .cString("some hint")
            .int8('P')
            .cString("7")
            .int8(0)
            .toArray();

    ServerError error = ((ErrorResponse) decode('E', body)).error();

    assertThat(error.severity()).as("the non-localised field wins").isEqualTo("ERROR");
    assertThat(error.sqlState()).isEqualTo(SqlState.OBJECT_IN_USE);
    assertThat(error.fields()).containsEntry('S', "FEHLER").containsEntry('P', "7");
    assertThat(error.render())
        .isEqualTo(
            "ERROR:  replication slot \"s\" is active for PID 4242\n"
                + "DETAIL:  some detail\n"
                + "HINT:  some hint");
    PgException e = new PgException(error);
    assertThat(e.sqlState()).isEqualTo(SqlState.OBJECT_IN_USE);
    assertThat(e.render()).isEqualTo(error.render());
  }

  @Test
  void rendersHintWithoutDetail() {
    byte[] body =
        w().int8('V')
            .cString("FATAL")
            .int8('C')
            .cString("28000")
            .int8('M')
            .cString("no entry")
            .int8('H')
            .cString("check pg_hba.conf")
            .int8(0)
            .toArray();

    assertThat(((ErrorResponse) decode('E', body)).error().render())
        .isEqualTo("FATAL:  no entry\nHINT:  check pg_hba.conf");
  }

  @Test
  void toleratesMissingAndUnknownErrorFields() {
    // An old server sends only the localised S; no C; plus a field code we do not know.
    byte[] body =
        w().int8('S')
            .cString("WARNING")
            .int8('M')
            .cString("m")
            .int8('Z')
            .cString("future")
            .int8(0)
            .toArray();

    ServerError notice = ((NoticeResponse) decode('N', body)).notice();

    assertThat(notice.severity()).isEqualTo("WARNING");
    assertThat(notice.sqlState()).isEqualTo(SqlState.INTERNAL_ERROR);
    assertThat(notice.fields()).containsEntry('Z', "future");
    assertThat(notice.render()).isEqualTo("WARNING:  m");
  }

  @Test
  void mapsMalformedSqlStateToInternalError() {
    byte[] body = w().int8('C').cString("bad").int8('M').cString("m").int8(0).toArray();

    assertThat(((ErrorResponse) decode('E', body)).error().sqlState())
        .isEqualTo(SqlState.INTERNAL_ERROR);
  }

  // ---- COPY -------------------------------------------------------------------------------

  static Stream<Arguments> copyResponses() {
    return Stream.of(
        Arguments.of('H', hex("00 0000"), new CopyResponse('H', (byte) 0, List.of())),
        Arguments.of('W', hex("00 0000"), new CopyResponse('W', (byte) 0, List.of())),
        Arguments.of(
            'G',
            hex("01 0002 0001 0001"),
            new CopyResponse('G', (byte) 1, List.of((short) 1, (short) 1))),
        Arguments.of(
            'H',
            hex("00 0003 0000 0001 0000"),
            new CopyResponse('H', (byte) 0, List.of((short) 0, (short) 1, (short) 0))));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("copyResponses")
  void decodesCopyResponses(char type, byte[] body, CopyResponse expected) {
    assertThat(decode(type, body)).isEqualTo(expected);
  }

  @Test
  void copyDataBorrowsTheFrameBody() {
    byte[] frame = hex("AA 77 01 02 03 04 BB");
    ByteBuffer body = ByteBuffer.wrap(frame, 1, 5).slice();

    CopyData data = (CopyData) BackendDecoder.decode((byte) 'd', body);
    frame[3] = 0x55; // changes to the receive buffer show through: no copy was made

    ByteBuffer view = data.data();
    assertThat(view.remaining()).isEqualTo(5);
    byte[] seen = new byte[5];
    view.duplicate().get(seen);
    assertThat(seen).isEqualTo(hex("77 01 55 03 04"));
  }

  @Test
  void decodesEmptyCopyData() {
    CopyData data = (CopyData) decode('d', new byte[0]);

    assertThat(data.data().remaining()).isZero();
  }

  @Test
  void decodesCopyDone() {
    assertThat(decode('c', new byte[0])).isEqualTo(new CopyDone());
  }

  @Test
  void decodesNegotiateProtocolVersion() {
    byte[] body = w().int32(0).int32(2).cString("_pq_.a").cString("_pq_.b").toArray();

    assertThat(decode('v', body))
        .isEqualTo(new NegotiateProtocolVersion(0, List.of("_pq_.a", "_pq_.b")));
    assertThat(decode('v', hex("00000002 00000000")))
        .isEqualTo(new NegotiateProtocolVersion(2, List.of()));
  }

  @ParameterizedTest(name = "type {0}")
  @ValueSource(chars = {'t', 'n', '1', '2', '3', 's'})
  void skipsMessagesWeNeverActOn(char type) {
    ByteBuffer body = ByteBuffer.wrap(hex("0001 00000017"));

    assertThat(BackendDecoder.decode((byte) type, body)).isEqualTo(new Ignored(type));
    assertThat(body.hasRemaining()).isFalse();
  }

  // ---- Malformed input --------------------------------------------------------------------

  @ParameterizedTest(name = "type 0x{0}")
  @ValueSource(strings = {"51", "41", "56", "78", "00", "FF", "80"})
  void rejectsUnknownTypeByte(String typeHex) {
    byte type = hex(typeHex)[0];

    Throwable t = catchThrowable(() -> BackendDecoder.decode(type, ByteBuffer.allocate(0)));

    assertProtocolViolation(t);
    String name =
        type >= 0x20 && type < 0x7f
            ? "'" + (char) type + "'"
            : "0x" + typeHex.toLowerCase(Locale.ROOT);
    assertThat(t).hasMessageContaining("unexpected message type " + name);
  }

  /** Valid bodies whose every proper prefix is malformed. */
  static Stream<Arguments> wellFormedBodies() {
    return Stream.of(
        Arguments.of('R', hex("00000000")),
        Arguments.of('R', hex("00000003")),
        Arguments.of('R', hex("00000005 01020304")),
        Arguments.of('R', w().int32(10).cString("SCRAM-SHA-256").int8(0).toArray()),
        Arguments.of('R', hex("0000000B")),
        Arguments.of('S', w().cString("a").cString("b").toArray()),
        Arguments.of('K', hex("00000001")),
        Arguments.of('Z', hex("49")),
        Arguments.of(
            'T',
            w().int16(1)
                .cString("x")
                .int32(1)
                .int16(2)
                .int32(3)
                .int16(4)
                .int32(5)
                .int16(6)
                .toArray()),
        Arguments.of('D', w().int16(2).int32(-1).int32(2).ascii("ab").toArray()),
        Arguments.of('C', w().cString("SHOW").toArray()),
        Arguments.of('E', w().int8('M').cString("m").int8(0).toArray()),
        Arguments.of('N', w().int8('V').cString("NOTICE").int8(0).toArray()),
        Arguments.of('H', hex("00 0001 0000")),
        Arguments.of('G', hex("00 0000")),
        Arguments.of('W', hex("00 0000")),
        Arguments.of('v', w().int32(0).int32(1).cString("_pq_.x").toArray()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wellFormedBodies")
  void rejectsEveryTruncationOfAValidBody(char type, byte[] body) {
    assertThat(decode(type, body)).as("the full body decodes").isNotNull();
    for (int cut = 0; cut < body.length; cut++) {
      byte[] prefix = Arrays.copyOf(body, cut);

      Throwable t = catchThrowable(() -> decode(type, prefix));

      assertThat(t).as("body cut to %d of %d bytes", cut, body.length).isNotNull();
      assertProtocolViolation(t);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wellFormedBodies")
  void rejectsTrailingBytes(char type, byte[] body) {
    if ((type == 'R' && body[3] == 0x0B) || type == 'K') {
      return; // SASLContinue data and the cancel key run to the end: nothing can trail them.
    }
    byte[] longer = Arrays.copyOf(body, body.length + 1);
    longer[body.length] = 'x';

    Throwable t = catchThrowable(() -> decode(type, longer));

    assertProtocolViolation(t);
    assertThat(t).hasMessageContaining("trailing");
  }

  @Test
  void rejectsTrailingBytesAfterBodilessMessages() {
    assertPgException(() -> decode('c', hex("00")), SqlState.PROTOCOL_VIOLATION);
    assertPgException(() -> decode('I', hex("00")), SqlState.PROTOCOL_VIOLATION);
  }

  static Stream<Arguments> hostileCounts() {
    return Stream.of(
        Arguments.of("DataRow value longer than the frame", 'D', hex("0001 00000010 6162")),
        Arguments.of("DataRow negative length other than -1", 'D', hex("0001 FFFFFFFE")),
        Arguments.of("DataRow count larger than the frame", 'D', hex("FFFF 00000000")),
        Arguments.of("RowDescription count 65535", 'T', hex("FFFF 6100")),
        Arguments.of("copy column count 65535", 'H', hex("00 FFFF 0000")),
        Arguments.of("NegotiateProtocolVersion huge count", 'v', hex("00000000 7FFFFFFF 00")),
        Arguments.of("NegotiateProtocolVersion negative count", 'v', hex("00000000 80000000")),
        Arguments.of("ParameterStatus without any NUL", 'S', w().ascii("abc").toArray()),
        Arguments.of("error field without terminator", 'E', w().int8('M').ascii("m").toArray()),
        Arguments.of("MD5 salt of three bytes", 'R', hex("00000005 010203")),
        Arguments.of("empty ReadyForQuery", 'Z', new byte[0]),
        Arguments.of("BackendKeyData of two bytes", 'K', hex("0001")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileCounts")
  void rejectsLengthsAndCountsThatOverrunTheBody(String what, char type, byte[] body) {
    assertProtocolViolation(catchThrowable(() -> decode(type, body)));
  }

  @Test
  void failsOnlyWithProtocolViolationOnRandomBodies() {
    char[] types = {'R', 'S', 'K', 'Z', 'T', 'D', 'C', 'E', 'N', 'H', 'G', 'W', 'v', 'c', 'I'};
    Random rnd = new Random(20240601);
    int decoded = 0;
    for (int i = 0; i < 20_000; i++) {
      char type = types[rnd.nextInt(types.length)];
      byte[] body = new byte[rnd.nextInt(24)];
      for (int j = 0; j < body.length; j++) {
        // Mostly small values so that counts and NULs are plausible.
        body[j] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : rnd.nextInt(3));
      }

      Throwable t = catchThrowable(() -> decode(type, body));

      if (t == null) {
        decoded++;
      } else if (!(t instanceof PgException e
          && e.sqlState().equals(SqlState.PROTOCOL_VIOLATION)
          && !e.fromServer())) {
        throw new AssertionError("type " + type + " body " + Arrays.toString(body), t);
      }
    }
    assertThat(decoded).as("some random bodies are valid").isPositive();
  }
}
