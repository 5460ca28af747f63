// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pieces that keep an archive whole across a failover: the reconnect backoff, the system
 * identifier read from archived segments and checked against each server, and the check that the
 * archive's position is in the new server's timeline history.
 */
class FailoverGuardsTest {

  private static final WalSegmentSize SIZE = new WalSegmentSize(1 << 20);
  private static final long SYSID = 7_312_345_678_901_234_567L;
  private static final TimelineId TLI1 = TimelineId.FIRST;
  private static final TimelineId TLI2 = TimelineId.of(2);

  @TempDir Path dir;

  @Test
  void theDefaultBackoffIsPgReceivewalsFixedDelay() {
    Backoff fixed = new Backoff(Duration.ofSeconds(5), null);
    List<Duration> waits = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waits.add(fixed.next());
    }
    assertThat(waits).containsOnly(Duration.ofSeconds(5));
    assertThat(ReceiverOptions.defaults().reconnectBackoffMax()).isNull();
    assertThat(ReceiverOptions.defaults().retryDelay()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aGrowingBackoffDoublesUpToItsCapAndStartsOverAfterAHealthyStream() {
    Backoff growing = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(30));
    List<Duration> waits = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waits.add(growing.next());
    }
    assertThat(waits)
        .containsExactly(
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            Duration.ofSeconds(20),
            Duration.ofSeconds(30),
            Duration.ofSeconds(30));
    growing.reset();
    assertThat(growing.next()).isEqualTo(Duration.ofSeconds(5));
    assertThat(growing.next()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void theResumePointCarriesTheSystemIdentifierOfTheArchivedSegments() throws Exception {
    // The newest file is a zero-filled .partial (nothing written yet): the completed one tells.
    Files.write(dir.resolve("000000010000000000000003"), segment(3, SYSID));
    Files.write(dir.resolve("000000010000000000000004.partial"), new byte[SIZE.bytes()]);
    Optional<ResumePoint> point = ResumePoint.scan(dir, SIZE, w -> {});
    assertThat(point).isPresent();
    assertThat(point.get().fromFile()).isEqualTo("000000010000000000000004.partial");
    assertThat(point.get().systemId()).isEqualTo(Long.toUnsignedString(SYSID));
  }

  @Test
  void aCompressedSegmentTellsTheSystemIdentifierToo() throws Exception {
    try (OutputStream out =
        new GZIPOutputStream(Files.newOutputStream(dir.resolve("000000010000000000000007.gz")))) {
      out.write(segment(7, -2L));
    }
    assertThat(ResumePoint.scan(dir, SIZE, w -> {}).orElseThrow().systemId())
        .isEqualTo(Long.toUnsignedString(-2L));
  }

  @Test
  void aHeaderForAnotherSegmentOrSizeTellsNothing() throws Exception {
    // The page address of segment 5 in a file named 6: not this file's header.
    Files.write(dir.resolve("000000010000000000000006"), segment(5, SYSID));
    assertThat(ResumePoint.scan(dir, SIZE, w -> {}).orElseThrow().systemId()).isNull();
  }

  @Test
  void anotherClustersServerIsRefusedOnFirstConnectAndOnReconnect() {
    ClusterGuard guard = new ClusterGuard();
    Optional<ResumePoint> archive =
        Optional.of(new ResumePoint(TLI1, Lsn.parse("0/400000"), "f", "111"));
    assertThatThrownBy(() -> guard.checkArchive("222", "db2:5432", archive))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "system identifier mismatch: server db2:5432 has 222, but the archive's WAL files have"
                + " 111; refusing to archive another cluster's WAL")
        .satisfies(
            e ->
                assertThat(((PgException) e).sqlState())
                    .isEqualTo(SqlState.INVALID_PARAMETER_VALUE));
    assertThatCode(() -> guard.checkArchive("111", "db1:5432", archive)).doesNotThrowAnyException();
    guard.checkServer("111", "db1:5432");
    guard.checkServer("111", "db3:5432");
    assertThatThrownBy(() -> guard.checkServer("333", "db4:5432"))
        .hasMessage(
            "system identifier mismatch: server db4:5432 has 333, but the first server archived"
                + " from have 111; refusing to archive another cluster's WAL");
  }

  @Test
  void anArchiveBelowTheSwitchPointFollowsTheNewTimeline() {
    TimelineHistoryFile history = history(2, "1\t0/3000148\tno recovery target specified\n");
    assertThatCode(
            () -> ClusterGuard.checkHistory(TLI1, Lsn.parse("0/3000000"), TLI2, () -> history))
        .doesNotThrowAnyException();
    // The same timeline as the server's: no history needed.
    assertThatCode(
            () ->
                ClusterGuard.checkHistory(
                    TLI2,
                    Lsn.parse("0/9000000"),
                    TLI2,
                    () -> {
                      throw new AssertionError("fetched");
                    }))
        .doesNotThrowAnyException();
  }

  @Test
  void anArchiveBeyondTheSwitchPointIsRefusedNamingBothPositions() {
    TimelineHistoryFile history = history(2, "1\t0/3000148\tno recovery target specified\n");
    assertThatThrownBy(
            () -> ClusterGuard.checkHistory(TLI1, Lsn.parse("0/4000000"), TLI2, () -> history))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "the archive is ahead of the server's history: it holds timeline 1 up to 0/4000000,"
                + " but the server's timeline 2 forked from timeline 1 at 0/3000148 (a diverged"
                + " old primary's WAL); refusing to resume");
  }

  @Test
  void anArchiveOnAnotherBranchIsRefused() {
    TimelineHistoryFile history =
        history(3, "1\t0/3000148\tno recovery target specified\n" + "2\t0/5000000\tx\n");
    TimelineHistoryFile branch = history(4, "1\t0/3000148\tx\n" + "3\t0/6000000\tx\n");
    assertThatCode(
            () ->
                ClusterGuard.checkHistory(
                    TLI2, Lsn.parse("0/4000000"), TimelineId.of(3), () -> history))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                ClusterGuard.checkHistory(
                    TLI2, Lsn.parse("0/4000000"), TimelineId.of(4), () -> branch))
        .hasMessage(
            "the archive's timeline 2 (resuming at 0/4000000) is not in the history of the"
                + " server's timeline 4: the archive follows a different branch; refusing to"
                + " resume");
  }

  @Test
  void aCreatedSlotWhoseServerLostTheWalEndsWithAnErrorNamingBothPositions() {
    PgException removed =
        new PgException(
            ServerError.of(
                Map.of(
                    'S', "ERROR",
                    'C', "58P01",
                    'M',
                        "requested WAL segment 000000010000000000000003 has already been removed")));
    StartPosition start = new StartPosition(TLI1, Lsn.parse("0/3000000"));
    PgException explained = SlotCreation.explain(removed, "arch", Lsn.parse("0/9000028"), start);
    assertThat(explained.sqlState()).isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
    assertThat(explained.fromServer()).isFalse();
    assertThat(explained)
        .hasMessageStartingWith(
            "the server no longer has the WAL the archive needs: the archive resumes at 0/3000000"
                + " on timeline 1, but replication slot \"arch\" was created reserving WAL from"
                + " 0/9000028")
        .hasMessageEndingWith("has already been removed");
    // Any other failure is passed on as it is (and retried).
    PgException other = new PgException(SqlState.CONNECTION_FAILURE, "gone");
    assertThat(SlotCreation.explain(other, "arch", Lsn.parse("0/9000028"), start)).isSameAs(other);
  }

  private static TimelineHistoryFile history(int tli, String content) {
    TimelineId t = TimelineId.of(tli);
    return TimelineHistoryFile.parse(t, t.historyFileName(), content.getBytes(UTF_8));
  }

  /** A segment whose first page has a valid long header, the rest zero. */
  private static byte[] segment(long number, long sysid) {
    ByteBuffer b = ByteBuffer.allocate(SIZE.bytes()).order(ByteOrder.nativeOrder());
    b.putShort(0, (short) 0xD110); // xlp_magic (15)
    b.putShort(2, (short) 0x0006); // XLP_LONG_HEADER | XLP_BKP_REMOVABLE
    b.putInt(4, 1); // xlp_tli
    b.putLong(8, number * SIZE.bytes()); // xlp_pageaddr
    b.putLong(24, sysid);
    b.putInt(32, SIZE.bytes());
    b.putInt(36, 8192);
    return b.array();
  }
}
