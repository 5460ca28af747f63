// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEED;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.TcpProxy;
import io.jwalreceiver.testkit.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection cuts (TCP resets through testkit's proxy) at random moments while WAL streams under
 * load: the archiver reconnects after its retry delay and resumes, and the archive ends with no gap
 * and no segment that differs from the server's. The server sends XLogData of up to 128 KiB and the
 * proxy relays whatever each read returns, so cuts fall inside messages as well as between them.
 *
 * <p>The archiver is {@code receivewal}'s loop run in-process with a 200 ms retry delay (the
 * command waits pg_receivewal's fixed 5 s, which would make 20 cuts take minutes).
 */
class ReceiveWalCutIT {

  @TempDir Path tmp;

  @FaultTest.OnLoopVersions
  void reconnectsAfterEveryCutWithoutAGap(int major) throws Exception {
    FaultKit.Rounds rounds = FaultKit.Rounds.of("cuts", 20, 200, "cut-" + major);
    PostgresServer server = PostgresServer.shared(FaultKit.options(major));
    String slot = "faults_cut";
    String app = "faults_cut_" + major;
    FaultKit.createSlot(server, slot);
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    FaultKit.Events events = new FaultKit.Events();
    int cutConnections = 0;
    long relayed;
    try (TcpProxy proxy = TcpProxy.to(server)) {
      try (FaultKit.Running archiver =
              FaultKit.startArchiver(
                  proxy.host(), proxy.port(), app, dir, slot, events, "archiver-cut");
          FaultKit.Load load = new FaultKit.Load(server, 10)) {
        for (int i = 1; i <= rounds.count(); i++) {
          final int round = i;
          archiver.awaitAttempt(events, round);
          Waits.sleep(50 + rounds.random().nextInt(400));
          int n = proxy.cutAll();
          assertThat(n)
              .as("cut %d of %d found a live connection (seed %d)", i, rounds.count(), SEED)
              .isPositive();
          cutConnections += n;
          FaultKit.await(
              TIMEOUT,
              () -> events.disconnects.get() >= round,
              () -> "the archiver to notice cut " + round);
        }
        assertThat(load.bytes()).isPositive();
        events.awaitArchiveEnd(server, TIMEOUT);
        relayed = proxy.bytesForwarded();
      }
    } finally {
      FaultKit.awaitSlotInactive(server, slot);
    }
    try {
      for (PgException e : events.errors) {
        assertThat(e.sqlState().classCode())
            .as("only connection failures: %s", e.render())
            .isEqualTo("08");
      }
      long bytes = FaultKit.assertArchiveIntact(dir, server, TimelineId.FIRST);
      FaultKit.report(
          "connection cuts, PostgreSQL " + major,
          "cuts survived",
          rounds.count(),
          "connections reset",
          cutConnections,
          "reconnects",
          events.starts.get() - 1,
          "bytes relayed",
          relayed,
          "WAL bytes checked",
          bytes,
          "bytes lost",
          0);
    } finally {
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }
}
