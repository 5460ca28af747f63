// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static io.jwalreceiver.protocol.WireBytes.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Golden.Frame;
import io.jwalreceiver.protocol.backend.BackendDecoder;
import io.jwalreceiver.protocol.backend.BackendMessage;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MessageReaderTest {

  private static final int LIMIT = 64 * 1024 * 1024;
  private static final long[] SEEDS = {1, 2, 3, 42, 20240601, -7};

  static Stream<String> goldenStreams() {
    return Golden.SERVER_STREAMS.stream();
  }

  /** Reads {@code count} frames, copying each body out before the next call. */
  private static List<Frame> readAll(MessageReader reader, int count) {
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      reader.next();
      frames.add(new Frame(reader.type(), copy(reader.body())));
    }
    return frames;
  }

  private static byte[] copy(ByteBuffer body) {
    byte[] b = new byte[body.remaining()];
    body.duplicate().get(b);
    return b;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** A body of {@code n} bytes whose content depends on {@code tag}, so mix-ups show. */
  private static byte[] pattern(int n, int tag) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + tag * 7 + (i >>> 8));
    }
    return b;
  }

  /** Reads the stream through the reader and checks it against the naive split and decoding. */
  private static void assertReadsLikeNaiveSplit(String name, Chunking chunking) {
    byte[] stream = Golden.load(name);
    List<Frame> expected = Golden.frames(stream);
    ScriptedTransport transport = ScriptedTransport.of(stream, chunking);
    MessageReader reader = new MessageReader(transport, LIMIT);

    List<BackendMessage> decoded = new ArrayList<>();
    List<Frame> actual = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      reader.next();
      actual.add(new Frame(reader.type(), copy(reader.body())));
      decoded.add(BackendDecoder.decode(reader.type(), reader.body()));
    }

    assertThat(actual).as("%s read %s", name, chunking).containsExactlyElementsOf(expected);
    List<BackendMessage> expectedMessages = new ArrayList<>();
    for (Frame f : expected) {
      expectedMessages.add(BackendDecoder.decode(f.type(), ByteBuffer.wrap(f.body())));
    }
    assertThat(decoded).as("%s decoded %s", name, chunking).isEqualTo(expectedMessages);
    assertThat(reader.framesRead()).isEqualTo(expected.size());
    assertThat(transport.exhausted()).as("every byte consumed").isTrue();
    assertThatThrownBy(reader::next)
        .as("nothing after the last frame")
        .isInstanceOfSatisfying(
            PgException.class,
            e -> assertThat(e.sqlState()).isEqualTo(SqlState.CONNECTION_FAILURE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenStreams")
  void decodesEveryGoldenStreamFedWhole(String name) {
    assertReadsLikeNaiveSplit(name, Chunking.whole());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenStreams")
  void decodesEveryGoldenStreamOneByteAtATime(String name) {
    assertReadsLikeNaiveSplit(name, Chunking.oneByteAtATime());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenStreams")
  void decodesEveryGoldenStreamInSeededRandomSplits(String name) {
    for (long seed : SEEDS) {
      assertReadsLikeNaiveSplit(name, Chunking.random(seed, 16));
      assertReadsLikeNaiveSplit(name, Chunking.random(seed, 200));
    }
  }

  @Test
  void decodesAllGoldenStreamsConcatenatedInOddFixedChunks() {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    List<Frame> expected = new ArrayList<>();
    for (String name : Golden.SERVER_STREAMS) {
      byte[] b = Golden.load(name);
      all.writeBytes(b);
      expected.addAll(Golden.frames(b));
    }
    for (int size : new int[] {2, 3, 4, 5, 6, 7, 13}) {
      MessageReader reader =
          new MessageReader(ScriptedTransport.of(all.toByteArray(), Chunking.fixed(size)), LIMIT);

      assertThat(readAll(reader, expected.size())).as("chunks of %d", size).isEqualTo(expected);
    }
  }

  static Stream<Arguments> boundarySplits() {
    // Frames: 'S' with a 12-byte body (17 bytes), 'Z' with 1 byte (6 bytes), 'c' empty (5 bytes).
    return Stream.of(
        Arguments.of("inside the first length field", Chunking.sizes(3)),
        Arguments.of("right after the type byte", Chunking.sizes(1, 16)),
        Arguments.of("right after the header", Chunking.sizes(5)),
        Arguments.of("inside the body", Chunking.sizes(9, 1)),
        Arguments.of("at the frame boundary", Chunking.sizes(17, 6, 5)),
        Arguments.of("one byte past the boundary", Chunking.sizes(18)),
        Arguments.of("inside the second header", Chunking.sizes(19, 2, 1)),
        Arguments.of("second frame and half of the third", Chunking.sizes(17, 8)),
        Arguments.of("one byte at a time", Chunking.oneByteAtATime()));
  }

  @ParameterizedTest(name = "split {0}")
  @MethodSource("boundarySplits")
  void readsFramesSplitAcrossChunkBoundaries(String where, Chunking chunking) {
    byte[] s = WireBytes.create().cString("name").cString("value").ascii("x").toArray();
    byte[] stream = concat(frame('S', s), frame('Z', new byte[] {'I'}), frame('c', new byte[0]));
    assertThat(s).hasSize(12);
    MessageReader reader = new MessageReader(ScriptedTransport.of(stream, chunking), LIMIT);

    assertThat(readAll(reader, 3))
        .containsExactly(
            new Frame((byte) 'S', s),
            new Frame((byte) 'Z', new byte[] {'I'}),
            new Frame((byte) 'c', new byte[0]));
  }

  @Test
  void rejectsFrameAboveLimit() {
    // 'd', then a length claiming a 1 GiB body; nothing else follows.
    byte[] header = WireBytes.create().int8('d').int32((1 << 30) + 4).toArray();
    ScriptedTransport transport = ScriptedTransport.of(header);
    MessageReader reader = new MessageReader(transport, LIMIT);
    ThreadAllocation allocation = ThreadAllocation.start();

    assertThatThrownBy(reader::next)
        .isInstanceOfSatisfying(
            PgException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
              assertThat(e.getMessage())
                  .contains("'d'", Integer.toString(1 << 30), "limit of " + LIMIT);
            });
    assertThat(allocation.bytesSinceStart())
        .as("bytes allocated while rejecting a 1 GiB frame")
        .isLessThan(1024 * 1024);
  }

  @Test
  void rejectsFrameAboveLimitBeforeWaitingForItsBody() {
    // If the reader waited for the body it would hit EOF (08006) instead of 08P01.
    byte[] header = WireBytes.create().int8('D').int32(101 + 4).toArray();
    MessageReader reader = new MessageReader(ScriptedTransport.of(header), 100);

    assertPgException(reader::next, SqlState.PROTOCOL_VIOLATION);
  }

  @Test
  void acceptsFrameOfExactlyTheLimit() {
    byte[] body = pattern(100, 1);
    MessageReader reader = new MessageReader(ScriptedTransport.of(frame('d', body)), 100);

    reader.next();

    assertThat(copy(reader.body())).isEqualTo(body);
  }

  @ParameterizedTest(name = "frame limit {0}")
  @ValueSource(ints = {-1, Integer.MIN_VALUE, MessageReader.MAX_FRAME_LIMIT + 1, Integer.MAX_VALUE})
  void refusesFrameLimitsThatCouldOverflowTheBuffer(int limit) {
    assertThatThrownBy(() -> new MessageReader(ScriptedTransport.silent(), limit))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Integer.toString(limit));
  }

  @Test
  void rejectsHostileLengthWithTheLargestFrameLimit() {
    // Length 0x7FFFFFFF: with an unchecked limit, header + body overflowed int arithmetic.
    byte[] header = WireBytes.create().int8('d').int32(Integer.MAX_VALUE).toArray();
    MessageReader reader =
        new MessageReader(ScriptedTransport.of(header), MessageReader.MAX_FRAME_LIMIT);

    assertPgException(reader::next, SqlState.PROTOCOL_VIOLATION);
  }

  @ParameterizedTest(name = "length {0}")
  @ValueSource(ints = {0, 1, 2, 3, -1, -4, Integer.MIN_VALUE})
  void rejectsLengthBelowFour(int length) {
    byte[] header = WireBytes.create().int8('Z').int32(length).int8('I').toArray();
    MessageReader reader = new MessageReader(ScriptedTransport.of(header), LIMIT);

    assertThatThrownBy(reader::next)
        .isInstanceOfSatisfying(
            PgException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
              assertThat(e.getMessage()).contains("invalid message length " + length, "'Z'");
            });
  }

  @Test
  void acceptsLengthOfExactlyFourAsAnEmptyBody() {
    MessageReader reader =
        new MessageReader(ScriptedTransport.of(WireBytes.hex("63 00000004")), LIMIT);

    reader.next();

    assertThat(reader.type()).isEqualTo((byte) 'c');
    assertThat(reader.body().remaining()).isZero();
  }

  @ParameterizedTest(name = "EOF after {0} bytes")
  @ValueSource(ints = {0, 1, 4, 5, 6, 12, 16})
  void failsWithConnectionFailureOnEofMidFrame(int cut) {
    byte[] whole = frame('C', WireBytes.create().cString("IDENTIFY_SYSTEM").toArray());
    assertThat(cut).isLessThan(whole.length);
    byte[] truncated = Arrays.copyOf(whole, cut);
    MessageReader reader =
        new MessageReader(ScriptedTransport.of(truncated, Chunking.oneByteAtATime()), LIMIT);

    assertPgException(reader::next, SqlState.CONNECTION_FAILURE);
  }

  @Test
  void deliversCompleteFramesBeforeFailingOnEofMidFrame() {
    byte[] first = frame('Z', new byte[] {'I'});
    byte[] second = frame('C', WireBytes.create().cString("SHOW").toArray());
    byte[] stream = concat(first, Arrays.copyOf(second, 7));
    MessageReader reader = new MessageReader(ScriptedTransport.of(stream), LIMIT);

    reader.next();
    assertThat(reader.type()).isEqualTo((byte) 'Z');

    assertPgException(reader::next, SqlState.CONNECTION_FAILURE);
  }

  @Test
  void timedReadReturnsFalseWhenNoDataArrives() {
    ScriptedTransport transport = ScriptedTransport.builder().thenIdle().build();
    MessageReader reader = new MessageReader(transport, LIMIT);

    assertThat(reader.next(25)).isFalse();
    assertThat(reader.next(25)).isFalse();

    assertThat(reader.framesRead()).isZero();
    assertThat(transport.readTimeouts()).containsExactly(25L, 25L);
  }

  @Test
  void timedReadKeepsPartialBytesUntilTheFrameCompletes() {
    byte[] body = WireBytes.create().cString("server_version").cString("15.18").toArray();
    byte[] f = frame('S', body);
    ScriptedTransport transport =
        ScriptedTransport.builder()
            .bytes(Arrays.copyOfRange(f, 0, 3)) // inside the header
            .pause()
            .bytes(Arrays.copyOfRange(f, 3, 10)) // rest of the header, start of the body
            .pause()
            .bytes(Arrays.copyOfRange(f, 10, f.length))
            .bytes(frame('Z', new byte[] {'I'}))
            .thenIdle()
            .build();
    MessageReader reader = new MessageReader(transport, LIMIT);

    assertThat(reader.next(10)).as("header incomplete").isFalse();
    assertThat(reader.next(10)).as("body incomplete").isFalse();
    assertThat(reader.next(10)).isTrue();
    assertThat(new Frame(reader.type(), copy(reader.body())))
        .isEqualTo(new Frame((byte) 'S', body));
    assertThat(reader.next(10)).isTrue();
    assertThat(reader.type()).isEqualTo((byte) 'Z');
    assertThat(reader.next(10)).as("silence after the last frame").isFalse();
    assertThat(reader.framesRead()).isEqualTo(2);
  }

  @Test
  void blockingReadPassesZeroTimeoutToTheTransport() {
    ScriptedTransport transport =
        ScriptedTransport.of(frame('Z', new byte[] {'I'}), Chunking.oneByteAtATime());
    MessageReader reader = new MessageReader(transport, LIMIT);

    reader.next();

    assertThat(transport.readTimeouts()).hasSize(6).containsOnly(0L);
  }

  @Test
  void growsTheBufferForFramesLargerThanTheInitialCapacity() {
    byte[] big = pattern(200 * 1024 + 3, 1);
    byte[] huge = pattern(1024 * 1024 + 1, 2);
    byte[] small = pattern(10, 3);
    byte[] stream = concat(frame('d', small), frame('d', big), frame('d', huge), frame('d', small));
    for (Chunking chunking :
        List.of(Chunking.whole(), Chunking.random(5, 70_000), Chunking.fixed(65_536))) {
      MessageReader reader = new MessageReader(ScriptedTransport.of(stream, chunking), LIMIT);

      assertThat(readAll(reader, 4))
          .as("%s", chunking)
          .containsExactly(
              new Frame((byte) 'd', small),
              new Frame((byte) 'd', big),
              new Frame((byte) 'd', huge),
              new Frame((byte) 'd', small));
    }
  }

  @Test
  void compactsWhenAFrameStraddlesTheEndOfTheBuffer() {
    // Frames of about 10 KiB walk the read offset past the 64 KiB initial capacity many times.
    List<Frame> expected = new ArrayList<>();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int i = 0; i < 40; i++) {
      byte[] body = pattern(10_000 + i * 37, i);
      expected.add(new Frame((byte) 'd', body));
      stream.writeBytes(frame('d', body));
    }
    for (Chunking chunking :
        List.of(Chunking.whole(), Chunking.fixed(4096), Chunking.random(9, 30_000))) {
      MessageReader reader =
          new MessageReader(ScriptedTransport.of(stream.toByteArray(), chunking), LIMIT);

      assertThat(readAll(reader, expected.size())).as("%s", chunking).isEqualTo(expected);
    }
  }

  @Test
  void bodyViewCoversExactlyTheCurrentFrameUntilTheNextCall() {
    byte[] a = WireBytes.create().cString("first").toArray();
    byte[] b = WireBytes.create().cString("second").toArray();
    // Both frames arrive in one read, so the second is already buffered behind the first.
    ScriptedTransport transport = ScriptedTransport.of(concat(frame('C', a), frame('C', b)));
    MessageReader reader = new MessageReader(transport, LIMIT);

    reader.next();
    ByteBuffer first = reader.body();

    assertThat(transport.bytesDelivered()).isEqualTo(a.length + b.length + 10);
    // The view starts at the body's first byte (not necessarily 0) and its limit stops it at
    // the end of this frame, although the next frame is already in the same buffer.
    assertThat(first.position()).isEqualTo(5);
    assertThat(first.remaining()).isEqualTo(a.length);
    assertThat(first.limit()).as("the view cannot reach the next frame").isEqualTo(5 + a.length);
    assertThat(copy(first)).isEqualTo(a);
    assertThat(copy(reader.body())).as("asking again gives the same frame").isEqualTo(a);

    reader.next();

    assertThat(copy(reader.body())).isEqualTo(b);
    assertThat(reader.body())
        .as("one view object is reused: no allocation per frame")
        .isSameAs(first);
  }

  @Test
  void borrowsBodiesFromOneReusableBuffer() {
    byte[] stream =
        concat(frame('d', pattern(50, 1)), frame('d', pattern(60, 2)), frame('d', pattern(70, 3)));
    MessageReader reader =
        new MessageReader(ScriptedTransport.of(stream, Chunking.fixed(7)), LIMIT);

    reader.next();
    byte[] backing = reader.body().array();
    reader.next();
    assertThat(reader.body().array()).as("no copy per frame").isSameAs(backing);
    reader.next();
    assertThat(reader.body().array()).isSameAs(backing);
    assertThat(copy(reader.body())).isEqualTo(pattern(70, 3));
  }

  @Test
  void decodingTheBodyDoesNotDisturbTheNextFrame() {
    // A consumer that reads the body to its end (as the decoder does) must not lose bytes.
    byte[] stream = Golden.load("pg15-startup-trust.bin");
    List<Frame> expected = Golden.frames(stream);
    MessageReader reader =
        new MessageReader(ScriptedTransport.of(stream, Chunking.random(77, 40)), LIMIT);

    for (Frame f : expected) {
      reader.next();
      assertThat(reader.type()).isEqualTo(f.type());
      ByteBuffer body = reader.body();
      body.position(body.limit());
    }
    assertThat(reader.framesRead()).isEqualTo(expected.size());
  }

  @Test
  void readsTextFramesAsUtf8() {
    byte[] body = WireBytes.create().cString("application_name").cString("wal\u00e9").toArray();
    MessageReader reader = new MessageReader(ScriptedTransport.of(frame('S', body)), LIMIT);

    reader.next();

    assertThat(BackendDecoder.decode(reader.type(), reader.body()))
        .isEqualTo(new BackendMessage.ParameterStatus("application_name", "wal\u00e9"));
  }

  /** Bytes allocated by the current thread, from the HotSpot thread MXBean. */
  private static final class ThreadAllocation {
    private final com.sun.management.ThreadMXBean bean;
    private final long before;

    private ThreadAllocation(com.sun.management.ThreadMXBean bean) {
      this.bean = bean;
      this.before = bean.getCurrentThreadAllocatedBytes();
    }

    static ThreadAllocation start() {
      java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
      assumeTrue(
          bean instanceof com.sun.management.ThreadMXBean threadMXBean
              && threadMXBean.isThreadAllocatedMemorySupported()
              && threadMXBean.isThreadAllocatedMemoryEnabled(),
          "per-thread allocation counters are not available");
      return new ThreadAllocation((com.sun.management.ThreadMXBean) bean);
    }

    long bytesSinceStart() {
      return bean.getCurrentThreadAllocatedBytes() - before;
    }
  }

  /**
   * libpq's rule: only CopyData, DataRow, RowDescription, ErrorResponse, NoticeResponse,
   * NotificationResponse and FunctionCallResponse may be longer than 30000 bytes; a longer
   * ParameterStatus, CommandComplete, authentication request, … is refused before its body is
   * buffered, in libpq's words.
   */
  @ParameterizedTest
  @ValueSource(chars = {'S', 'C', 'R', 'Z', 'K', 'H', 'W', 'v'})
  void shortMessageTypesMayNotBeLong(char type) {
    byte[] header = {(byte) type, 0, 0, (byte) 0x75, (byte) 0x31}; // length 30001
    MessageReader reader = new MessageReader(ScriptedTransport.of(header), LIMIT);
    assertThatThrownBy(reader::next)
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION))
        .hasMessage(
            "lost synchronization with server: got message type \"" + type + "\", length 30001");
    // At the limit it is read.
    byte[] atLimit = frame(type, new byte[30000 - 4]);
    MessageReader ok = new MessageReader(ScriptedTransport.of(atLimit), LIMIT);
    ok.next();
    assertThat(ok.body().remaining()).isEqualTo(30000 - 4);
  }

  @ParameterizedTest
  @ValueSource(chars = {'d', 'D', 'T', 'E', 'N', 'A', 'V'})
  void longMessageTypesMayBeLongUpToTheFrameLimit(char type) {
    byte[] body = pattern(100_000, type);
    MessageReader reader = new MessageReader(ScriptedTransport.of(frame(type, body)), LIMIT);
    reader.next();
    assertThat(copy(reader.body())).isEqualTo(body);
  }
}
