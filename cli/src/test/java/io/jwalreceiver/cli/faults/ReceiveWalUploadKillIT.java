// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.JAR;
import static io.jwalreceiver.cli.faults.FaultKit.SEED;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import io.jwalreceiver.testkit.Waits;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of {@code receivewal --target s3://…} (the shaded jar in a subprocess) at random
 * moments under a steady write load, while it uploads, restarted each time. Afterwards the WAL in
 * the store and the one segment left locally are one contiguous run, and every object under a final
 * name holds exactly the server's segment: a kill never leaves an incomplete or foreign object, and
 * a restart leaves no gap.
 */
class ReceiveWalUploadKillIT {

  @TempDir Path tmp;

  @FaultTest.OnLoopVersions
  void killsDuringUploadsLeaveTheArchiveContinuous(int major) throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    FaultKit.Rounds rounds = FaultKit.Rounds.of("upload kills", 3, 40, "upload-kill-" + major);
    Random random = rounds.random();
    S3Server s3 = S3Server.shared();
    String location = "s3://" + s3.newBucket() + "/kills";
    PostgresServer server = PostgresServer.shared(FaultKit.options(major));
    String slot = "faults_upload_kill";
    String app = "faults_upload_kill_" + major;
    FaultKit.createSlot(server, slot);
    Path dir = Files.createDirectory(tmp.resolve("spool"));
    Path log = tmp.resolve("receivewal.log");
    Map<String, String> env = new HashMap<>(FaultKit.env(server.host(), server.port(), app));
    env.putAll(s3.environment());
    try (ObjectStore store = Stores.open(StoreLocation.parse(location), s3.environment())) {
      receiveUpTo(env, dir, slot, location, FaultKit.switchAndMark(server));
      long loadBytes;
      try (FaultKit.Load load = new FaultKit.Load(server, 20)) {
        for (int i = 1; i <= rounds.count(); i++) {
          Process p = start(env, dir, slot, location, log);
          try {
            FaultKit.await(
                TIMEOUT,
                () -> !p.isAlive() || FaultKit.streaming(server, app),
                () -> "receivewal streaming");
            assertThat(p.isAlive()).as("receivewal running: %s", tailOf(log)).isTrue();
            // A new JVM needs a moment before its first upload (the SDK's classes, the listing).
            Waits.sleep(2000 + random.nextInt(2000));
          } finally {
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
          }
          FaultKit.awaitSlotInactive(server, slot);
        }
        loadBytes = load.bytes();
      }
      assertThat(Files.readString(log))
          .as("the killed processes uploaded (and were killed amid uploads)")
          .contains("uploaded 00000001");
      receiveUpTo(env, dir, slot, location, FaultKit.switchAndMark(server));

      // The store's segments, then the newest completed one that stays local: one run.
      TreeMap<Long, String> all = new TreeMap<>();
      for (StoredObject o : store.list("wal/")) {
        String name = o.key().substring("wal/".length());
        assertThat(name)
            .as("only completed segments of timeline 1")
            .matches("00000001[0-9A-F]{16}");
        all.put(number(name), name);
        try (InputStream in = store.open(o.key())) {
          assertThat(in.readAllBytes())
              .as("%s holds the server's segment (seed %d)", name, SEED)
              .isEqualTo(Files.readAllBytes(FaultKit.serverSegment(server, name)));
        }
      }
      List<String> local = new ArrayList<>();
      try (var files = Files.list(dir)) {
        files
            .map(p -> p.getFileName().toString())
            .filter(n -> n.matches("[0-9A-F]{24}"))
            .forEach(local::add);
      }
      assertThat(local).as("completed segments left in %s", dir).hasSize(1);
      all.put(number(local.get(0)), local.get(0));
      long expected = all.firstKey();
      for (Map.Entry<Long, String> e : all.entrySet()) {
        assertThat(e.getKey())
            .as("no gap before %s (seed %d)", e.getValue(), SEED)
            .isEqualTo(expected);
        expected++;
      }
      assertThat(all).as("segments archived across the kills").hasSizeGreaterThan(rounds.count());
      FaultKit.report(
          "kill -9 of receivewal --target, PostgreSQL " + major,
          "kills survived",
          rounds.count(),
          "WAL written under load",
          loadBytes,
          "segments in the store",
          all.size() - 1);
    } finally {
      FaultKit.awaitSlotInactive(server, slot);
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  private static Process start(
      Map<String, String> env, Path dir, String slot, String location, Path log) throws Exception {
    return FaultKit.startReceiveWal(env, dir, slot, log, "--target", location);
  }

  private static void receiveUpTo(
      Map<String, String> env, Path dir, String slot, String location, String end) {
    FaultKit.Run r = FaultKit.receiveWalUpTo(env, dir, slot, end, "--target", location);
    assertThat(r.err()).doesNotContain("warning:");
  }

  private static long number(String segmentName) {
    return SegmentName.parse(segmentName, FaultKit.SEGMENT).segmentNumber();
  }

  private static String tailOf(Path log) {
    try {
      return Files.exists(log) ? FaultKit.tail(Files.readString(log)) : "(no output)";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
