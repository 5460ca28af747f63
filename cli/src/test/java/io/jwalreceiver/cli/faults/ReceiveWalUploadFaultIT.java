// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.testkit.HttpFaultProxy;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import io.jwalreceiver.testkit.Waits;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store misbehaves while {@code receivewal --target} and {@code basebackup -t s3://…} upload
 * through it: a seeded random schedule of 503 SlowDown and 500 InternalError answers, requests cut
 * in their body and responses cut in their head ({@link HttpFaultProxy} between our client and
 * S3Proxy). The backup's schedule never refuses one request more than twice in a row (the SDK's
 * three attempts absorb it); receivewal's up to four times, so that whole upload calls fail and the
 * uploader's own retries and ordering are exercised. Afterwards, with the store well again, one
 * more run finishes the uploads; then nothing is lost: every object under {@code wal/} is the
 * server's segment, the store's segments and the newest one kept locally form one run, and {@code
 * archive verify} accepts the archive with its backup.
 */
class ReceiveWalUploadFaultIT {

  @TempDir Path tmp;

  @FaultTest.On15
  void storeFaultsDuringUploadsLoseNothing(int major) throws Exception {
    S3Server s3 = S3Server.shared();
    String location = "s3://" + s3.newBucket() + "/faults";
    PostgresServer server = PostgresServer.shared(FaultKit.options(major));
    String slot = "faults_upload_store";
    FaultKit.createSlot(server, slot);
    Path dir = Files.createDirectory(tmp.resolve("spool"));
    try (HttpFaultProxy proxy = HttpFaultProxy.to(s3);
        ObjectStore store = Stores.open(StoreLocation.parse(location), s3.environment())) {
      Map<String, String> faulty = new HashMap<>(FaultKit.env(server.host(), server.port(), slot));
      faulty.putAll(S3Server.environment(proxy.endpoint()));
      List<HttpFaultProxy.Fault> faults =
          List.of(
              HttpFaultProxy.slowDown(),
              HttpFaultProxy.internalError(),
              new HttpFaultProxy.CutRequest(4096),
              new HttpFaultProxy.CutResponse(12));

      proxy.randomly(SEED, 0.3, 2, r -> true, faults);
      FaultKit.Run backup =
          FaultKit.cli(faulty, "basebackup", "-t", location, "-X", "none", "-c", "fast");
      assertThat(backup.exitCode())
          .as("basebackup through a faulty store: %s", backup.err())
          .isZero();
      int backupFaults = proxy.injected().size();

      long loadBytes;
      try (FaultKit.Load load = new FaultKit.Load(server, 10)) {
        Waits.sleep(4000);
        loadBytes = load.bytes();
      }
      String end = FaultKit.switchAndMark(server);
      proxy.clear();
      proxy.randomly(SEED + 1, 0.4, 4, r -> true, faults);
      FaultKit.Run faultyRun = receive(faulty, dir, slot, location, end);
      assertThat(faultyRun.exitCode()).as(faultyRun.err()).isZero();
      int walFaults = proxy.injected().size();
      assertThat(walFaults).as("faults were injected into the WAL uploads").isPositive();

      proxy.clear();
      FaultKit.Run healed = receive(faulty, dir, slot, location, FaultKit.switchAndMark(server));
      assertThat(healed.exitCode()).as(healed.err()).isZero();
      assertThat(healed.err()).doesNotContain("could not upload");

      // Every object under wal/ is the server's segment; with the newest completed segment that
      // stays local they form one run.
      TreeMap<Long, String> run = new TreeMap<>();
      for (StoredObject o : store.list(ArchiveLayout.STORE.walPrefix())) {
        String name = o.key().substring(ArchiveLayout.STORE.walPrefix().length());
        assertThat(name)
            .as("only completed segments of timeline 1")
            .matches("00000001[0-9A-F]{16}");
        try (InputStream in = store.open(o.key())) {
          assertThat(in.readAllBytes())
              .as("%s holds the server's segment (seed %d)", name, SEED)
              .isEqualTo(Files.readAllBytes(FaultKit.serverSegment(server, name)));
        }
        run.put(number(name), name);
      }
      try (Stream<Path> files = Files.list(dir)) {
        files
            .map(p -> p.getFileName().toString())
            .filter(n -> n.matches("[0-9A-F]{24}"))
            .forEach(n -> run.put(number(n), n));
      }
      assertThat(run.lastKey() - run.firstKey() + 1)
          .as("no gap in %s (seed %d)", run.values(), SEED)
          .isEqualTo(run.size());

      FaultKit.Run verify =
          FaultKit.cli(s3.environment(), "archive", "verify", "--archive", location);
      assertThat(verify.exitCode()).as("archive verify: %s", verify.err()).isZero();
      FaultKit.report(
          "store faults during uploads, PostgreSQL " + major,
          "faults during the backup",
          backupFaults,
          "faults during WAL uploads",
          walFaults,
          "WAL written under load",
          loadBytes,
          "segments archived",
          run.size());
    } finally {
      FaultKit.awaitSlotInactive(server, slot);
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  private static FaultKit.Run receive(
      Map<String, String> env, Path dir, String slot, String location, String end) {
    return FaultKit.cli(
        env,
        "receivewal",
        "-D",
        dir.toString(),
        "-S",
        slot,
        "--target",
        location,
        "--endpos",
        end,
        "--no-loop");
  }

  private static long number(String segmentName) {
    return SegmentName.parse(segmentName, FaultKit.SEGMENT).segmentNumber();
  }
}
