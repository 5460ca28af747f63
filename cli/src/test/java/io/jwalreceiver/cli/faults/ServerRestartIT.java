// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.PostgresServer.StopMode;
import io.jwalreceiver.testkit.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary restarts mid-stream, alternately with a fast and an immediate shutdown (the latter
 * followed by crash recovery): the archiver reconnects and resumes, the slot's flush position is
 * held by the archive after every restart, and the archive ends contiguous and identical to the
 * server's segments.
 */
class ServerRestartIT {

  @TempDir Path tmp;

  @FaultTest.On15
  void resumesAfterFastAndImmediateRestarts(int major) throws Exception {
    FaultKit.Rounds rounds = FaultKit.Rounds.of("restarts", 4, 20, "restart-" + major);
    String slot = "faults_restart";
    String app = "faults_restart";
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    FaultKit.Events events = new FaultKit.Events();
    int fast = 0;
    int immediate = 0;
    long checked = 0;
    try (PostgresServer server = PostgresServer.start(FaultKit.options(major))) {
      try (FaultKit.Rig rig = new FaultKit.Rig(server, slot, dir, events, 10)) {
        FaultKit.Running archiver = rig.archiver;
        for (int i = 1; i <= rounds.count(); i++) {
          final int round = i;
          archiver.awaitAttempt(events, round);
          Waits.sleep(300 + rounds.random().nextInt(700));
          StopMode mode = i % 2 == 1 ? StopMode.FAST : StopMode.IMMEDIATE;
          server.stop(mode);
          if (mode == StopMode.FAST) {
            fast++;
          } else {
            immediate++;
          }
          // The highest flush position the server saw before the shutdown, and the slot's after
          // it (which the reconnected archiver may already have moved: also acknowledged).
          long seen = rig.sampler.takeMax();
          server.start();
          long acknowledged = rig.acknowledged(seen);
          checked +=
              FaultKit.assertHoldsUpTo(
                  dir, server, TimelineId.FIRST, acknowledged, mode + " restart " + i);
          FaultKit.await(
              TIMEOUT,
              () -> events.disconnects.get() >= round,
              () -> "the archiver to notice restart " + round);
        }
        assertThat(rig.load.bytes()).isPositive();
        events.awaitArchiveEnd(server, TIMEOUT);
      }
      for (PgException e : events.errors) {
        assertThat(e.sqlState().classCode())
            .as("connection loss or server shutdown: %s", e.render())
            .isIn("08", "57");
      }
      long bytes = FaultKit.assertArchiveIntact(dir, server, TimelineId.FIRST);
      FaultKit.report(
          "primary restarts, PostgreSQL " + major,
          "restarts",
          rounds.count(),
          "fast",
          fast,
          "immediate",
          immediate,
          "reconnects",
          events.starts.get() - 1,
          "acknowledged bytes re-read after restarts",
          checked,
          "WAL bytes checked",
          bytes,
          "bytes lost",
          0);
    }
  }
}
