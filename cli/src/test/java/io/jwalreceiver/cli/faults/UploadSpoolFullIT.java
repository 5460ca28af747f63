// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.JAR;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.TimelineId;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.testkit.HttpFaultProxy;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import io.jwalreceiver.testkit.Tools;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool fills while the store refuses every upload: {@code receivewal --target} (the shaded
 * jar) on a small tmpfs made for the test, the store answering 503 to every PUT. The spool keeps
 * every completed segment (none is uploaded), so the disk fills and receivewal fails with {@code No
 * space left on device} and keeps retrying; the files hold the WAL up to the slot's position while
 * full. When the store accepts uploads again, the uploaded segments leave the spool, the space
 * returns and receivewal catches up by itself; after a SIGTERM the store and the spool hold one run
 * of the server's segments. Skipped when a tmpfs cannot be mounted (not root).
 */
class UploadSpoolFullIT {

  @TempDir Path tmp;

  @FaultTest.On15
  void aFullSpoolHealsOnceTheStoreAcceptsUploadsAgain(int major) throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    Path mnt = Files.createDirectories(tmp.resolve("small"));
    int mounted =
        Tools.run(
                Duration.ofSeconds(30),
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=6m",
                "tmpfs",
                mnt.toString())
            .exitCode();
    assumeTrue(mounted == 0, "cannot mount a tmpfs (needs root)");
    S3Server s3 = S3Server.shared();
    String location = "s3://" + s3.newBucket() + "/spoolfull";
    PostgresServer server = PostgresServer.shared(FaultKit.options(major));
    String slot = "faults_spool_full";
    FaultKit.createSlot(server, slot);
    Path dir = Files.createDirectory(mnt.resolve("spool"));
    Path log = tmp.resolve("receivewal.log");
    Process p = null;
    try (HttpFaultProxy proxy = HttpFaultProxy.to(s3);
        ObjectStore store = Stores.open(StoreLocation.parse(location), s3.environment())) {
      Map<String, String> env = new HashMap<>(FaultKit.env(server.host(), server.port(), slot));
      env.putAll(S3Server.environment(proxy.endpoint()));
      proxy.inject(
          HttpFaultProxy.request("PUT", "/"), Integer.MAX_VALUE, HttpFaultProxy.slowDown());
      p = start(env, dir, slot, location, log);
      Process running = p;
      long loadBytes;
      try (FaultKit.Load load = new FaultKit.Load(server, 20)) {
        FaultKit.await(
            TIMEOUT,
            () -> !running.isAlive() || read(log).contains("No space left on device"),
            () -> "a disk-full error: " + FaultKit.tail(read(log)));
        loadBytes = load.bytes();
      }
      assertThat(p.isAlive())
          .as("receivewal keeps retrying: %s", FaultKit.tail(read(log)))
          .isTrue();
      long acknowledged = FaultKit.restartLsn(server, slot);
      long checked =
          FaultKit.assertHoldsUpTo(dir, server, TimelineId.FIRST, acknowledged, "spool full");
      assertThat(store.list("wal/")).as("nothing got through the refusing store").isEmpty();

      proxy.clear();
      String end = FaultKit.switchAndMark(server);
      long target = FaultKit.lsn(end);
      FaultKit.await(
          TIMEOUT,
          () -> Long.compareUnsigned(FaultKit.restartLsn(server, slot), target) >= 0,
          () ->
              "the slot past " + end + " once uploads free the spool: " + FaultKit.tail(read(log)));
      p.destroy(); // SIGTERM: uploads what is complete, then exits
      assertThat(p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(FaultKit.tail(read(log))).isZero();
      int segments = UploadedWal.assertOneRun(store, dir, server);
      FaultKit.report(
          "spool full while the store refuses, PostgreSQL " + major,
          "WAL written until the spool was full",
          loadBytes,
          "acknowledged bytes re-read while full",
          checked,
          "segments archived",
          segments);
    } finally {
      if (p != null) {
        p.destroyForcibly();
        p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
      FaultKit.awaitSlotInactive(server, slot);
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
      assertThat(Tools.run(Duration.ofSeconds(30), "umount", mnt.toString()).exitCode()).isZero();
    }
  }

  private static Process start(
      Map<String, String> env, Path dir, String slot, String location, Path log) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                FaultKit.javaBin(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-jar",
                JAR.toAbsolutePath().toString(),
                "receivewal",
                "-D",
                dir.toString(),
                "-S",
                slot,
                "-s",
                "1",
                "--target",
                location)
            .redirectErrorStream(true)
            .redirectOutput(Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    return pb.start();
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "(no output)";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
