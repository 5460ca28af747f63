// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.JAR;
import static io.jwalreceiver.cli.faults.FaultKit.SEED;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.TimelineId;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a running {@code receivewal} at random moments under a steady write load,
 * restarted each time. After every kill, the highest flush position the server saw from the killed
 * process (the slot's restart_lsn and every pg_stat_replication.flush_lsn sampled while it ran)
 * must be held, byte for byte, by the archive as the process left it. At the end the archive is
 * contiguous, identical to the server's segments, and readable by pg_waldump (15).
 *
 * <p>"On disk" here means in the files: a process kill leaves the page cache alone, so this proves
 * that nothing is acknowledged before it is written; that it is also forced before being
 * acknowledged (power loss) is SegmentFileSinkTest's durablePositionNeverPassesWhatAForceCovered.
 */
class ReceiveWalKillIT {

  @TempDir Path tmp;

  @FaultTest.OnLoopVersions
  void nothingAcknowledgedIsLostAcrossKills(int major) throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    FaultKit.Rounds rounds = FaultKit.Rounds.of("kills", 12, 200, "kill-" + major);
    int kills = rounds.count();
    Random random = rounds.random();
    PostgresServer server = PostgresServer.shared(FaultKit.options(major));
    String slot = "faults_kill";
    String app = "faults_kill_" + major;
    FaultKit.createSlot(server, slot);
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    Path log = tmp.resolve("receivewal.log");
    long checked = 0;
    int synchronousRuns = 0;
    long loadBytes;
    long startMillis = 0;
    long inactiveMillis = 0;
    try {
      // Start the archive so that the slot's position is one this archive reported.
      receiveUpTo(server, dir, slot, app, FaultKit.switchAndMark(server));
      try (FaultKit.Load load = new FaultKit.Load(server, 40);
          FaultKit.FlushSampler sampler = new FaultKit.FlushSampler(server, app)) {
        for (int i = 1; i <= kills; i++) {
          boolean synchronous = random.nextBoolean();
          synchronousRuns += synchronous ? 1 : 0;
          long t0 = System.nanoTime();
          Process p = start(server, dir, slot, app, log, synchronous);
          try {
            FaultKit.await(
                TIMEOUT,
                () -> !p.isAlive() || FaultKit.streaming(server, app),
                () -> "receivewal streaming");
            startMillis += (System.nanoTime() - t0) / 1_000_000;
            assertThat(p.isAlive()).as("receivewal running: %s", tailOf(log)).isTrue();
            Waits.sleep(random.nextInt(800));
          } finally {
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
          }
          long t1 = System.nanoTime();
          FaultKit.awaitSlotInactive(server, slot);
          inactiveMillis += (System.nanoTime() - t1) / 1_000_000;
          long slotFlush = FaultKit.restartLsn(server, slot);
          long seenFlush = sampler.takeMax();
          long acknowledged =
              Long.compareUnsigned(slotFlush, seenFlush) >= 0 ? slotFlush : seenFlush;
          String context =
              "kill "
                  + i
                  + " of "
                  + kills
                  + (synchronous ? " (--synchronous)" : "")
                  + ", slot at "
                  + FaultKit.text(slotFlush)
                  + ", max sampled flush "
                  + FaultKit.text(seenFlush)
                  + ", seed "
                  + SEED;
          checked += FaultKit.assertHoldsUpTo(dir, server, TimelineId.FIRST, acknowledged, context);
        }
        loadBytes = load.bytes();
      }
      String end = FaultKit.switchAndMark(server);
      receiveUpTo(server, dir, slot, app, end);
      long bytes = FaultKit.assertArchiveIntact(dir, server, TimelineId.FIRST);
      FaultKit.report(
          "kill -9 of receivewal, PostgreSQL " + major,
          "kills survived",
          kills,
          "of them --synchronous",
          synchronousRuns,
          "WAL written under load",
          loadBytes,
          "acknowledged bytes re-read after kills",
          checked,
          "WAL bytes checked",
          bytes,
          "bytes lost",
          0,
          "mean ms to streaming",
          startMillis / kills,
          "mean ms to slot release",
          inactiveMillis / kills);
    } finally {
      FaultKit.awaitSlotInactive(server, slot);
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  private static Process start(
      PostgresServer server, Path dir, String slot, String app, Path log, boolean synchronous)
      throws Exception {
    Map<String, String> env = FaultKit.env(server.host(), server.port(), app);
    return synchronous
        ? FaultKit.startReceiveWal(env, dir, slot, log, "--synchronous")
        : FaultKit.startReceiveWal(env, dir, slot, log);
  }

  /** An in-process {@code receivewal --endpos} run that must succeed. */
  static void receiveUpTo(PostgresServer server, Path dir, String slot, String app, String end) {
    FaultKit.receiveWalUpTo(FaultKit.env(server.host(), server.port(), app), dir, slot, end);
  }

  private static String tailOf(Path log) {
    try {
      return Files.exists(log) ? FaultKit.tail(Files.readString(log)) : "(no output)";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
