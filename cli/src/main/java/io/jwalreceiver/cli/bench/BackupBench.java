// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.BackupCompression;
import io.jwalreceiver.basebackup.stream.BackupListener;
import io.jwalreceiver.basebackup.stream.BackupStreamDecoder;
import io.jwalreceiver.basebackup.BaseBackup;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.basebackup.sink.BackupSink;
import io.jwalreceiver.basebackup.sink.DiscardingSink;
import io.jwalreceiver.basebackup.sink.DirectoryBackupSink;
import io.jwalreceiver.basebackup.sink.OutputDirectory;
import io.jwalreceiver.basebackup.sink.TarFileBackupSink;
import io.jwalreceiver.protocol.command.BaseBackupOptions;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.CopyOutStream;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

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
 *   <li>fsync — forcing files and directories, mostly on the background thread while data
 *       still arrives; the part the backup waits for at the end is reported separately.
 * </ul>
 *
 * <p>WAL is not streamed ({@code -X none} or {@code fetch}): the bench measures the backup stream.
 * The checkpoint that starts the backup is timed apart and not in the throughput.
 */
public final class BackupBench {

  /** Where the archives go. */
  public enum SinkKind {
    DISCARD,
    DISK
  }

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
      Path directory,
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
      Path directory,
      boolean kept) {}

  private final Settings settings;
  private final Consumer<ServerError> notices;
  private volatile long bytes;
  private volatile long dataStartNanos;

  public BackupBench(Settings settings, Consumer<ServerError> notices) {
    this.settings = settings;
    this.notices = notices;
  }

  /** Bytes received so far (for the progress line; any thread). */
  public long bytesSoFar() {
    return bytes;
  }

  /** Seconds since the data started to arrive, 0 before. */
  public double secondsSoFar() {
    long t = dataStartNanos;
    return t == 0 ? 0 : (System.nanoTime() - t) / 1e9;
  }

  /** Runs one backup. */
  public Result run() {
    CpuClock cpu = new CpuClock();
    StageTimes times = StageTimes.create();
    try (ReplicationConnection conn = ReplicationConnection.open(settings.config(), notices)) {
      int version = conn.serverVersionNum();
      if (version < BaseBackup.MIN_SERVER_VERSION) {
        throw new PgException(SqlState.CONNECTION_UNABLE,
            "incompatible server version " + conn.serverVersionString());
      }
      BackupCompression compression = settings.compression();
      if (compression.serverSide() && version < 150000) {
        throw new PgException(new SqlState("0A000"),
            "server does not support server-side compression");
      }
      OutputDirectory target = settings.sink() == SinkKind.DISK
          ? OutputDirectory.prepare(settings.directory())
          : null;
      BackupSink sink = target == null
          ? new DiscardingSink()
          : settings.tar()
              ? new TarFileBackupSink(target, null, true, false, compression.client(),
                  compression.encoderThreads()).timed(times)
              : new DirectoryBackupSink(target, List.of(), null, true, false).timed(times);
      boolean ok = false;
      try {
        BaseBackupOptions options = BaseBackupOptions.defaults()
            .withCompression(compression.serverSide() ? compression.serverAlgorithm() : null,
                compression.serverSide() ? compression.serverDetail() : null)
            .withLabel("jwalreceiver bench")
            .withProgress(false)
            .withFastCheckpoint(true)
            .withIncludeWal(settings.fetchWal())
            .withWaitForArchive(false)
            .withTablespaceMap(settings.tar());
        long requested = System.nanoTime();
        CopyOutStream stream = conn.baseBackup(options);
        Lsn start = Lsn.parse(stream.nextResultSet().singleRow("initiate base backup", 2).get(0));
        QueryResult tablespaces = stream.nextResultSet();
        long t0 = System.nanoTime();
        dataStartNanos = t0;
        cpu.mark();
        Timed timed = new Timed(sink);
        BackupStreamDecoder.decode(stream, version, tablespaces, true, timed);
        List<String> endRow = stream.nextResultSet().singleRow("end base backup", 2);
        stream.complete();
        long t1 = System.nanoTime();
        sink.finish();
        long t2 = System.nanoTime();
        double cpuSeconds = cpu.secondsSinceMark();
        ok = true;
        boolean disk = target != null;
        return new Result(conn.serverVersionString(), start, Lsn.parse(endRow.get(0)), bytes,
            (t0 - requested) / 1e9,
            (t2 - t0) / 1e9,
            ((t1 - t0) - timed.sinkNanos) / 1e9,
            disk && compression.serverSide() && !settings.tar()
                ? times.nanos(StageTimes.Stage.DECOMPRESSION) / 1e9 : -1,
            disk ? times.nanos(StageTimes.Stage.EXTRACTION) / 1e9 : -1,
            disk ? times.nanos(StageTimes.Stage.FSYNC) / 1e9 : -1,
            (t2 - t1) / 1e9,
            cpuSeconds,
            disk ? target.path() : null,
            disk && settings.keep());
      } finally {
        if (!ok) {
          sink.abort();
        } else if (target != null && !settings.keep()) {
          target.cleanUp();
        }
      }
    }
  }

  /** Passes every event to the sink, counting bytes and the receive thread's time in the sink. */
  // NonAtomicVolatileUpdate: bytes has one writer, the backup thread; the progress line reads it.
  @SuppressWarnings("NonAtomicVolatileUpdate")
  private final class Timed implements BackupListener {
    private final BackupSink sink;
    long sinkNanos;

    Timed(BackupSink sink) {
      this.sink = sink;
    }

    @Override
    public void archiveStart(String name, String tablespacePath, boolean terminated) {
      long t = System.nanoTime();
      sink.archiveStart(name, tablespacePath, terminated);
      sinkNanos += System.nanoTime() - t;
    }

    @Override
    public void archiveData(ByteBuffer data) {
      bytes += data.remaining();
      long t = System.nanoTime();
      sink.archiveData(data);
      sinkNanos += System.nanoTime() - t;
    }

    @Override
    public void archiveEnd() {
      long t = System.nanoTime();
      sink.archiveEnd();
      sinkNanos += System.nanoTime() - t;
    }

    @Override
    public void manifestStart() {
      sink.manifestStart();
    }

    @Override
    public void manifestData(ByteBuffer data) {
      bytes += data.remaining();
      long t = System.nanoTime();
      sink.manifestData(data);
      sinkNanos += System.nanoTime() - t;
    }

    @Override
    public void manifestEnd() {
      long t = System.nanoTime();
      sink.manifestEnd();
      sinkNanos += System.nanoTime() - t;
    }
  }
}
