// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEGMENT;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.TcpProxy;
import io.jwalreceiver.testkit.VersionedCases;
import io.jwalreceiver.testkit.Waits;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.WalReceiver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * receivewal across a failover: the archiver streams from a primary, reached through a host list
 * with {@code target_session_attrs=read-write} or through one address that moves (a {@link
 * TcpProxy}); the primary dies, the standby is promoted, the list's second host (or the proxy) now
 * leads to it. The archiver continues on timeline 2 with no gap, and refuses, writing nothing, a
 * server of another cluster or one whose history forked below what the archive holds.
 */
@Tag("postgres")
class FailoverIT {

  private static final TimelineId TLI2 = TimelineId.of(2);
  private static final String SLOT = "faults_failover";

  @TempDir Path tmp;

  /** How the archiver finds the new primary after the failover. */
  enum Route {
    /**
     * libpq's way: {@code host=primary,standby target_session_attrs=read-write}. While the standby
     * is still in recovery it is refused as libpq refuses it; once promoted it is chosen.
     */
    HOST_LIST,
    /** One address that moves (a virtual IP, a DNS name, a proxy): the proxy is switched over. */
    MOVING_ADDRESS
  }

  static Stream<Object[]> routes() {
    return VersionedCases.onEachSelected(
        new Object[][] {{Route.HOST_LIST}, {Route.MOVING_ADDRESS}});
  }

  @ParameterizedTest(name = "PostgreSQL {0}, {1}", allowZeroInvocations = true)
  @MethodSource("routes")
  void theArchiveContinuesOnThePromotedStandbysTimeline(int major, Route route) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    FaultKit.Events events = new FaultKit.Events();
    try (PostgresServer primary = PostgresServer.start(FaultKit.options(major));
        PostgresServer standby = primary.createStandby();
        TcpProxy proxy = TcpProxy.to(primary)) {
      FaultKit.createSlot(primary, SLOT);
      // The new primary will lack the slot: the opt-in creates it there.
      ReceiverOptions options = options(SLOT).toBuilder().createSlotIfMissing(true).build();
      ConnectionConfig config =
          route == Route.HOST_LIST
              ? FaultKit.readWrite(SLOT, primary, standby)
              : replication(proxy);
      Path backup = tmp.resolve("backup");
      try (FaultKit.Running archiver =
          new FaultKit.Running(
              FaultKit.archiver(config, dir, options, events), "archiver-failover")) {
        events.awaitArchivedLoad(primary, 2L * SEGMENT.bytes(), TIMEOUT);
        // The recovery oracle's starting point, taken on timeline 1 while the archiver runs.
        FaultKit.baseBackup(primary, backup);
        events.awaitArchivedLoad(primary, SEGMENT.bytes(), TIMEOUT);
        // The standby and the archiver both have all the old primary's WAL: nothing asynchronous
        // is lost, so the archive is not ahead of the new timeline (see the diverged case below).
        events.awaitCaughtUp(primary, standby);
        primary.stop(PostgresServer.StopMode.IMMEDIATE);
        if (route == Route.HOST_LIST) {
          // Before the promotion the list has no read-write server: the standby is refused as
          // libpq refuses it, and the archiver keeps retrying the whole list.
          FaultKit.await(
              TIMEOUT,
              () ->
                  new ArrayList<>(events.errors)
                      .stream()
                          .anyMatch(
                              e ->
                                  e.getMessage().contains("server is in hot standby mode")
                                      || e.getMessage().contains("session is read-only")),
              () -> "the standby refused for read-write while in recovery: " + events.errors);
        } else {
          proxy.retarget(standby);
          proxy.cutAll();
        }
        standby.promote();
        // Written after the promotion: only timeline 2's WAL in the archive holds it.
        standby.execute("CREATE TABLE after_promotion AS SELECT 'marker'::text AS v");
        events.awaitArchivedLoad(standby, 2L * SEGMENT.bytes(), TIMEOUT);
        assertThat(archiver.failure()).isNull();
      }
      assertThat(events.disconnects.get()).as("reconnects").isPositive();
      if (route == Route.HOST_LIST) {
        assertThat(events.servers)
            .as("servers archived from")
            .startsWith(primary.host() + ":" + primary.port())
            .endsWith(standby.host() + ":" + standby.port());
      }
      assertThat(events.switches.get()).as("timeline switches followed").isEqualTo(1);
      assertThat(standby.queryString("SELECT count(*) FROM pg_replication_slots"))
          .as("slot created on the new primary")
          .isEqualTo("1");

      // Continuous: timeline 1 up to the switch segment (kept .partial), timeline 2 from there,
      // history file identical to the server's.
      long bytes = FaultKit.assertArchiveIntact(dir, primary, TimelineId.FIRST);
      bytes += FaultKit.assertTimelineContinues(dir, TLI2, standby);
      NavigableMap<Long, String> old = FaultKit.segments(dir, TimelineId.FIRST);
      NavigableMap<Long, String> next = FaultKit.segments(dir, TLI2);
      FaultKit.report(
          "failover of the archived primary (" + route + "), PostgreSQL " + major,
          "reconnects",
          events.disconnects.get(),
          "old timeline partial",
          old.lastEntry().getValue(),
          "new timeline segments",
          next.size(),
          "WAL bytes checked",
          bytes);
      // The oracle: a base backup plus this archive recovers past the promotion.
      FaultKit.assertRecoversFromArchive(
          backup, dir, major, "SELECT v FROM after_promotion", "marker");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.SELECTED)
  void anotherClustersServerIsRefusedAndNothingIsWritten(int major) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    try (PostgresServer ours = PostgresServer.start(FaultKit.options(major));
        PostgresServer foreign = PostgresServer.start(FaultKit.options(major));
        TcpProxy proxy = TcpProxy.to(ours)) {
      FaultKit.Events events = new FaultKit.Events();
      FaultKit.Running archiver = start(proxy, dir, options(null), events, "archiver-ours");
      ours.generateWal(SEGMENT.bytes());
      events.awaitArchiveEnd(ours, TIMEOUT);
      Map<String, String> before = settledListing(dir);

      // On reconnect: the first server's identifier is remembered.
      proxy.retarget(foreign);
      proxy.cutAll();
      assertRefused(
          archiver,
          dir,
          before,
          "system identifier mismatch: server ",
          "but the first server archived from have");

      // On start: the identifier comes from the archived segments' page headers.
      WalReceiver fresh = FaultKit.archiver(replication(proxy), dir, options(null), events);
      assertThatThrownBy(fresh::run)
          .isInstanceOf(PgException.class)
          .hasMessageContaining("but the archive's WAL files have");
      assertThat(listing(dir)).isEqualTo(before);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.SELECTED)
  void aServerWhoseHistoryForkedBelowTheArchiveIsRefused(int major) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    try (PostgresServer primary = PostgresServer.start(FaultKit.options(major));
        PostgresServer standby = primary.createStandby();
        TcpProxy proxy = TcpProxy.to(primary)) {
      String replayed = primary.generateWal(SEGMENT.bytes() / 2);
      standby.awaitReplay(replayed, TIMEOUT);
      standby.stop();
      FaultKit.Events events = new FaultKit.Events();
      FaultKit.Running archiver = start(proxy, dir, options(null), events, "archiver-diverged");
      // WAL that only the old primary and the archive get: the standby is down.
      primary.generateWal(3L * SEGMENT.bytes());
      events.awaitArchiveEnd(primary, TIMEOUT);
      primary.stop(PostgresServer.StopMode.IMMEDIATE);
      Map<String, String> before = settledListing(dir);
      standby.start();
      standby.promote();
      proxy.retarget(standby);
      proxy.cutAll();
      assertRefused(
          archiver,
          dir,
          before,
          "the archive is ahead of the server's history: it holds timeline 1 up to ",
          "but the server's timeline 2 forked from timeline 1 at ");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.SELECTED)
  void aMissingSlotIsAnErrorUnlessItsCreationIsAskedFor(int major) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    try (PostgresServer server = PostgresServer.start(FaultKit.options(major));
        TcpProxy proxy = TcpProxy.to(server)) {
      FaultKit.Events events = new FaultKit.Events();
      // With and without looping: retrying cannot cure it (13/14 learn it from START_REPLICATION,
      // 15+ from READ_REPLICATION_SLOT), and no segment file is prepared for it.
      for (boolean loop : new boolean[] {false, true}) {
        WalReceiver refusing =
            FaultKit.archiver(replication(proxy), dir, options("absent").withLoop(loop), events);
        assertThatThrownBy(refusing::run)
            .isInstanceOf(PgException.class)
            .hasMessageContaining("replication slot \"absent\" does not exist");
        assertThat(listing(dir)).isEmpty();
      }

      ReceiverOptions creating = options("absent").toBuilder().createSlotIfMissing(true).build();
      try (FaultKit.Running archiver = start(proxy, dir, creating, events, "archiver-slot")) {
        events.awaitArchiveEnd(server, TIMEOUT);
        assertThat(archiver.failure()).isNull();
      }
      assertThat(FaultKit.restartLsn(server, "absent")).isPositive();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.SELECTED)
  void aCreatedSlotCannotBringBackWalTheServerRemoved(int major) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    // Nothing holds old WAL back: no wal_keep_size, a small max_wal_size, no slot.
    PostgresServer.Options small =
        FaultKit.options(major)
            .withSetting("wal_keep_size", "0")
            .withSetting("min_wal_size", "2MB")
            .withSetting("max_wal_size", "4MB");
    try (PostgresServer server = PostgresServer.start(small);
        TcpProxy proxy = TcpProxy.to(server)) {
      FaultKit.Events events = new FaultKit.Events();
      try (FaultKit.Running archiver = start(proxy, dir, options(null), events, "archiver-old")) {
        server.generateWal(SEGMENT.bytes());
        events.awaitArchiveEnd(server, TIMEOUT);
        assertThat(archiver.failure()).isNull();
      }
      String needed =
          FaultKit.segments(dir, TimelineId.FIRST).lastEntry().getValue().replace(".partial", "");
      String present = "SELECT count(*) FROM pg_ls_waldir() WHERE name = '" + needed + "'";
      for (int round = 0; round < 10 && !"0".equals(server.queryString(present)); round++) {
        server.generateWal(4L * SEGMENT.bytes());
        server.execute("CHECKPOINT");
      }
      assertThat(server.queryString(present)).as(needed + " removed by the server").isEqualTo("0");

      Map<String, String> before = listing(dir);
      ReceiverOptions creating = options("lost").toBuilder().createSlotIfMissing(true).build();
      WalReceiver receiver = FaultKit.archiver(replication(proxy), dir, creating, events);
      assertThatThrownBy(receiver::run)
          .isInstanceOf(PgException.class)
          .hasMessageStartingWith("the server no longer has the WAL the archive needs: ")
          .hasMessageContaining("replication slot \"lost\" was created reserving WAL from ")
          .hasMessageContaining(needed);
      assertThat(listing(dir)).isEqualTo(before);
    }
  }

  /** The archiver ended with a refusal, and the archive is as it was before. */
  private static void assertRefused(
      FaultKit.Running archiver, Path dir, Map<String, String> before, String start, String part) {
    archiver.awaitEnd(TIMEOUT);
    assertThat(archiver.failure())
        .isInstanceOf(PgException.class)
        .hasMessageStartingWith(start)
        .hasMessageContaining(part);
    assertThat(listing(dir)).isEqualTo(before);
  }

  private static ReceiverOptions options(String slot) {
    return ReceiverOptions.defaults()
        .withSlotName(slot)
        .withStatusInterval(Duration.ofSeconds(1))
        .withRetryDelay(Duration.ofMillis(200));
  }

  private static ConnectionConfig replication(TcpProxy proxy) {
    return FaultKit.replication(proxy.host(), proxy.port(), "faults_failover");
  }

  private static FaultKit.Running start(
      TcpProxy proxy, Path dir, ReceiverOptions options, FaultKit.Events events, String name) {
    return new FaultKit.Running(FaultKit.archiver(replication(proxy), dir, options, events), name);
  }

  /**
   * WAL and history file names, sizes and times: what "nothing written" compares. The sink's own
   * hidden work directory comes and goes with each connection and is not archive content.
   */
  /**
   * The listing once a running archiver has opened the segment it streams into (a {@code .partial})
   * and nothing has changed for 300 ms: "received up to the mark" is counted as the WAL arrives, a
   * moment before the sink creates the next segment's file.
   */
  private static Map<String, String> settledListing(Path dir) {
    List<Map<String, String>> settled = new ArrayList<>();
    Waits.await(
        TIMEOUT,
        () -> {
          Map<String, String> first = listing(dir);
          Waits.sleep(300);
          Map<String, String> second = listing(dir);
          boolean done =
              first.equals(second)
                  && second.keySet().stream().anyMatch(n -> n.endsWith(".partial"));
          if (done) {
            settled.add(second);
          }
          return done;
        },
        () -> "the archive in " + dir + " to settle: " + listing(dir));
    return settled.get(0);
  }

  private static Map<String, String> listing(Path dir) {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.filter(p -> !p.getFileName().toString().startsWith("."))
          .forEach(
              p -> {
                try {
                  files.put(
                      p.getFileName().toString(),
                      Files.size(p) + " bytes, modified " + Files.getLastModifiedTime(p));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }
}
