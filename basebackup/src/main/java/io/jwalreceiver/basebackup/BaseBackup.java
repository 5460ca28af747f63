// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.sink.BackupSink;
import io.jwalreceiver.basebackup.sink.DirectoryBackupSink;
import io.jwalreceiver.basebackup.sink.DiscardingSink;
import io.jwalreceiver.basebackup.sink.StdoutTarSink;
import io.jwalreceiver.basebackup.sink.OutputDirectory;
import io.jwalreceiver.basebackup.sink.TarFileBackupSink;
import io.jwalreceiver.protocol.command.BaseBackupOptions;
import io.jwalreceiver.protocol.command.ReplicationCommand;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.CopyOutStream;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import io.jwalreceiver.basebackup.stream.BackupListener;
import io.jwalreceiver.basebackup.stream.BackupStreamDecoder;

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
  private OutputStream stdout;
  private boolean inlineVerification = true;

  public BaseBackup(ConnectionConfig config, BaseBackupRequest request, BackupProgress progress,
      Consumer<ServerError> notices) {
    this.config = config;
    this.request = request;
    this.progress = progress;
    this.notices = notices;
  }

  /**
   * Where a {@code -D -} backup goes (the caller's standard output); required when {@link
   * BaseBackupRequest#toStdout()}.
   */
  public BaseBackup withStdout(OutputStream out) {
    this.stdout = out;
    return this;
  }

  /**
   * Whether a plain-format backup is checked against its manifest as it is received (default on;
   * off only to measure what the check costs).
   */
  public BaseBackup withInlineVerification(boolean on) {
    this.inlineVerification = on;
    return this;
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
      if (request.toTarget() && conn.serverVersionNum() < 150000) {
        throw new PgException(FEATURE_NOT_SUPPORTED,
            "backup targets are not supported by this server version");
      }
      if (request.toStdout() && request.compression().serverSide()
          && !"no".equals(request.manifest())) {
        throw new PgException(FEATURE_NOT_SUPPORTED,
            "cannot inject manifest into a compressed tar file", null,
            "Use client-side compression, send the output to a directory rather than standard "
                + "output, or use --no-manifest.", null);
      }
      WalSegmentSize segmentSize = conn.walSegmentSize();
      var identity = conn.identifySystem();
      if (request.incrementalManifest() != null) {
        uploadManifest(conn);
      }

      // Directories we create get the source cluster's mode, as pg_basebackup does.
      boolean groupAccess = "0750".equals(conn.show("data_directory_mode"));
      OutputDirectory target = request.targetDir() == null ? null
          : OutputDirectory.prepare(request.targetDir(), groupAccess);
      OutputDirectory walDir = null;
      BackupSink sink = null;
      WalStreamer streamer = null;
      try {
        if (request.walDir() != null) {
          walDir = OutputDirectory.prepare(request.walDir(), groupAccess);
          Files.createSymbolicLink(target.path().resolve("pg_wal"), walDir.path());
        }
        sink = request.toTarget() ? new DiscardingSink()
            : request.toStdout()
            ? new StdoutTarSink(stdout, request.writeRecoveryConf() ? recoveryConf() : null,
                request.compression().client(), request.compression().encoderThreads())
            : request.format() == BaseBackupRequest.Format.PLAIN
            ? new DirectoryBackupSink(target, request.tablespaceMappings(),
                request.writeRecoveryConf() ? recoveryConf() : null, request.sync(),
                request.keepOnFailure(), inlineChecksums())
            : new TarFileBackupSink(target, request.writeRecoveryConf() ? recoveryConf() : null,
                request.sync(), request.keepOnFailure(), request.compression().client(),
                request.compression().encoderThreads()).verifying(inlineChecksums());

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
        if (request.toStdout() && tablespaces.rows().size() > 1) {
          throw new PgException(FEATURE_NOT_SUPPORTED,
              "can only write single tablespace to stdout, database has "
                  + tablespaces.rows().size());
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

        Counting counting = new Counting(sink, total, tablespaces.rows().size(),
            conn.serverVersionNum() >= 150000, streamer);
        BackupStreamDecoder.decode(stream, conn.serverVersionNum(), tablespaces,
            !"no".equals(request.manifest()), counting);

        if (sink.verifiedFiles() >= 0) {
          progress.info("checked " + sink.verifiedFiles() + " files against the backup manifest "
              + "as they were received: sizes" + (sink.verifiedWith() == ChecksumAlgorithm.NONE
                  ? "" : " and " + sink.verifiedWith() + " checksums") + " match");
        }

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
                walCompression, request.compression().gzipWorkers(), target.groupAccess());
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
        } else if (sink != null && request.targetDir() == null) {
          // Standard output or a backup target: nothing of ours on disk, only streams to close.
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

  /** The algorithm the manifest will use, for the inline check; null without a manifest. */
  private ChecksumAlgorithm inlineChecksums() {
    if ("no".equals(request.manifest()) || !inlineVerification) {
      return null;
    }
    String name = request.manifestChecksums() == null ? "CRC32C" : request.manifestChecksums();
    // An unknown name is the server's to refuse.
    return ChecksumAlgorithm.parse(name).orElse(null);
  }

  private String recoveryConf() {
    return RecoveryConfig.render(
        request.recoveryConninfo() != null
            ? request.recoveryConninfo()
            : RecoveryConfig.keywordsOf(config),
        request.slotName());
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
        .withTablespaceMap(request.format() == BaseBackupRequest.Format.TAR || request.toTarget())
        .withVerifyChecksums(request.verifyChecksums())
        .withManifest(request.manifest())
        .withManifestChecksums(request.manifestChecksums())
        .withTarget(request.target(), request.targetDetail())
        .withIncremental(request.incrementalManifest() != null);
  }

  /**
   * {@code -i}: UPLOAD_MANIFEST with the previous backup's manifest (17+), so that the BASE_BACKUP
   * that follows on this session can be INCREMENTAL.
   */
  private void uploadManifest(ReplicationConnection conn) {
    if (conn.serverVersionNum() < 170000) {
      throw new PgException(FEATURE_NOT_SUPPORTED, "server does not support incremental backup");
    }
    Path file = request.incrementalManifest();
    byte[] manifest;
    try {
      manifest = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new PgException(SqlState.IO_ERROR, "could not open file \"" + file + "\": "
          + OutputDirectory.describe(e), e);
    }
    conn.uploadManifest(manifest);
  }

  private static PgException context(String what, PgException e) {
    if (e.fromServer()) {
      return new PgException(what + ": ", e.serverError());
    }
    return new PgException(e.sqlState(), what + ": " + e.getMessage(), e.detail(), e.hint(), e);
  }

  /**
   * Passes every event on to the sink while tracking progress as pg_basebackup does: on 15+ the
   * server's own count (uncompressed bytes it has sent, also right with server-side compression
   * and backup targets), on 13/14 the bytes received. Also fails the transfer as soon as the WAL
   * streamer has died, instead of after the last archive.
   */
  private final class Counting implements BackupListener {
    private final BackupSink sink;
    private final long total;
    private final int archives;
    private final boolean serverCounts;
    private final WalStreamer streamer;
    /** Archives received whole. */
    private int archive;
    long done;

    Counting(BackupSink sink, long total, int archives, boolean serverCounts,
        WalStreamer streamer) {
      this.sink = sink;
      this.total = total;
      this.archives = archives;
      this.serverCounts = serverCounts;
      this.streamer = streamer;
    }

    @Override
    public void progress(long bytesDone) {
      if (serverCounts) {
        done = bytesDone;
        progress.progress(done, Math.max(total, done), archive, archives);
      }
      if (streamer != null) {
        streamer.checkAlive();
      }
    }

    @Override
    public void archiveStart(String name, String tablespacePath, boolean terminated) {
      sink.archiveStart(name, tablespacePath, terminated);
    }

    @Override
    public void archiveData(ByteBuffer data) {
      if (streamer != null) {
        streamer.checkAlive();
      }
      if (serverCounts) {
        sink.archiveData(data);
        return;
      }
      done += data.remaining();
      sink.archiveData(data);
      progress.progress(done, Math.max(total, done), archive, archives);
    }

    @Override
    public void archiveEnd() {
      sink.archiveEnd();
      // As pg_basebackup, the tablespace count is of those received whole: 0/1 during the first.
      archive++;
      progress.progress(done, Math.max(total, done), archive, archives);
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
