// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.PgException;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.SslMode;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stalled disk: every fsync of the archive takes {@value #FSYNC_DELAY_MILLIS} ms, against a
 * server with {@code wal_sender_timeout = 2s}. The receive thread must keep answering the
 * server's keepalives while the flusher waits, so the server never drops the connection (same
 * walsender pid throughout, no disconnect, no "replication timeout" in the server log), and WAL
 * keeps arriving; the flush position reported meanwhile stays behind (it waits for the slow
 * fsyncs).
 */
@Tag("postgres")
class SlowFsyncIT {

  private static final long FSYNC_DELAY_MILLIS = 2_500;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  static List<Integer> versions() {
    return PgVersions.selected().stream().filter(v -> v == 15).toList();
  }

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource("versions")
  void keepalivesAreAnsweredWhileFsyncStalls(int major) throws Exception {
    SlowChannels channels = new SlowChannels();
    AtomicInteger disconnects = new AtomicInteger();
    AtomicInteger statusesDuringFsync = new AtomicInteger();
    AtomicLong received = new AtomicLong();
    String app = "faults_slow_fsync";
    try (PostgresServer server = PostgresServer.start(PostgresServer.Options.of(major)
        .withInitdbArgs("--wal-segsize=1")
        .withSetting("wal_sender_timeout", "2s"))) {
      server.execute("SELECT pg_create_physical_replication_slot('slow', true)");
      WalReceiver receiver = new WalReceiver(
          ConnectionConfig.of(server.host(), server.port(), PostgresServer.REPL_TRUST)
              .withSslMode(SslMode.DISABLE)
              .withApplicationName(app),
          // The default 10 s status interval: only keepalive replies keep the connection alive.
          WalReceiver.Options.defaults().withSlotName("slow").withRetryDelay(Duration.ofMillis(200)),
          (size, groupAccess) ->
              SegmentFileSink.open(dir, size, SegmentFileSink.Options.DEFAULTS, channels),
          size -> ResumePoint.scan(dir, size, w -> {}),
          new WalReceiver.Listener() {
            @Override
            public void received(long end) {
              received.set(end);
            }

            @Override
            public void statusSent(long write, long flush) {
              if (channels.forcing.get() > 0) {
                statusesDuringFsync.incrementAndGet();
              }
            }

            @Override
            public void disconnected(PgException cause, Duration retryIn) {
              disconnects.incrementAndGet();
            }
          },
          InstantSource.system());
      Thread thread = new Thread(receiver::run, "slow-fsync-archiver");
      thread.setDaemon(true);
      thread.start();
      try {
        String pidQuery = "SELECT coalesce(max(pid), 0) FROM pg_stat_replication"
            + " WHERE application_name = '" + app + "' AND state = 'streaming'";
        await(() -> !"0".equals(server.queryString(pidQuery)), "streaming");
        String pid = server.queryString(pidQuery);
        // Two timeouts' worth of WAL, a little over one segment: the segment end waits for
        // several stalled fsyncs (close, rename, spare), five timeouts or more.
        long deadline = System.nanoTime() + Duration.ofSeconds(2 * 2).toNanos();
        String target = null;
        while (System.nanoTime() < deadline) {
          target = server.generateWal(64 * 1024);
          Thread.sleep(250);
          assertThat(server.queryString(pidQuery)).as("the same walsender").isEqualTo(pid);
        }
        long end = io.jwalreceiver.Lsn.parse(target).value();
        await(() -> Long.compareUnsigned(received.get(), end) >= 0, "WAL up to " + target);
        assertThat(server.queryString(pidQuery)).as("the same walsender").isEqualTo(pid);
        assertThat(disconnects.get()).as("disconnects").isZero();
        assertThat(channels.forces.get()).as("slow fsyncs").isGreaterThanOrEqualTo(2);
        assertThat(statusesDuringFsync.get()).as("status updates sent while an fsync stalled")
            .isPositive();
        assertThat(Files.readString(server.logFile()))
            .doesNotContain("terminating walsender process due to replication timeout");
        System.out.printf("faults: slow fsync (%d ms, wal_sender_timeout 2s), PostgreSQL %d:"
            + " slow fsyncs=%d, status updates during a stalled fsync=%d, disconnects=0,"
            + " walsender pid unchanged=%s%n", FSYNC_DELAY_MILLIS, major, channels.forces.get(),
            statusesDuringFsync.get(), pid);
      } finally {
        receiver.requestStop();
        thread.join(WAIT.toMillis());
      }
      assertThat(thread.isAlive()).isFalse();
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** Real channels whose every force sleeps first. */
  private static final class SlowChannels implements FileChannelFactory {
    final AtomicInteger forcing = new AtomicInteger();
    final AtomicInteger forces = new AtomicInteger();

    @Override
    public FileChannel open(
        Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
        throws IOException {
      return new ForwardingFileChannel(FileChannel.open(path, options, attributes)) {
        @Override
        public void force(boolean metaData) throws IOException {
          forcing.incrementAndGet();
          try {
            Thread.sleep(FSYNC_DELAY_MILLIS);
            super.force(metaData);
            forces.incrementAndGet();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
          } finally {
            forcing.decrementAndGet();
          }
        }
      };
    }
  }
}
