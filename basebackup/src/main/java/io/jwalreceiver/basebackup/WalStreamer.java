// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileOptions;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.jwalreceiver.wal.segment.SyncPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code -X stream}: the WAL receiver on a second connection, in a background thread, writing into
 * the backup's {@code pg_wal} the way pg_basebackup's streamer does — segment files without the
 * {@code .partial} suffix, {@code archive_status/<segment>.done} markers — from the backup's start
 * position until the end position the main connection learns last.
 */
final class WalStreamer {

  private static final long FIRST_WAL_WAIT_SECONDS = 60;

  private final WalReceiver receiver;
  private final Thread thread;
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

  /** Open once the first WAL arrived or the streamer failed (e.g. at START_REPLICATION). */
  private final CountDownLatch started = new CountDownLatch(1);

  private WalStreamer(WalReceiver receiver) {
    this.receiver = receiver;
    this.thread = new Thread(this::run, "wal-streamer");
    this.thread.setDaemon(true);
  }

  /**
   * Starts streaming into {@code <target>/pg_wal} (plain format; for tar format the caller packs
   * the directory afterwards).
   */
  static WalStreamer start(
      ConnectionConfig config,
      BaseBackupRequest request,
      Path target,
      WalSegmentSize size,
      TimelineId timeline,
      Lsn start,
      BackupProgress progress) {
    Path walDir = target.resolve("pg_wal");
    try {
      Files.createDirectories(walDir.resolve("archive_status"));
    } catch (IOException e) {
      throw new PgException(
          SqlState.IO_ERROR,
          "could not create directory \""
              + walDir.resolve("archive_status")
              + "\": "
              + e.getMessage(),
          e);
    }
    ReceiverOptions options =
        ReceiverOptions.defaults()
            .withSlotName(request.temporarySlot() ? null : request.slotName())
            .withTemporarySlot(
                request.temporarySlot() && request.slotName() == null ? "pg_basebackup" : null)
            .withStatusInterval(request.statusInterval())
            .withLoop(false)
            .withStart(timeline, start.segmentStart(size));
    SegmentFileOptions sinkOptions =
        SegmentFileOptions.DEFAULTS
            .withSyncPolicy(request.sync() ? SyncPolicy.ON_REQUEST : SyncPolicy.NEVER)
            .withMarkDone(true)
            .withPartialSuffix(false);
    WalStreamer[] streamer = new WalStreamer[1];
    WalReceiver receiver =
        new WalReceiver(
            config.toBuilder().fallbackApplicationName("pg_basebackup").build(),
            options,
            (s, groupAccess) ->
                SegmentFileSink.open(walDir, s, sinkOptions.withGroupAccess(groupAccess)),
            s -> Optional.empty(),
            new WalReceiver.Listener() {
              @Override
              public void info(String message) {
                // pg_receivewal's line, which pg_basebackup's streamer does not print.
                if (!message.startsWith("starting log streaming at ")) {
                  progress.info(message);
                }
              }

              @Override
              public void received(long end) {
                streamer[0].started.countDown();
              }
            },
            InstantSource.system());
    streamer[0] = new WalStreamer(receiver);
    streamer[0].thread.start();
    progress.streamerStarted(
        request.slotName(), request.temporarySlot() && request.slotName() == null);
    // As pg_basebackup, whose streamer fails at START_REPLICATION (a missing slot, say) before
    // the data is transferred: wait for the first WAL, which the server has (the backup's start
    // checkpoint is in it), or the streamer's failure.
    streamer[0].awaitFirstWal();
    return streamer[0];
  }

  private void run() {
    try {
      receiver.run();
    } catch (RuntimeException e) {
      failure.set(e);
    } finally {
      started.countDown();
    }
  }

  private void awaitFirstWal() {
    try {
      // Bounded only against a server that never sends: the transfer checks again anyway.
      started.await(FIRST_WAL_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new PgException(SqlState.QUERY_CANCELED, "interrupted while starting the WAL streamer");
    }
    try {
      checkAlive();
    } catch (PgException e) {
      abort();
      throw e;
    }
  }

  /** Throws the streamer's failure, if it has failed. Cheap: called for every chunk received. */
  void checkAlive() {
    RuntimeException e = failure.get();
    if (e != null) {
      throw terminated(e);
    }
  }

  private static PgException terminated(RuntimeException e) {
    return new PgException(
        SqlState.CONNECTION_FAILURE,
        "background process terminated unexpectedly",
        e instanceof PgException pe ? pe.getMessage() : e.toString(),
        null,
        e);
  }

  /** Tells the streamer where the backup ends: it stops once it has written up to there. */
  void stopAt(Lsn end) {
    receiver.stopAt(end);
  }

  /** Waits for the streamer to reach the end and stop. */
  void await() {
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      receiver.requestStop();
      throw new PgException(
          SqlState.QUERY_CANCELED, "interrupted while waiting for the WAL streamer");
    }
    checkAlive();
  }

  /** Stops the streamer after a failure elsewhere, without waiting for the end position. */
  void abort() {
    receiver.requestStop();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
