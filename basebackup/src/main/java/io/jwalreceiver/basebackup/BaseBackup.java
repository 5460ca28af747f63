// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.basebackup.sink.BackupSink;
import io.jwalreceiver.basebackup.sink.DirectoryBackupSink;
import io.jwalreceiver.basebackup.sink.OutputDirectory;
import io.jwalreceiver.basebackup.sink.TarFileBackupSink;
import io.jwalreceiver.protocol.command.BaseBackupOptions;
import io.jwalreceiver.protocol.command.ReplicationCommand;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.CopyOutStream;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.wal.segment.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * One base backup, as pg_basebackup takes it (protocol-notes §6): BASE_BACKUP on one
 * connection, WAL streamed alongside on a second ({@code -X stream}), archives extracted (plain)
 * or stored (tar), manifest last, everything synced, and on failure only what we created removed.
 */
public final class BaseBackup {

  /** SQLSTATE feature_not_supported. */
  private static final SqlState FEATURE_NOT_SUPPORTED = new SqlState("0A000");

  /** The oldest server we speak BASE_BACKUP with. */
  public static final int MIN_SERVER_VERSION = 130000;

  private final ConnectionConfig config;
  private final BaseBackupRequest request;
  private final BackupProgress progress;
  private final Consumer<ServerError> notices;

  public BaseBackup(ConnectionConfig config, BaseBackupRequest request, BackupProgress progress,
      Consumer<ServerError> notices) {
    this.config = config;
    this.request = request;
    this.progress = progress;
    this.notices = notices;
  }

  /** Runs the backup; on failure the target is cleaned up (unless {@code -n}) and the error thrown. */
  public BackupResult run() {
    try (ReplicationConnection conn = ReplicationConnection.open(config, notices)) {
      if (conn.serverVersionNum() < MIN_SERVER_VERSION) {
        throw new PgException(SqlState.CONNECTION_UNABLE,
            "incompatible server version " + conn.serverVersionString(), null,
            "jwalreceiver supports PostgreSQL 13 and later.", null);
      }
      if (request.compression().serverSide() && conn.serverVersionNum() < 150000) {
        throw new PgException(FEATURE_NOT_SUPPORTED,
            "server does not support server-side compression");
      }
      WalSegmentSize segmentSize = conn.walSegmentSize();
      var identity = conn.identifySystem();

      OutputDirectory target = OutputDirectory.prepare(request.targetDir());
      OutputDirectory walDir = null;
      BackupSink sink = null;
      WalStreamer streamer = null;
      try {
        if (request.walDir() != null) {
          walDir = OutputDirectory.prepare(request.walDir());
          Files.createSymbolicLink(target.path().resolve("pg_wal"), walDir.path());
        }
        sink = request.format() == BaseBackupRequest.Format.PLAIN
            ? new DirectoryBackupSink(target, request.tablespaceMappings(),
                request.writeRecoveryConf() ? recoveryConf() : null, request.sync(),
                request.keepOnFailure())
            : new TarFileBackupSink(target, request.writeRecoveryConf() ? recoveryConf() : null,
                request.sync(), request.keepOnFailure(), request.compression().client(),
                request.compression().gzipWorkers());

        if (request.slotName() != null && request.createSlot()) {
          progress.info("creating replication slot \"" + request.slotName() + "\"");
          try {
            conn.createPhysicalSlot(request.slotName(), false, true);
          } catch (PgException e) {
            // pg_basebackup's wording: the failing command, then the server's error.
            throw context("could not send replication command \""
                + new ReplicationCommand.CreateReplicationSlot(request.slotName(), false, true)
                    .text(conn.serverVersionNum()) + "\"", e);
          }
        }

        BaseBackupOptions options = options();
        progress.waitingForCheckpoint();
        CopyOutStream stream = conn.baseBackup(options);
        QueryResult startSet;
        try {
          startSet = stream.nextResultSet();
        } catch (PgException e) {
          throw context("could not initiate base backup", e);
        }
        List<String> startRow = startSet.singleRow("initiate base backup", 2);
        Lsn start = Lsn.parse(startRow.get(0));
        TimelineId startTli = TimelineId.parse(startRow.get(1));
        progress.started(start, startTli);
        if (!identity.timeline().equals(startTli)) {
          progress.info("timeline changed during start: " + identity.timeline() + " -> " + startTli);
        }

        QueryResult tablespaces;
        try {
          tablespaces = stream.nextResultSet();
        } catch (PgException e) {
          throw context("could not get backup header", e);
        }
        if (tablespaces.rows().isEmpty()) {
          throw new PgException(SqlState.PROTOCOL_VIOLATION, "no data returned from server");
        }
        long total = 0;
        for (List<String> row : tablespaces.rows()) {
          if (row.size() > 2 && row.get(2) != null) {
            total += Long.parseLong(row.get(2)) * 1024;
          }
        }

        if (request.walMethod() == BaseBackupRequest.WalMethod.STREAM) {
          streamer = WalStreamer.start(config, request, streamRoot(target), segmentSize,
              startTli, start, progress);
        }

        Counting counting = new Counting(sink, total, tablespaces.rows().size());
        BackupStreamDecoder.decode(stream, conn.serverVersionNum(), tablespaces,
            !"no".equals(request.manifest()), counting);

        QueryResult endSet;
        try {
          endSet = stream.nextResultSet();
        } catch (PgException e) {
          throw context("backup failed", e);
        }
        if (endSet.rows().isEmpty()) {
          throw new PgException(SqlState.PROTOCOL_VIOLATION,
              "no write-ahead log end position returned from server");
        }
        Lsn end = Lsn.parse(endSet.rows().get(0).get(0));
        TimelineId endTli = TimelineId.parse(endSet.rows().get(0).get(1));
        try {
          stream.complete();
        } catch (PgException e) {
          if (e.sqlState().code().equals("XX001")) {
            // pg_basebackup keeps what it wrote after a checksum failure: the data may be wanted.
            target = null;
            throw new PgException(e.sqlState(), "checksum error occurred", e);
          }
          throw context("final receive failed", e);
        }
        progress.dataDone(end, endTli);

        if (streamer != null) {
          progress.waitingForWal();
          streamer.stopAt(end);
          streamer.await();
          streamer = null;
          if (request.format() == BaseBackupRequest.Format.TAR) {
            // pg_basebackup compresses pg_wal.tar only for client-side gzip.
            Compression walCompression =
                request.compression().client().algorithm() == Compression.Algorithm.GZIP
                    ? request.compression().client()
                    : Compression.NONE;
            WalTarPacker.pack(streamRoot(target).resolve("pg_wal"),
                target.path().resolve("pg_wal.tar" + walCompression.extension()), request.sync(),
                walCompression, request.compression().gzipWorkers());
          }
        }
        sink.finish();
        return new BackupResult(start, startTli, end, endTli, tablespaces.rows().size(),
            counting.done);
      } catch (RuntimeException | IOException e) {
        if (streamer != null) {
          streamer.abort();
        }
        if (sink != null && target != null) {
          sink.abort();
        } else if (target != null && !request.keepOnFailure()) {
          target.cleanUp();
        }
        if (walDir != null && !request.keepOnFailure()) {
          walDir.cleanUp();
        }
        if (e instanceof IOException io) {
          throw new PgException(SqlState.IO_ERROR, "could not set up the target directory: " + io.getMessage(), io);
        }
        throw (RuntimeException) e;
      }
    }
  }

  /** Where the streamer's pg_wal goes: the data directory, or (tar) a staging directory. */
  private Path streamRoot(OutputDirectory target) {
    return request.format() == BaseBackupRequest.Format.PLAIN
        ? target.path()
        : target.path().resolve(".jwalreceiver-wal-stream");
  }

  private String recoveryConf() {
    return RecoveryConfig.render(config, request.slotName(), request.dbnameForRecovery());
  }

  private BaseBackupOptions options() {
    boolean includeWal = request.walMethod() == BaseBackupRequest.WalMethod.FETCH;
    BackupCompression compression = request.compression();
    return BaseBackupOptions.defaults()
        .withCompression(compression.serverSide() ? compression.serverAlgorithm() : null,
            compression.serverSide() ? compression.serverDetail() : null)
        .withLabel(request.label())
        .withProgress(request.estimateSize())
        .withFastCheckpoint(request.fastCheckpoint())
        .withIncludeWal(includeWal)
        .withWaitForArchive(request.walMethod() == BaseBackupRequest.WalMethod.NONE)
        .withMaxRateKb(request.maxRateKb())
        .withTablespaceMap(request.format() == BaseBackupRequest.Format.TAR)
        .withVerifyChecksums(request.verifyChecksums())
        .withManifest(request.manifest())
        .withManifestChecksums(request.manifestChecksums());
  }

  private static PgException context(String what, PgException e) {
    if (e.fromServer()) {
      return new PgException(what + ": ", e.serverError());
    }
    return new PgException(e.sqlState(), what + ": " + e.getMessage(), e.detail(), e.hint(), e);
  }

  /** Counts archive bytes for progress while passing every event on to the sink. */
  private final class Counting implements BackupListener {
    private final BackupSink sink;
    private final long total;
    private final int archives;
    private int archive;
    long done;

    Counting(BackupSink sink, long total, int archives) {
      this.sink = sink;
      this.total = total;
      this.archives = archives;
    }

    @Override
    public void archiveStart(String name, String tablespacePath, boolean terminated) {
      archive++;
      sink.archiveStart(name, tablespacePath, terminated);
    }

    @Override
    public void archiveData(ByteBuffer data) {
      done += data.remaining();
      sink.archiveData(data);
      progress.progress(done, Math.max(total, done), archive, archives);
    }

    @Override
    public void archiveEnd() {
      sink.archiveEnd();
    }

    @Override
    public void manifestStart() {
      sink.manifestStart();
    }

    @Override
    public void manifestData(ByteBuffer data) {
      sink.manifestData(data);
    }

    @Override
    public void manifestEnd() {
      sink.manifestEnd();
    }
  }
}
