// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.archive.upload.UploadOptions;
import io.jwalreceiver.archive.upload.WalUploader;
import io.jwalreceiver.wal.WalReceiver;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics adapter: what it costs per message on the receive path; the upload metrics. */
class ReceiveWalMetricsTest {

  @TempDir Path tmp;

  private static final int MESSAGES = 1_000_000;

  @Test
  void perMessageCallbacksDoNotAllocate() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (ReceiveWalMetrics metrics =
        new ReceiveWalMetrics(new WalReceiver.Listener() {}, InstantSource.system())) {
      metrics.streamingStarted(TimelineId.FIRST, Lsn.of(0));
      long end = run(metrics, 0); // warm up: link the VarHandles, let the JIT compile
      long before = threads.getCurrentThreadAllocatedBytes();
      run(metrics, end);
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      // The measuring call itself may allocate a little; per message it must be nothing.
      assertThat(allocated).as("bytes allocated over %d messages", MESSAGES).isLessThan(1024);
    }
  }

  @Test
  void uploadMetricsShowTheBacklogAndTheFailures() throws Exception {
    Path spool = Files.createDirectory(tmp.resolve("spool"));
    Instant now = Instant.parse("2026-12-06T23:00:00Z");
    for (String name : new String[] {"000000010000000000000001", "000000010000000000000002"}) {
      Path file = Files.write(spool.resolve(name), new byte[100]);
      Files.setLastModifiedTime(file, FileTime.from(now.minusSeconds(42)));
    }
    // A "directory" that is a file: every upload fails.
    Path notADirectory = Files.write(tmp.resolve("file"), new byte[1]);
    InstantSource clock = InstantSource.fixed(now);
    try (ObjectStore store = Stores.open(StoreLocation.parse(notADirectory.toString()), Map.of());
        ReceiveWalMetrics metrics = new ReceiveWalMetrics(new WalReceiver.Listener() {}, clock)) {
      WalUploader uploader =
          new WalUploader(
              spool,
              store,
              ArchiveLayout.STORE,
              UploadOptions.DEFAULTS,
              new WalUploader.Listener() {},
              clock);
      metrics.attach(uploader);
      uploader.start();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (uploader.failures() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      uploader.close(Duration.ofMillis(100));
      int port = metrics.serve(InetAddress.getLoopbackAddress(), 0);
      Map<String, Double> m =
          ReceiveWalMetricsIT.scrape(
              HttpClient.newHttpClient(), "http://127.0.0.1:" + port + "/metrics");
      assertThat(m)
          .containsEntry("jwalreceiver_upload_lag_segments", 2.0)
          .containsEntry("jwalreceiver_upload_lag_seconds", 42.0)
          .containsEntry("jwalreceiver_uploaded_files_total", 0.0);
      assertThat(m.get("jwalreceiver_upload_failures_total")).isGreaterThanOrEqualTo(1.0);
    }
  }

  private static long run(ReceiveWalMetrics metrics, long from) {
    long end = from;
    for (int i = 0; i < MESSAGES; i++) {
      end += 8192;
      metrics.serverWalEnd(end + 65536);
      metrics.received(end);
    }
    return end;
  }
}
