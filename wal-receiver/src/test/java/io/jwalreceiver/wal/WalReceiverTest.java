// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.protocol.ForwardingTransport;
import io.jwalreceiver.protocol.ScriptedTransport;
import io.jwalreceiver.protocol.Transport;
import io.jwalreceiver.protocol.WireBytes;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.ScriptedConnections;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The receive loop of {@link WalReceiver} against a scripted walsender ({@link ScriptedTransport}
 * under a real {@code ReplicationConnection}), with an injected clock that moves only when a timed
 * read waits out its timeout, and an in-memory sink whose durable position lags behind.
 */
class WalReceiverTest {

  private static final long SEGMENT_START = 0x1000000L;
  private static final String SYSTEM_ID = "7312345678901234567";

  private final ManualClock clock = new ManualClock(0);
  private final MemorySink sink = new MemorySink();
  private final Events events = new Events();

  @Test
  void answersEveryKeepaliveThatAsksAndReportsOnlyDurablePositions() {
    Script script =
        startup()
            .copyBoth()
            .xlog(SEGMENT_START, 100)
            .keepalive(true)
            .xlog(SEGMENT_START + 100, 100)
            .keepalive(false)
            .keepalive(true)
            .xlog(SEGMENT_START + 200, 100)
            .stopAcknowledged();
    run(
        script,
        options().withStatusInterval(Duration.ZERO).withEndPosition(Lsn.of(SEGMENT_START + 250)));

    List<Status> statuses = script.statuses();
    // The first update, one per keepalive asking for a reply, the last one at the stop.
    assertThat(statuses).hasSize(4);
    for (Status s : statuses) {
      assertThat(Long.compareUnsigned(s.flush, s.write)).isLessThanOrEqualTo(0);
      assertThat(sink.durableReturned).as("flush %s", Lsn.of(s.flush)).contains(s.flush);
    }
    // The sink lags one request behind: a receiver reporting its write position would fail here.
    assertThat(statuses.get(1).flush).isEqualTo(SEGMENT_START);
    assertThat(statuses.get(1).write).isEqualTo(SEGMENT_START + 100);
    assertThat(statuses.get(3)).isEqualTo(new Status(SEGMENT_START + 300, SEGMENT_START + 300));
    assertThat(sink.written).isEqualTo(SEGMENT_START + 300);
    assertThat(events.info).contains("stopped log streaming at 0/100012C (timeline 1)");
    assertThat(script.clientCopyDone()).isTrue();
  }

  @Test
  void sendsAStatusUpdateEachTimeTheIntervalPasses() {
    Script script = startup().copyBoth();
    for (int i = 0; i < 5; i++) {
      script.pause(); // each timed read waits out its timeout: 2.5 s in all
    }
    script.keepalive(false).xlog(SEGMENT_START, 10).stopAcknowledged();
    run(
        script,
        options().withStatusInterval(Duration.ofSeconds(1)).withEndPosition(Lsn.of(SEGMENT_START)));

    // The first update, at 1 s and at 2 s, the last one at the stop.
    assertThat(script.statuses()).hasSize(4);
    assertThat(clock.millis).isEqualTo(2500);
    // Timed reads in the loop never wait past the next status deadline or half a second.
    assertThat(script.transport().readTimeouts())
        .filteredOn(t -> t > 0)
        .hasSize(7)
        .allMatch(t -> t <= 500);
  }

  @Test
  void stopsAtTheEndPositionWithoutReadingFurther() {
    Script script =
        startup()
            .copyBoth()
            .xlog(SEGMENT_START, 64)
            .xlog(SEGMENT_START + 64, 64)
            .stopAcknowledged();
    run(script, options().withEndPosition(Lsn.of(SEGMENT_START + 32)));

    assertThat(sink.written).isEqualTo(SEGMENT_START + 64);
    assertThat(events.info).contains("stopped log streaming at 0/1000040 (timeline 1)");
  }

  @Test
  void followsATimelineSwitch() {
    Script script =
        startup()
            .copyBoth()
            .xlog(SEGMENT_START, 100)
            .serverEndsTimeline(2, "0/1000050")
            .historyFile(2, "1\t0/1000050\tno recovery target specified\n")
            .copyBoth()
            .xlog(SEGMENT_START, 0x200)
            .stopAcknowledged();
    run(script, options().withEndPosition(Lsn.of(SEGMENT_START + 0x100)));

    assertThat(events.switches).containsExactly("1->2@0/1000050");
    assertThat(sink.starts).containsExactly("1@0/1000000", "2@0/1000000");
    assertThat(sink.history).containsKey(TimelineId.of(2));
    assertThat(script.queries())
        .filteredOn(q -> q.startsWith("START_REPLICATION"))
        .containsExactly(
            "START_REPLICATION SLOT \"s\" PHYSICAL 0/1000000 TIMELINE 1",
            "START_REPLICATION SLOT \"s\" PHYSICAL 0/1000000 TIMELINE 2");
    assertThat(sink.written).isEqualTo(SEGMENT_START + 0x200);
  }

  @Test
  void stopsWhenTheTimeLimitIsReached() {
    Script script = startup().copyBoth();
    for (int i = 0; i < 3; i++) {
      script.pause();
    }
    // A receiver that ignored the limit would read this CopyDone as the end of the timeline and
    // fail on the missing next-timeline row.
    script.stopAcknowledged();
    run(script, options().withStopCondition(StopCondition.atTime(Instant.ofEpochMilli(1500))));

    assertThat(clock.millis).isEqualTo(1500);
    assertThat(script.statuses()).hasSize(2);
    assertThat(script.clientCopyDone()).isTrue();
  }

  @Test
  void aStopRequestedBeforeRunConnectsNowhere() {
    WalReceiver receiver =
        new WalReceiver(
            ConnectionConfig.of("scripted", 5432, "replicator"),
            options(),
            (size, groupAccess) -> sink,
            size -> Optional.empty(),
            events,
            clock,
            (config, notices) -> {
              throw new AssertionError("connected");
            });
    receiver.requestStop();
    receiver.run();
    assertThat(sink.starts).isEmpty();
  }

  @Test
  void aSlotTheServerDoesNotHaveEndsTheLoopWithNothingWritten() {
    // 13/14: no READ_REPLICATION_SLOT, so START_REPLICATION is where the server says it.
    Script script = startup().error("42704", "replication slot \"s\" does not exist").ready();
    AtomicInteger connections = new AtomicInteger();
    WalReceiver receiver =
        new WalReceiver(
            ConnectionConfig.of("scripted", 5432, "replicator"),
            options().withLoop(true).withRetryDelay(Duration.ofMillis(1)),
            (size, groupAccess) -> sink,
            size -> Optional.empty(),
            events,
            clock,
            (config, notices) -> {
              if (connections.incrementAndGet() > 1) {
                throw new AssertionError("reconnected after a missing slot");
              }
              return ScriptedConnections.over(script.transport(), "14.0", notices);
            });

    assertThatThrownBy(receiver::run)
        .isInstanceOf(PgException.class)
        .hasMessageContaining("replication slot \"s\" does not exist")
        .extracting(e -> ((PgException) e).sqlState())
        .isEqualTo(SqlState.UNDEFINED_OBJECT);
    // The first segment is prepared before START_REPLICATION (zero-filling must not hold up the
    // stream); no WAL reached it, and the sink is closed, which removes a file it created
    // (SegmentFileSinkTest.aCreatedFirstSegmentThatNoWalReachedIsRemovedAtClose).
    assertThat(sink.starts).as("segment files prepared").containsExactly("1@0/1000000");
    assertThat(Lsn.of(sink.written)).as("WAL written up to").isEqualTo(Lsn.parse("0/1000000"));
    assertThat(sink.closed).isTrue();
  }

  @Test
  void everyAttemptIsAnnouncedBeforeItConnectsAndEveryFailureAfter() {
    AtomicInteger connections = new AtomicInteger();
    WalReceiver[] receiver = new WalReceiver[1];
    receiver[0] =
        new WalReceiver(
            ConnectionConfig.of("scripted", 5432, "replicator"),
            options().withLoop(true).withRetryDelay(Duration.ofMillis(1)),
            (size, groupAccess) -> sink,
            size -> Optional.empty(),
            events,
            clock,
            (config, notices) -> {
              events.sequence.add("connect");
              if (connections.incrementAndGet() == 3) {
                receiver[0].requestStop();
              }
              throw new PgException(SqlState.CONNECTION_FAILURE, "refused");
            });
    receiver[0].run();
    assertThat(events.sequence)
        .containsExactly(
            "connecting",
            "connect",
            "disconnected",
            "connecting",
            "connect",
            "disconnected",
            "connecting",
            "connect",
            "disconnected");
  }

  // ---- helpers ----

  private static ReceiverOptions options() {
    return ReceiverOptions.defaults().withSlotName("s").withLoop(false);
  }

  private void run(Script script, ReceiverOptions options) {
    Transport timed = new ClockedTransport(script.transport(), clock);
    WalReceiver receiver =
        new WalReceiver(
            ConnectionConfig.of("scripted", 5432, "replicator"),
            options,
            (size, groupAccess) -> sink,
            size -> Optional.empty(),
            events,
            clock,
            (config, notices) -> ScriptedConnections.over(timed, "14.0", notices));
    receiver.run();
    assertThat(sink.closed).isTrue();
  }

  /** IDENTIFY_SYSTEM on timeline 1 at the segment start, 16 MB segments, no group access. */
  private static Script startup() {
    return new Script()
        .result(
            List.of("systemid", "timeline", "xlogpos", "dbname"), SYSTEM_ID, "1", "0/1000000", null)
        .result(List.of("wal_segment_size"), "16MB")
        .result(List.of("data_directory_mode"), "0700")
        .result(List.of("wal_sender_timeout"), "0");
  }

  /** A scripted walsender: the bytes it sends, in order; what the client sent, decoded. */
  private static final class Script {
    private final ScriptedTransport.Builder builder = ScriptedTransport.builder();
    private @Nullable ScriptedTransport transport;

    ScriptedTransport transport() {
      ScriptedTransport t = transport;
      if (t == null) {
        t = builder.build();
        transport = t;
      }
      return t;
    }

    Script frame(char type, byte[] body) {
      builder.bytes(WireBytes.frame(type, body));
      return this;
    }

    Script result(List<String> columns, @Nullable String... values) {
      WireBytes rd = WireBytes.create().int16(columns.size());
      for (String c : columns) {
        rd.cString(c).int32(0).int16(0).int32(25).int16(-1).int32(-1).int16(0);
      }
      frame('T', rd.toArray());
      WireBytes dr = WireBytes.create().int16(values.length);
      for (String v : values) {
        if (v == null) {
          dr.int32(-1);
        } else {
          byte[] b = v.getBytes(StandardCharsets.UTF_8);
          dr.int32(b.length).bytes(b);
        }
      }
      frame('D', dr.toArray());
      frame('C', WireBytes.create().cString("SELECT").toArray());
      return ready();
    }

    /** An ErrorResponse. */
    Script error(String code, String message) {
      WireBytes e = WireBytes.create();
      e.int8('S').cString("ERROR").int8('V').cString("ERROR").int8('C').cString(code);
      return frame('E', e.int8('M').cString(message).int8(0).toArray());
    }

    Script ready() {
      return frame('Z', new byte[] {'I'});
    }

    Script copyBoth() {
      return frame('W', WireBytes.create().int8(0).int16(0).toArray());
    }

    Script xlog(long start, int length) {
      ByteBuffer b = ByteBuffer.allocate(25 + length);
      b.put((byte) 'w').putLong(start).putLong(start + length).putLong(0);
      for (int i = 0; i < length; i++) {
        b.put((byte) i);
      }
      return frame('d', b.array());
    }

    Script keepalive(boolean reply) {
      ByteBuffer b = ByteBuffer.allocate(18);
      b.put((byte) 'k').putLong(SEGMENT_START).putLong(0).put((byte) (reply ? 1 : 0));
      return frame('d', b.array());
    }

    Script pause() {
      builder.pause();
      return this;
    }

    /** The server's CopyDone, then (after ours) the next timeline's row. */
    Script serverEndsTimeline(int next, String start) {
      frame('c', new byte[0]);
      return result(List.of("next_tli", "next_tli_startpos"), Integer.toString(next), start);
    }

    Script historyFile(int tli, String content) {
      return result(List.of("filename", "content"), String.format("%08X.history", tli), content);
    }

    /** What the server sends after the client's CopyDone when the client stops. */
    Script stopAcknowledged() {
      frame('c', new byte[0]);
      frame('C', WireBytes.create().cString("START_STREAMING").toArray());
      return ready();
    }

    /** Every frame the client sent: type and body. */
    List<Map.Entry<Character, ByteBuffer>> sent() {
      ByteBuffer all = ByteBuffer.wrap(transport().written());
      List<Map.Entry<Character, ByteBuffer>> frames = new ArrayList<>();
      while (all.hasRemaining()) {
        char type = (char) all.get();
        int length = all.getInt();
        ByteBuffer body = all.slice(all.position(), length - 4);
        all.position(all.position() + length - 4);
        frames.add(Map.entry(type, body));
      }
      return frames;
    }

    List<Status> statuses() {
      List<Status> out = new ArrayList<>();
      for (Map.Entry<Character, ByteBuffer> f : sent()) {
        ByteBuffer b = f.getValue();
        if (f.getKey() == 'd' && b.get(0) == 'r') {
          out.add(new Status(b.getLong(1), b.getLong(9)));
        }
      }
      return out;
    }

    List<String> queries() {
      List<String> out = new ArrayList<>();
      for (Map.Entry<Character, ByteBuffer> f : sent()) {
        if (f.getKey() == 'Q') {
          ByteBuffer b = f.getValue();
          out.add(
              new String(
                  b.array(),
                  b.arrayOffset() + b.position(),
                  b.remaining() - 1,
                  StandardCharsets.UTF_8));
        }
      }
      return out;
    }

    boolean clientCopyDone() {
      return sent().stream().anyMatch(f -> f.getKey() == 'c');
    }
  }

  /** A standby status update as sent. */
  private record Status(long write, long flush) {}

  /** Time moves only when a timed read waits out its whole timeout. */
  private static final class ClockedTransport extends ForwardingTransport {
    private final ManualClock clock;

    ClockedTransport(ScriptedTransport delegate, ManualClock clock) {
      super(delegate);
      this.clock = clock;
    }

    @Override
    public int read(ByteBuffer dst, long timeoutMillis) {
      int n = super.read(dst, timeoutMillis);
      if (n == 0) {
        clock.millis += timeoutMillis;
      }
      return n;
    }
  }

  /**
   * Keeps WAL in memory. Its durable position lags one flush request behind the written one, as a
   * flusher that has not finished its force yet; {@link #flush()} catches up.
   */
  private static final class MemorySink implements WalSink {
    final List<String> starts = new ArrayList<>();
    final Map<TimelineId, TimelineHistoryFile> history = new HashMap<>();
    final Set<Long> durableReturned = ConcurrentHashMap.newKeySet();
    @Nullable TimelineId timeline;
    long written;
    long durable;
    long requested;
    boolean closed;

    @Override
    public void write(TimelineId tli, long startLsn, ByteBuffer payload) {
      assertThat(tli).isEqualTo(timeline);
      assertThat(startLsn).isEqualTo(written);
      written += payload.remaining();
      payload.position(payload.limit());
    }

    @Override
    public void startTimeline(TimelineId tli, long startLsn) {
      starts.add(tli + "@" + Lsn.of(startLsn));
      timeline = tli;
      written = startLsn;
      durable = startLsn;
      requested = startLsn;
    }

    @Override
    public long writtenPosition() {
      return written;
    }

    @Override
    public long durablePosition() {
      durableReturned.add(durable);
      return durable;
    }

    @Override
    public void requestFlush() {
      durable = requested;
      requested = written;
    }

    @Override
    public void flush() {
      durable = written;
      requested = written;
    }

    @Override
    public void onDurable(LongConsumer listener) {}

    @Override
    public boolean hasHistoryFile(TimelineId tli) {
      return history.containsKey(tli);
    }

    @Override
    public void writeHistoryFile(TimelineHistoryFile file) {
      history.put(file.timeline(), file);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private static final class Events implements WalReceiver.Listener {
    final List<String> info = new ArrayList<>();
    final List<String> switches = new ArrayList<>();
    final List<String> sequence = new ArrayList<>();

    @Override
    public void connecting() {
      sequence.add("connecting");
    }

    @Override
    public void disconnected(PgException cause, Duration retryIn) {
      sequence.add("disconnected");
    }

    @Override
    public void info(String message) {
      info.add(message);
    }

    @Override
    public void timelineSwitched(TimelineId from, TimelineId to, Lsn start) {
      switches.add(from + "->" + to + "@" + start);
    }
  }
}
