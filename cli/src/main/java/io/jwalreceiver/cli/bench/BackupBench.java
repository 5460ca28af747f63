// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.basebackup.BackupCompression;
import io.jwalreceiver.basebackup.BackupProgress;
import io.jwalreceiver.basebackup.BackupResult;
import io.jwalreceiver.basebackup.BaseBackup;
import io.jwalreceiver.basebackup.BaseBackupRequest;
import io.jwalreceiver.basebackup.Destination;
import io.jwalreceiver.basebackup.sink.OutputDirectory;
import io.jwalreceiver.basebackup.stream.BackupListener;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.session.ConnectionConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * {@code jwalreceiver bench basebackup}: one BASE_BACKUP into a discarding sink (the bytes cross
 * the network and are dropped; unlike pg_basebackup's {@code --target=blackhole}, where the server
 * drops them) or into the real plain/tar sinks, with the time each stage of the pipeline was busy:
 *
 * <ul>
 *   <li>network — the receive thread outside the sink: socket reads and CopyData framing, including
 *       waits for the server;
 *   <li>decompression — server-compressed archives decoded (plain format), on the decompressor's
 *       thread, without its waits for input;
 *   <li>extraction — tar parsing, file creation and writing (plain) or file writing with client
 *       compression (tar);
 *   <li>fsync — forcing files and directories, mostly on the background thread while data still
 *       arrives; the part the backup waits for at the end is reported separately.
 * </ul>
 *
 * <p>WAL is not streamed ({@code -X none} or {@code fetch}): the bench measures the backup stream.
 * The checkpoint that starts the backup is timed apart and not in the throughput.
 */
public final class BackupBench implements Measured<BackupBench.Result> {

  /**
   * What to run.
   *
   * @param config the replication connection's settings
   * @param sink where the archives go
   * @param directory for {@code DISK}: new or empty; what we create is removed unless {@code keep}
   * @param tar tar format (else plain)
   * @param fetchWal include the WAL in the backup ({@code -X fetch}); else {@code -X none}
   * @param compression {@code -Z}, as basebackup takes it
   * @param keep leave the backup in the directory
   */
  public record Settings(
      ConnectionConfig config,
      SinkKind sink,
      @Nullable Path directory,
      boolean tar,
      boolean fetchWal,
      BackupCompression compression,
      boolean keep) {}

  /**
   * What a run measured. Times are seconds; stage times are busy time summed over threads.
   *
   * @param serverVersion the server's {@code server_version}
   * @param start the backup's start position
   * @param end its end position
   * @param bytes archive and manifest bytes received (compressed, when the server compresses)
   * @param checkpointSeconds from BASE_BACKUP to the start position (not in {@code seconds})
   * @param seconds from the start position to the backup complete on disk (final sync included)
   * @param networkSeconds receive thread, outside the sink
   * @param decompressionSeconds decompressing server-compressed archives, or -1 when not timed
   * @param extractionSeconds extracting (plain) or writing (tar), or -1 with the discard sink
   * @param fsyncSeconds forcing files and directories, or -1 with the discard sink
   * @param finishSeconds the wait for the last fsyncs and the manifest after the data ended
   * @param cpuSeconds process CPU time over {@code seconds}
   * @param directory where the backup was written, or null
   * @param kept whether it was left there
   */
  public record Result(
      String serverVersion,
      Lsn start,
      Lsn end,
      long bytes,
      double checkpointSeconds,
      double seconds,
      double networkSeconds,
      double decompressionSeconds,
      double extractionSeconds,
      double fsyncSeconds,
      double finishSeconds,
      double cpuSeconds,
      @Nullable Path directory,
      boolean kept)
      implements BenchResult {}

  private final Settings settings;
  private final Consumer<ServerError> notices;
  private volatile long bytes;
  private volatile long dataStartNanos;

  /** The receive thread's time in the sink. */
  private long sinkNanos;

  public BackupBench(Settings settings, Consumer<ServerError> notices) {
    this.settings = settings;
    this.notices = notices;
  }

  /** Bytes received so far (for the progress line; any thread). */
  @Override
  public long bytesSoFar() {
    return bytes;
  }

  /** Seconds since the data started to arrive, 0 before. */
  @Override
  public double secondsSoFar() {
    long t = dataStartNanos;
    return t == 0 ? 0 : (System.nanoTime() - t) / 1e9;
  }

  /**
   * Runs one backup, through {@link BaseBackup} as {@code basebackup} takes it: fast checkpoint, no
   * size estimate, no inline manifest check, and with {@code -X none} no wait for the WAL archive.
   */
  @Override
  public Result run() {
    CpuClock cpu = new CpuClock();
    StageTimes times = StageTimes.create();
    boolean disk = settings.sink() == SinkKind.DISK;
    // Prepared here (as before BaseBackup's own check, which then finds it empty) so that what
    // the bench created can be removed after a successful run: BaseBackup keeps a finished backup.
    @Nullable OutputDirectory target =
        disk
            ? OutputDirectory.prepare(
                Objects.requireNonNull(settings.directory(), "--sink disk has a directory"))
            : null;
    BaseBackupRequest request =
        BaseBackupRequest.builder()
            .destination(
                target == null
                    ? new Destination.Discard()
                    : new Destination.Directory(target.path()))
            .format(settings.tar() ? BaseBackupRequest.Format.TAR : BaseBackupRequest.Format.PLAIN)
            .walMethod(
                settings.fetchWal()
                    ? BaseBackupRequest.WalMethod.FETCH
                    : BaseBackupRequest.WalMethod.NONE)
            .waitForArchive(false)
            .label("jwalreceiver bench")
            .estimateSize(false)
            .fastCheckpoint(true)
            .compression(settings.compression())
            .build();
    Clock clock = new Clock(cpu);
    boolean ok = false;
    try {
      BackupResult result =
          new BaseBackup(settings.config(), request, clock, notices)
              .withInlineVerification(false)
              .withStageTimes(times)
              .withSinkTap(Timed::new)
              .run();
      long t2 = System.nanoTime();
      double cpuSeconds = cpu.secondsSinceMark();
      ok = true;
      long t0 = clock.dataStart;
      long t1 = clock.dataDone;
      boolean serverCompressed = settings.compression().serverSide();
      return new Result(
          result.serverVersion(),
          result.start(),
          result.end(),
          bytes,
          (t0 - clock.requested) / 1e9,
          (t2 - t0) / 1e9,
          ((t1 - t0) - sinkNanos) / 1e9,
          disk && serverCompressed && !settings.tar()
              ? times.nanos(StageTimes.Stage.DECOMPRESSION) / 1e9
              : -1,
          disk ? times.nanos(StageTimes.Stage.EXTRACTION) / 1e9 : -1,
          disk ? times.nanos(StageTimes.Stage.FSYNC) / 1e9 : -1,
          (t2 - t1) / 1e9,
          cpuSeconds,
          target == null ? null : target.path(),
          disk && settings.keep());
    } finally {
      // BaseBackup removed the contents after a failure; what is left is the directory, if ours.
      if (target != null && (!ok || !settings.keep())) {
        target.cleanUp();
      }
    }
  }

  /** The moments the bench measures between, from the backup's progress events. */
  private final class Clock implements BackupProgress {
    private final CpuClock cpu;
    long requested;
    long dataStart;
    long dataDone;

    Clock(CpuClock cpu) {
      this.cpu = cpu;
    }

    @Override
    public void waitingForCheckpoint() {
      requested = System.nanoTime();
    }

    @Override
    public void started(Lsn start, TimelineId timeline) {
      dataStart = System.nanoTime();
      dataStartNanos = dataStart;
      cpu.mark();
    }

    @Override
    public void dataDone(Lsn end, TimelineId timeline) {
      dataDone = System.nanoTime();
    }
  }

  /** Passes every event to the sink, counting bytes and the receive thread's time in the sink. */
  // NonAtomicVolatileUpdate: bytes has one writer, the backup thread; the progress line reads it.
  @SuppressWarnings("NonAtomicVolatileUpdate")
  private final class Timed implements BackupListener {
    private final BackupListener sink;

    Timed(BackupListener sink) {
      this.sink = sink;
    }

    @Override
    public void archiveStart(String name, String tablespacePath, boolean terminated) {
      timed(() -> sink.archiveStart(name, tablespacePath, terminated));
    }

    @Override
    public void archiveData(ByteBuffer data) {
      bytes += data.remaining();
      timed(() -> sink.archiveData(data));
    }

    @Override
    public void archiveEnd() {
      timed(sink::archiveEnd);
    }

    @Override
    public void manifestStart() {
      sink.manifestStart();
    }

    @Override
    public void manifestData(ByteBuffer data) {
      bytes += data.remaining();
      timed(() -> sink.manifestData(data));
    }

    @Override
    public void manifestEnd() {
      timed(sink::manifestEnd);
    }

    /** Runs one sink call, adding its time to the sink's. */
    private void timed(Runnable sinkCall) {
      long t = System.nanoTime();
      sinkCall.run();
      sinkNanos += System.nanoTime() - t;
    }
  }
}
