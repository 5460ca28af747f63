// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.testkit.HttpFaultProxy;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import io.jwalreceiver.testkit.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

      int segments = UploadedWal.assertOneRun(store, dir, server);

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
          segments);
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
}
