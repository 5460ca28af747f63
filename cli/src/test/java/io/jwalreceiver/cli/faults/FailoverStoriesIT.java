// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEGMENT;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.TimelineId;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.TcpProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The failover stories beside {@link FailoverIT}'s: a planned switchover whose old primary rejoins
 * as a standby of the new one, and failovers repeated round after round; in each the in-process
 * archiver follows every timeline and the archive stays continuous.
 */
@Tag("postgres")
class FailoverStoriesIT {

  private static final String APP = "faults_stories";

  @TempDir Path tmp;

  /**
   * A planned switchover: the primary is stopped cleanly ({@code fast}: its walsenders send all of
   * its WAL, the shutdown checkpoint included, before it exits), the standby that replayed all of
   * it is promoted, and the old primary rejoins as a standby of the new primary with no rewind. The
   * archiver, on {@code host=old,new target_session_attrs=read-write}, continues on the new primary
   * and refuses the old one, now read-only. Then the same back: the first server leads again on
   * timeline 3.
   */
  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.SELECTED)
  void aPlannedSwitchoverKeepsTheArchiveContinuousAndTheOldPrimaryRejoins(int major)
      throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    FaultKit.Events events = new FaultKit.Events();
    try (PostgresServer primary = PostgresServer.start(FaultKit.options(major));
        PostgresServer standby = primary.createStandby()) {
      try (FaultKit.Running archiver =
          new FaultKit.Running(
              FaultKit.archiver(
                  FaultKit.readWrite(APP, primary, standby),
                  dir,
                  null,
                  Duration.ofMillis(200),
                  events),
              "archiver-switchover")) {
        events.awaitArchivedLoad(primary, 2L * SEGMENT.bytes(), TIMEOUT);
        switchOver(primary, standby, events);
        assertThat(primary.isInRecovery()).as("the old primary is a standby now").isTrue();
        assertThat(events.servers)
            .as("servers archived from")
            .startsWith(primary.host() + ":" + primary.port())
            .endsWith(standby.host() + ":" + standby.port());
        // And back: the first server leads again, on timeline 3.
        switchOver(standby, primary, events);
        assertThat(standby.isInRecovery()).as("the second server is a standby again").isTrue();
        assertThat(archiver.failure()).isNull();
      }
      assertThat(events.switches.get()).as("timeline switches followed").isEqualTo(2);
      assertThat(events.servers)
          .as("servers archived from")
          .endsWith(primary.host() + ":" + primary.port());
      long bytes = FaultKit.assertArchiveIntact(dir, primary, TimelineId.FIRST);
      bytes += FaultKit.assertTimelineContinues(dir, TimelineId.of(2), standby);
      bytes += FaultKit.assertTimelineContinues(dir, TimelineId.of(3), primary);
      FaultKit.report(
          "planned switchover, old primary rejoined, PostgreSQL " + major,
          "reconnects",
          events.disconnects.get(),
          "WAL bytes checked",
          bytes);
    }
  }

  /**
   * Failovers in a row ({@code faults.failovers}, 5 by default): each round writes a seeded amount
   * of WAL, waits until the standby and the archiver have it all, stops the primary {@code
   * immediate}, promotes the standby and builds a new standby from it. One archiver runs through
   * all rounds behind one moving address (a {@link TcpProxy}): a host list is fixed when the
   * archiver starts and cannot name the standbys created later. The archive ends continuous across
   * timelines 1 to rounds + 1 (11 to 15 s a version). On the loop versions (13, 15 and 18, as
   * selected), like the kill and cut loops; the planned switchover above runs on every version.
   */
  @FaultTest.OnLoopVersions
  void theArchiveFollowsRepeatedFailovers(int major) throws Exception {
    FaultKit.Rounds rounds = FaultKit.Rounds.of("failovers", 5, 20, "failovers-" + major);
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    FaultKit.Events events = new FaultKit.Events();
    // leaders.get(t - 1) led timeline t; the last one is the final standby.
    List<PostgresServer> leaders = new ArrayList<>();
    try {
      PostgresServer primary = PostgresServer.start(FaultKit.options(major));
      leaders.add(primary);
      PostgresServer standby = primary.createStandby();
      leaders.add(standby);
      try (TcpProxy proxy = TcpProxy.to(primary);
          FaultKit.Running archiver =
              new FaultKit.Running(
                  FaultKit.archiver(
                      FaultKit.replication(proxy.host(), proxy.port(), APP),
                      dir,
                      null,
                      Duration.ofMillis(200),
                      events),
                  "archiver-failovers")) {
        for (int round = 1; round <= rounds.count(); round++) {
          long bytes = SEGMENT.bytes() / 2 + rounds.random().nextInt(2 * SEGMENT.bytes());
          events.awaitArchivedLoad(primary, bytes, TIMEOUT);
          events.awaitCaughtUp(primary, standby);
          primary.stop(PostgresServer.StopMode.IMMEDIATE);
          proxy.retarget(standby);
          proxy.cutAll();
          standby.promote();
          primary = standby;
          standby = primary.createStandby("standby" + (round + 1));
          leaders.add(standby);
        }
        events.awaitArchivedLoad(primary, SEGMENT.bytes(), TIMEOUT);
        assertThat(archiver.failure()).isNull();
      }
      // Every timeline was followed. One run on 15 saw a timeline's end twice (6 switches for 5
      // failovers), archive intact: presumably a reconnect between the switch and the first file
      // of the new timeline, so the resume scan picks the old timeline's .partial and the server
      // ends that timeline again. The set, not the count, is what must hold.
      List<TimelineId> timelines = new ArrayList<>();
      for (int t = 2; t <= rounds.count() + 1; t++) {
        timelines.add(TimelineId.of(t));
      }
      assertThat(new TreeSet<>(events.switchedTo))
          .as("timelines switched to")
          .isEqualTo(new TreeSet<>(timelines));
      long bytes = FaultKit.assertArchiveIntact(dir, leaders.get(0), TimelineId.FIRST);
      for (int t = 2; t <= rounds.count() + 1; t++) {
        bytes += FaultKit.assertTimelineContinues(dir, TimelineId.of(t), leaders.get(t - 1));
      }
      FaultKit.report(
          rounds.count() + " failovers in a row, PostgreSQL " + major,
          "reconnects",
          events.disconnects.get(),
          "timelines switched to",
          events.switchedTo,
          "WAL bytes checked",
          bytes);
    } finally {
      leaders.forEach(PostgresServer::close);
    }
  }

  /**
   * A planned switchover from {@code from} to {@code to}, its standby: once {@code to} has replayed
   * and the archiver has received all of {@code from}'s WAL, {@code from} stops ({@code fast}),
   * {@code to} is promoted and {@code from} rejoins as its standby; then a load on {@code to} is
   * archived and replayed by {@code from}.
   */
  private static void switchOver(PostgresServer from, PostgresServer to, FaultKit.Events events)
      throws Exception {
    // Where the old primary will stream from once it is a standby (ignored while primary).
    String name = "standby_on_" + to.port();
    from.execute(
        "ALTER SYSTEM SET primary_conninfo = 'host="
            + to.host()
            + " port="
            + to.port()
            + " user="
            + PostgresServer.REPL_TRUST
            + " application_name="
            + name
            + "'");
    events.awaitCaughtUp(from, to);
    from.stop(PostgresServer.StopMode.FAST);
    to.promote();
    rejoinAsStandby(from);
    to.awaitReplication(name, TIMEOUT);
    events.awaitArchivedLoad(to, 2L * SEGMENT.bytes(), TIMEOUT);
    from.awaitReplay(to.currentWalLsn(), TIMEOUT);
  }

  /**
   * Turns a cleanly stopped primary into a standby: {@code standby.signal} beside the {@code
   * primary_conninfo} already set, then starts it on its port again.
   */
  private static void rejoinAsStandby(PostgresServer stopped) throws Exception {
    Files.writeString(stopped.dataDir().resolve("standby.signal"), "");
    PostgresServer.handOver(stopped.dataDir());
    stopped.start();
  }
}
