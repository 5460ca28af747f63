// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SslMode;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.ReplicationSlots;
import io.jwalreceiver.testkit.Waits;
import io.jwalreceiver.testkit.WalArchiveListing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The streaming loop against real servers with 1 MB segments: continuous archiving under load
 * (byte-identical to the server's own segments, flush never ahead of disk), a timeline switch while
 * streaming from a standby that is promoted, and synchronous-standby acknowledgement.
 */
@Tag("postgres")
class WalReceiverIT {

  static final WalSegmentSize SEGMENT = new WalSegmentSize(1 << 20);
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path tmp;

  /** The highest selected version, and 13 as well when it is selected. */
  static List<Integer> syncVersions() {
    List<Integer> all = PgVersions.selected();
    TreeSet<Integer> picked = new TreeSet<>();
    picked.add(all.get(all.size() - 1));
    if (all.contains(13)) {
      picked.add(13);
    }
    return List.copyOf(picked);
  }

  static PostgresServer.Options smallSegments(int major) {
    return PostgresServer.Options.of(major).withInitdbArgs("--wal-segsize=1");
  }

  static ConnectionConfig tcp(PostgresServer server) {
    return ConnectionConfig.builder()
        .host(server.host())
        .port(server.port())
        .user(PostgresServer.REPL_TRUST)
        .sslMode(SslMode.DISABLE)
        .connectTimeout(Duration.ofSeconds(20))
        .build();
  }

  static ReceiverOptions noLoop() {
    return ReceiverOptions.defaults().withLoop(false).withStatusInterval(Duration.ofSeconds(1));
  }

  // ------------------------------------------------------------------------------------------
  // 1. Continuous archiving under a write load
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void archivesEveryCompletedSegmentByteForByte(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(smallSegments(major));
    String slot = "wr_archive";
    server.queryString("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    try {
      try (ReceiverThread r = ReceiverThread.start(tcp(server), noLoop().withSlotName(slot), dir)) {
        r.await("streaming to start", WAIT, () -> !r.started.isEmpty());
        Lsn end = Lsn.parse(server.generateWal(5L * SEGMENT.bytes() + SEGMENT.bytes() / 2));
        SegmentName last = previous(SegmentName.of(TimelineId.FIRST, end, SEGMENT));
        r.await(
            last.fileName() + " in the archive",
            WAIT,
            () -> Files.exists(dir.resolve(last.fileName())));
        r.stop();
        assertThat(r.flushAheadOfDisk).isEmpty();
      }
      awaitSlotInactive(server, slot);

      WalArchiveListing archive = WalArchiveListing.of(dir);
      assertThat(archive.others()).as("temporary or unexpected files").isEmpty();
      assertThat(archive.complete()).hasSizeGreaterThanOrEqualTo(5);
      assertThat(archive.partials()).hasSize(1);
      archive.assertContiguous(name -> SegmentName.parse(name, SEGMENT).segmentNumber());
      Path pgWal = server.dataDir().resolve("pg_wal");
      for (String name : archive.complete()) {
        assertThat(name).matches("[0-9A-F]{24}");
        Path ours = dir.resolve(name);
        assertThat(Files.size(ours)).as(name).isEqualTo(SEGMENT.bytes());
        assertThat(Files.mismatch(ours, pgWal.resolve(name)))
            .as("first differing byte of " + name + " against the server's pg_wal")
            .isEqualTo(-1L);
      }

      // The slot moved only as far as the archive is durable: its restart_lsn lies within what
      // we have, and our bytes up to it are the server's.
      Lsn restart =
          Lsn.parse(
              server.queryString(
                  "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'"));
      String partialName = archive.partials().get(0);
      SegmentName partial = SegmentName.parse(partialName.substring(0, 24), SEGMENT);
      assertThat(restart.compareTo(partial.startLsn()))
          .as("restart_lsn %s is past the last complete segment", restart)
          .isGreaterThanOrEqualTo(0);
      assertThat(restart.compareTo(partial.endLsn())).isLessThan(0);
      int covered = (int) restart.minus(partial.startLsn());
      byte[] ours = Files.readAllBytes(dir.resolve(partialName));
      byte[] theirs = Files.readAllBytes(pgWal.resolve(partial.fileName()));
      assertThat(Arrays.copyOf(ours, covered))
          .as("the .partial up to restart_lsn %s", restart)
          .isEqualTo(Arrays.copyOf(theirs, covered));
    } finally {
      dropSlot(server, slot);
    }
  }

  // ------------------------------------------------------------------------------------------
  // 4. Timeline switch while streaming from a standby that gets promoted
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void followsThePromotionOfTheStandbyItStreamsFrom(int major) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("timeline_wal"));
    try (PostgresServer primary = PostgresServer.start(smallSegments(major));
        PostgresServer standby = primary.createStandby()) {
      String slot = "archive_slot";
      try (ReplicationConnection c = ReplicationConnection.open(tcp(standby))) {
        c.createPhysicalSlot(slot, false, true);
      }
      // An end position four segments ahead: the primary writes less than that before the
      // promotion, so the position lies on timeline 2.
      Lsn standbyPos = Lsn.parse(standby.currentWalLsn());
      Lsn end = standbyPos.segmentStart(SEGMENT).plus(4L * SEGMENT.bytes());
      try (ReceiverThread r =
          ReceiverThread.start(
              tcp(standby), noLoop().withSlotName(slot).withEndPosition(end), dir)) {
        r.await("streaming to start", WAIT, () -> !r.started.isEmpty());
        Lsn start = Lsn.parse(r.started.get(0).substring(r.started.get(0).indexOf('@') + 1));
        SegmentName first = SegmentName.of(TimelineId.FIRST, start, SEGMENT);

        // No WAL switch: the promotion then ends timeline 1 in the middle of a segment.
        primary.generateWal(SEGMENT.bytes() + SEGMENT.bytes() / 2);
        String primaryPos = primary.currentWalLsn();
        standby.awaitReplay(primaryPos, WAIT);
        r.await(
            first.fileName() + " (timeline 1) in the archive",
            WAIT,
            () -> Files.exists(dir.resolve(first.fileName())));

        standby.promote();
        Lsn promotedAt = Lsn.parse(standby.queryString("SELECT pg_current_wal_insert_lsn()"));
        assertThat(promotedAt.compareTo(end))
            .as("precondition: the promotion happens before the end position")
            .isLessThan(0);
        String a = standby.queryString("SELECT pg_walfile_name(pg_current_wal_insert_lsn())");
        assertThat(a).startsWith("00000002");
        standby.generateWal(4L * SEGMENT.bytes() + SEGMENT.bytes() / 2);
        standby.switchWal();
        standby.execute("SELECT pg_logical_emit_message(true, 'jwalreceiver-flush', '')");

        r.awaitEnd(WAIT);
        assertThat(r.switches).hasSize(1);
        assertThat(r.switches.get(0)).startsWith("1->2@");

        WalArchiveListing archive = WalArchiveListing.of(dir);
        assertThat(archive.others()).containsExactly("00000002.history");
        assertThat(dir.resolve(first.fileName())).exists();
        assertThat(dir.resolve(a)).as("the new timeline's segment").exists();
        // The switch point from the history file: the old timeline's segment holding it stays
        // partial (unless the switch is at a segment start); the new timeline repeats it whole.
        String history = Files.readString(dir.resolve("00000002.history"));
        assertThat(history).startsWith("1\t");
        Lsn switchPoint = Lsn.parse(history.split("\t")[1]);
        SegmentName switchSegment = SegmentName.of(TimelineId.of(2), switchPoint, SEGMENT);
        assertThat(archive.complete()).contains(switchSegment.fileName());
        if (SEGMENT.offset(switchPoint) != 0) {
          assertThat(archive.partials())
              .containsExactly(
                  switchSegment.onTimeline(TimelineId.FIRST).fileName() + ".partial",
                  SegmentName.of(TimelineId.of(2), end, SEGMENT).fileName() + ".partial");
        }
        assertThat(r.switches.get(0)).isEqualTo("1->2@" + switchPoint);
        Path pgWal = standby.dataDir().resolve("pg_wal");
        int compared = 0;
        for (String name : archive.complete()) {
          assertThat(Files.size(dir.resolve(name))).isEqualTo(SEGMENT.bytes());
          if (Files.exists(pgWal.resolve(name))) {
            assertThat(Files.mismatch(dir.resolve(name), pgWal.resolve(name)))
                .as(name)
                .isEqualTo(-1L);
            compared++;
          }
        }
        assertThat(compared).isGreaterThanOrEqualTo(2);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // 7. Synchronous standby
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("syncVersions")
  void actsAsASynchronousStandby(int major) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("sync_wal"));
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (PostgresServer server = PostgresServer.start(smallSegments(major))) {
      server.execute("CREATE TABLE sync_t (i int)");
      server.execute("ALTER SYSTEM SET synchronous_standby_names = 'jwal_sync'");
      server.execute("ALTER SYSTEM SET synchronous_commit = 'on'");
      server.queryString("SELECT pg_reload_conf()");
      try {
        ConnectionConfig config = tcp(server).toBuilder().applicationName("jwal_sync").build();
        try (ReceiverThread r = ReceiverThread.start(config, noLoop().withSynchronous(true), dir)) {
          r.await(
              "sync_state = sync",
              WAIT,
              () ->
                  "sync"
                      .equals(
                          server.queryString(
                              "SELECT coalesce(max(sync_state), '') FROM pg_stat_replication"
                                  + " WHERE application_name = 'jwal_sync' AND state = 'streaming'")));

          try (Connection c = server.sql();
              Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO sync_t VALUES (1)");
            Lsn beforeCommit = Lsn.parse(scalar(st, "SELECT pg_current_wal_insert_lsn()"));
            Future<?> commit =
                executor.submit(
                    () -> {
                      c.commit();
                      return null;
                    });
            commit.get(20, TimeUnit.SECONDS);
            // The commit returned: the server saw a flush position at or past the commit
            // record, which lies after beforeCommit; that position was durable here.
            long durable = java.util.Objects.requireNonNull(r.sink.get()).durablePosition();
            assertThat(Long.compareUnsigned(durable, beforeCommit.value()))
                .as("durable %s must cover the commit after %s", Lsn.of(durable), beforeCommit)
                .isGreaterThan(0);
            c.setAutoCommit(true);
            String[] rep =
                scalar(
                        st,
                        "SELECT sync_state || ' ' || flush_lsn FROM pg_stat_replication"
                            + " WHERE application_name = 'jwal_sync'")
                    .split(" ");
            long durableAfter = r.sink.get().durablePosition();
            assertThat(rep[0]).isEqualTo("sync");
            Lsn reportedFlush = Lsn.parse(rep[1]);
            assertThat(reportedFlush.compareTo(beforeCommit)).isGreaterThan(0);
            assertThat(Long.compareUnsigned(reportedFlush.value(), durableAfter))
                .as(
                    "flush %s reported to the server vs durable %s",
                    reportedFlush, Lsn.of(durableAfter))
                .isLessThanOrEqualTo(0);
          }
          assertThat(r.flushAheadOfDisk).isEmpty();
          r.stop();
        }

        // Without its synchronous standby the primary cannot acknowledge a commit.
        try (Connection c = server.sql();
            Statement st = c.createStatement()) {
          String pid = scalar(st, "SELECT pg_backend_pid()");
          Future<?> insert =
              executor.submit(
                  () -> {
                    st.execute("INSERT INTO sync_t VALUES (2)");
                    return null;
                  });
          try {
            insert.get(3, TimeUnit.SECONDS);
            fail("the INSERT committed without the synchronous standby");
          } catch (TimeoutException expected) {
            // waiting for the synchronous standby
          }
          assertThat(
                  server.queryString("SELECT wait_event FROM pg_stat_activity WHERE pid = " + pid))
              .isEqualTo("SyncRep");
          server.queryString("SELECT pg_cancel_backend(" + pid + ")");
          // The cancelled wait returns (with a warning: committed locally, not replicated).
          insert.get(20, TimeUnit.SECONDS);
        }
      } finally {
        server.execute("ALTER SYSTEM RESET synchronous_standby_names");
        server.queryString("SELECT pg_reload_conf()");
      }
    } finally {
      executor.shutdownNow();
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers
  // ------------------------------------------------------------------------------------------

  private static String scalar(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static SegmentName previous(SegmentName s) {
    return new SegmentName(s.timeline(), s.segmentNumber() - 1, s.size());
  }

  static void awaitSlotInactive(PostgresServer server, String slot) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!"f"
        .equals(
            server.queryString(
                "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))) {
      if (System.nanoTime() > deadline) {
        fail("slot " + slot + " still active");
      }
      Waits.sleep(50);
    }
  }

  static void dropSlot(PostgresServer server, String slot) {
    ReplicationSlots.dropIfInactive(server, slot);
  }
}
