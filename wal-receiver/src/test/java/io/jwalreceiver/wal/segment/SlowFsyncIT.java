// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.SslMode;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Waits;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stalled disk: every fsync of the archive takes {@value #FSYNC_DELAY_MILLIS} ms, against a
 * server with {@code wal_sender_timeout = 2s}. The receive thread must keep answering the server's
 * keepalives while the flusher waits, so the server never drops the connection (same walsender pid
 * throughout, no disconnect, no "replication timeout" in the server log), and WAL keeps arriving.
 * Every flush position reported meanwhile is checked against what the completed fsyncs covered
 * (fsync before acknowledgement, with real server traffic).
 */
@Tag("postgres")
class SlowFsyncIT {

  private static final long FSYNC_DELAY_MILLIS = 2_500;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.ONLY_15)
  void keepalivesAreAnsweredWhileFsyncStalls(int major) throws Exception {
    SlowChannels channels = new SlowChannels();
    AtomicLong statusesChecked = new AtomicLong();
    AtomicLong streamStart = new AtomicLong();
    AtomicLong maxFlush = new AtomicLong();
    List<String> aheadOfFsync = new CopyOnWriteArrayList<>();
    AtomicInteger disconnects = new AtomicInteger();
    AtomicInteger statusesDuringFsync = new AtomicInteger();
    AtomicLong received = new AtomicLong();
    String app = "faults_slow_fsync";
    try (PostgresServer server =
        PostgresServer.start(
            PostgresServer.Options.of(major)
                .withInitdbArgs("--wal-segsize=1")
                .withSetting("wal_sender_timeout", "2s"))) {
      server.execute("SELECT pg_create_physical_replication_slot('slow', true)");
      WalReceiver receiver =
          new WalReceiver(
              ConnectionConfig.builder()
                  .host(server.host())
                  .port(server.port())
                  .user(PostgresServer.REPL_TRUST)
                  .sslMode(SslMode.DISABLE)
                  .applicationName(app)
                  .build(),
              // The default 10 s status interval: only keepalive replies keep the connection alive.
              ReceiverOptions.defaults()
                  .withSlotName("slow")
                  .withRetryDelay(Duration.ofMillis(200)),
              (size, groupAccess) -> {
                SegmentFileSink sink =
                    SegmentFileSink.open(dir, size, SegmentFileOptions.DEFAULTS, channels);
                channels.sink.set(sink);
                return sink;
              },
              size -> ResumePoint.scan(dir, size, w -> {}),
              new WalReceiver.Listener() {
                @Override
                public void received(long end) {
                  received.set(end);
                }

                @Override
                public void streamingStarted(TimelineId timeline, Lsn start) {
                  // The segment start the stream resumes at is where the durable position begins.
                  channels.forcedUpTo.accumulateAndGet(start.value(), Math::max);
                  streamStart.compareAndSet(0, start.value());
                }

                @Override
                public void statusSent(long write, long flush) {
                  if (channels.forcing.get() > 0) {
                    statusesDuringFsync.incrementAndGet();
                  }
                  // fsync before acknowledgement: the flush position never passes what a completed
                  // force covered.
                  statusesChecked.incrementAndGet();
                  maxFlush.accumulateAndGet(flush, Math::max);
                  long forced = channels.forcedUpTo.get();
                  if (Long.compareUnsigned(flush, forced) > 0) {
                    aheadOfFsync.add("flush " + Lsn.of(flush) + " > forced " + Lsn.of(forced));
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
        String pidQuery =
            "SELECT coalesce(max(pid), 0) FROM pg_stat_replication"
                + " WHERE application_name = '"
                + app
                + "' AND state = 'streaming'";
        Waits.await(WAIT, () -> !"0".equals(server.queryString(pidQuery)), "streaming");
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
        long end = io.jwalreceiver.Lsn.parse(java.util.Objects.requireNonNull(target)).value();
        Waits.await(
            WAIT, () -> Long.compareUnsigned(received.get(), end) >= 0, "WAL up to " + target);
        // And an acknowledgement beyond the start, so the fsync check below has teeth.
        Waits.await(
            WAIT,
            () -> Long.compareUnsigned(maxFlush.get(), streamStart.get()) > 0,
            "a flush position acknowledged beyond the start");
        assertThat(server.queryString(pidQuery)).as("the same walsender").isEqualTo(pid);
        assertThat(disconnects.get()).as("disconnects").isZero();
        assertThat(channels.forces.get()).as("slow fsyncs").isGreaterThanOrEqualTo(2);
        assertThat(statusesDuringFsync.get())
            .as("status updates sent while an fsync stalled")
            .isPositive();
        assertThat(aheadOfFsync).as("flush positions ahead of a completed fsync").isEmpty();
        assertThat(Files.readString(server.logFile()))
            .doesNotContain("terminating walsender process due to replication timeout");
        System.out.printf(
            "faults: slow fsync (%d ms, wal_sender_timeout 2s), PostgreSQL %d:"
                + " slow fsyncs=%d, status updates during a stalled fsync=%d, disconnects=0,"
                + " walsender pid unchanged=%s, status updates checked flush <= fsynced=%d, highest flush=%s, ahead=0%n",
            FSYNC_DELAY_MILLIS,
            major,
            channels.forces.get(),
            statusesDuringFsync.get(),
            pid,
            statusesChecked.get(),
            Lsn.of(maxFlush.get()));
      } finally {
        receiver.requestStop();
        thread.join(WAIT.toMillis());
      }
      assertThat(thread.isAlive()).isFalse();
    }
  }

  /**
   * Real channels whose every force sleeps first, and which record how far completed forces
   * provably reached: a force covers the WAL written into its file before it started, no more. WAL
   * is written by the receive thread, zero-filling by the flusher.
   */
  private static final class SlowChannels implements FileChannelFactory {
    final AtomicInteger forcing = new AtomicInteger();
    final AtomicInteger forces = new AtomicInteger();
    final AtomicReference<SegmentFileSink> sink = new AtomicReference<>();
    final AtomicLong forcedUpTo = new AtomicLong();

    @Override
    public FileChannel open(
        Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
        throws IOException {
      return new ForwardingFileChannel(FileChannel.open(path, options, attributes)) {
        private volatile long walEnd;

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
          SegmentFileSink s = sink.get();
          if (s != null && !Thread.currentThread().getName().equals("wal-flusher")) {
            // The sink writes one segment's share at a time, starting at its written position.
            walEnd = Math.max(walEnd, s.writtenPosition() + src.remaining());
          }
          return super.write(src, position);
        }

        @Override
        public void force(boolean metaData) throws IOException {
          SegmentFileSink s = sink.get();
          long before = s == null ? 0 : s.writtenPosition();
          forcing.incrementAndGet();
          try {
            Thread.sleep(FSYNC_DELAY_MILLIS);
            super.force(metaData);
            forcedUpTo.accumulateAndGet(Math.min(before, walEnd), Math::max);
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
