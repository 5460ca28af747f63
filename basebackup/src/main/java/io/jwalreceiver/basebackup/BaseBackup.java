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
import io.jwalreceiver.basebackup.sink.OutputDirectory;
import io.jwalreceiver.basebackup.sink.StdoutTarSink;
import io.jwalreceiver.basebackup.sink.TarFileBackupSink;
import io.jwalreceiver.basebackup.stream.BackupListener;
import io.jwalreceiver.basebackup.stream.BackupStreamDecoder;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.protocol.command.BaseBackupOptions;
import io.jwalreceiver.protocol.command.ReplicationCommand;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.CopyOutStream;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One base backup, as pg_basebackup takes it (protocol-notes §6): BASE_BACKUP on one connection,
 * WAL streamed alongside on a second ({@code -X stream}), archives extracted (plain) or stored
 * (tar), manifest last, everything synced, and on failure only what we created removed.
 */
public final class BaseBackup {

  /** The oldest server we speak BASE_BACKUP with. */
  public static final int MIN_SERVER_VERSION = 130000;

  private final ConnectionConfig config;
  private final BaseBackupRequest request;
  private final BackupProgress progress;
  private final Consumer<ServerError> notices;
  private boolean inlineVerification = true;
  private StageTimes stageTimes = StageTimes.OFF;
  private UnaryOperator<BackupListener> sinkTap = UnaryOperator.identity();

  /**
   * A backup ready to {@link #run}.
   *
   * @param config the replication connection's settings (a second connection streams the WAL)
   * @param request what to back up, how and where
   * @param progress told what happens as it happens
   * @param notices the server's notices and warnings
   */
  public BaseBackup(
      ConnectionConfig config,
      BaseBackupRequest request,
      BackupProgress progress,
      Consumer<ServerError> notices) {
    this.config = config;
    this.request = request;
    this.progress = progress;
    this.notices = notices;
  }

  /**
   * Whether a plain-format backup is checked against its manifest as it is received (default on;
   * off only to measure what the check costs).
   */
  public BaseBackup withInlineVerification(boolean on) {
    this.inlineVerification = on;
    return this;
  }

  /**
   * Times decompression, extraction and fsync in the sinks that write to a directory into {@code
   * times} (for {@code bench basebackup}); default {@link StageTimes#OFF}.
   */
  public BaseBackup withStageTimes(StageTimes times) {
    this.stageTimes = times;
    return this;
  }

  /**
   * Passes the stream's events on their way to the sink through {@code tap.apply(sink)} (for {@code
   * bench basebackup}, which counts the bytes and times the receive thread in the sink); default
   * none.
   */
  public BaseBackup withSinkTap(UnaryOperator<BackupListener> tap) {
    this.sinkTap = tap;
    return this;
  }

  /**
   * Runs the backup; on failure the target is cleaned up (unless {@code -n}) and the error thrown.
   */
  public BackupResult run() {
    try (ReplicationConnection conn = ReplicationConnection.open(config, notices)) {
      if (conn.serverVersionNum() < MIN_SERVER_VERSION) {
        throw new PgException(
            SqlState.CONNECTION_UNABLE,
            "incompatible server version " + conn.serverVersionString(),
            null,
            "jwalreceiver supports PostgreSQL 13 and later.",
            null);
      }
      if (request.compression().serverSide() && conn.serverVersionNum() < 150000) {
        throw new PgException(
            SqlState.FEATURE_NOT_SUPPORTED, "server does not support server-side compression");
      }
      Destination destination = request.destination();
      if (destination instanceof Destination.Server && conn.serverVersionNum() < 150000) {
        throw new PgException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "backup targets are not supported by this server version");
      }
      if (destination instanceof Destination.Stdout
          && request.compression().serverSide()
          && !"no".equals(request.manifest())) {
        throw new PgException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "cannot inject manifest into a compressed tar file",
            null,
            "Use client-side compression, send the output to a directory rather than standard "
                + "output, or use --no-manifest.",
            null);
      }
      WalSegmentSize segmentSize = conn.walSegmentSize();
      var identity = conn.identifySystem();
      if (request.incrementalManifest() != null) {
        uploadManifest(conn);
      }

      // Directories we create get the source cluster's mode, as pg_basebackup does.
      boolean groupAccess = "0750".equals(conn.show("data_directory_mode"));
      @Nullable OutputDirectory target =
          destination instanceof Destination.Directory d
              ? OutputDirectory.prepare(d.path(), groupAccess)
              : null;
      @Nullable OutputDirectory walDir = null;
      @Nullable BackupSink sink = null;
      @Nullable WalStreamer streamer = null;
      try {
        Path walDirPath = request.walDir();
        if (walDirPath != null) {
          walDir = OutputDirectory.prepare(walDirPath, groupAccess);
          Files.createSymbolicLink(directory(target).path().resolve("pg_wal"), walDir.path());
        }
        sink = sink(destination, target);

        if (request.slotName() != null && request.createSlot()) {
          progress.info("creating replication slot \"" + request.slotName() + "\"");
          try {
            conn.createPhysicalSlot(request.slotName(), false, true);
          } catch (PgException e) {
            // pg_basebackup's wording: the failing command, then the server's error.
            throw context(
                "could not send replication command \""
                    + new ReplicationCommand.CreateReplicationSlot(request.slotName(), false, true)
                        .text(conn.serverVersionNum())
                    + "\"",
                e);
          }
        }

        BaseBackupOptions options = options();
        progress.waitingForCheckpoint();
        CopyOutStream stream = conn.baseBackup(options);
        QueryResult startSet = nextResultSet(stream, "could not initiate base backup");
        List<String> startRow = startSet.singleRow("initiate base backup", 2);
        Lsn start = Lsn.parse(startRow.get(0));
        TimelineId startTli = TimelineId.parse(startRow.get(1));
        progress.started(start, startTli);
        if (!identity.timeline().equals(startTli)) {
          progress.info(
              "timeline changed during start: " + identity.timeline() + " -> " + startTli);
        }

        QueryResult tablespaces = nextResultSet(stream, "could not get backup header");
        if (tablespaces.rows().isEmpty()) {
          throw new PgException(SqlState.PROTOCOL_VIOLATION, "no data returned from server");
        }
        if (destination instanceof Destination.Stdout && tablespaces.rows().size() > 1) {
          throw new PgException(
              SqlState.FEATURE_NOT_SUPPORTED,
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
          streamer =
              WalStreamer.start(
                  config,
                  request,
                  destination instanceof Destination.External e
                      ? e.walSpool()
                      : streamRoot(directory(target)),
                  segmentSize,
                  startTli,
                  start,
                  progress);
        }

        ProgressCounter counting =
            new ProgressCounter(
                progress,
                sinkTap.apply(sink),
                total,
                tablespaces.rows().size(),
                conn.serverVersionNum() >= 150000,
                streamer);
        BackupStreamDecoder.decode(
            stream,
            conn.serverVersionNum(),
            tablespaces,
            !"no".equals(request.manifest()),
            counting);

        if (sink.verifiedFiles() >= 0) {
          progress.info(
              "checked "
                  + sink.verifiedFiles()
                  + " files against the backup manifest "
                  + "as they were received: sizes"
                  + (sink.verifiedWith() == ChecksumAlgorithm.NONE
                      ? ""
                      : " and " + sink.verifiedWith() + " checksums")
                  + " match");
        }

        QueryResult endSet = nextResultSet(stream, "backup failed");
        if (endSet.rows().isEmpty()) {
          throw new PgException(
              SqlState.PROTOCOL_VIOLATION, "no write-ahead log end position returned from server");
        }
        Lsn end = Lsn.parse(endSet.rows().get(0).get(0));
        TimelineId endTli = TimelineId.parse(endSet.rows().get(0).get(1));
        try {
          stream.complete();
        } catch (PgException e) {
          if (e.sqlState().equals(SqlState.DATA_CORRUPTED)) {
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
          if (destination instanceof Destination.External e) {
            WalTarPacker.pass(e.walSpool().resolve("pg_wal"), sink);
          } else if (request.format() == BaseBackupRequest.Format.TAR) {
            // pg_basebackup compresses pg_wal.tar only for client-side gzip.
            Compression walCompression =
                request.compression().client().algorithm() == Compression.Algorithm.GZIP
                    ? request.compression().client()
                    : Compression.NONE;
            OutputDirectory dir = directory(target);
            WalTarPacker.pack(
                streamRoot(dir).resolve("pg_wal"),
                dir.path().resolve("pg_wal.tar" + walCompression.extension()),
                request.sync(),
                walCompression,
                request.compression().gzipWorkers(),
                dir.groupAccess());
          }
        }
        sink.finish();
        return new BackupResult(
            start,
            startTli,
            end,
            endTli,
            tablespaces.rows().size(),
            counting.done,
            conn.serverVersionString());
      } catch (RuntimeException | IOException e) {
        if (streamer != null) {
          streamer.abort();
        }
        if (sink != null && target != null) {
          sink.abort();
        } else if (sink != null && !(destination instanceof Destination.Directory)) {
          // Standard output, a backup target, discarded or an external sink: nothing of ours on
          // disk, only streams to close (an external sink removes what it stored).
          sink.abort();
        } else if (target != null && !request.keepOnFailure()) {
          target.cleanUp();
        }
        if (walDir != null && !request.keepOnFailure()) {
          walDir.cleanUp();
        }
        if (e instanceof IOException io) {
          throw new PgException(
              SqlState.IO_ERROR, "could not set up the target directory: " + io.getMessage(), io);
        }
        throw (RuntimeException) e;
      }
    }
  }

  /** The sink for {@code destination}; {@code target} is its directory, if it has one. */
  private BackupSink sink(Destination destination, @Nullable OutputDirectory target) {
    if (destination instanceof Destination.External e) {
      return e.sink();
    }
    if (destination instanceof Destination.Server || destination instanceof Destination.Discard) {
      return new DiscardingSink();
    }
    if (destination instanceof Destination.Stdout s) {
      return new StdoutTarSink(
          s.out(),
          request.writeRecoveryConf() ? recoveryConf() : null,
          request.compression().client(),
          request.compression().encoderThreads());
    }
    OutputDirectory dir = directory(target);
    return request.format() == BaseBackupRequest.Format.PLAIN
        ? new DirectoryBackupSink(
                dir,
                request.tablespaceMappings(),
                request.writeRecoveryConf() ? recoveryConf() : null,
                request.sync(),
                request.keepOnFailure(),
                inlineChecksums())
            .timed(stageTimes)
        : new TarFileBackupSink(
                dir,
                request.writeRecoveryConf() ? recoveryConf() : null,
                request.sync(),
                request.keepOnFailure(),
                request.compression().client(),
                request.compression().encoderThreads())
            .verifying(inlineChecksums())
            .timed(stageTimes);
  }

  /**
   * The output directory, which a {@link Destination.Directory} always has (the request refuses
   * streamed WAL elsewhere, and the CLI refuses {@code --waldir} and tar WAL elsewhere).
   */
  private static OutputDirectory directory(@Nullable OutputDirectory target) {
    if (target == null) {
      throw new IllegalStateException("this backup needs a destination directory");
    }
    return target;
  }

  /** Where the streamer's pg_wal goes: the data directory, or (tar) a staging directory. */
  private Path streamRoot(OutputDirectory target) {
    return request.format() == BaseBackupRequest.Format.PLAIN
        ? target.path()
        : target.path().resolve(".jwalreceiver-wal-stream");
  }

  /** The algorithm the manifest will use, for the inline check; null without a manifest. */
  private @Nullable ChecksumAlgorithm inlineChecksums() {
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
    Destination.@Nullable Server server =
        request.destination() instanceof Destination.Server s ? s : null;
    return new BaseBackupOptions(
        /* label= */ request.label(),
        /* progress= */ request.estimateSize(),
        /* fastCheckpoint= */ request.fastCheckpoint(),
        /* includeWal= */ includeWal,
        /* waitForArchive= */ request.walMethod() == BaseBackupRequest.WalMethod.NONE
            && request.waitForArchive(),
        /* maxRateKb= */ request.maxRateKb(),
        /* tablespaceMap= */ request.format() == BaseBackupRequest.Format.TAR || server != null,
        /* verifyChecksums= */ request.verifyChecksums(),
        /* manifest= */ request.manifest(),
        /* manifestChecksums= */ request.manifestChecksums(),
        /* target= */ server == null ? null : server.target(),
        /* targetDetail= */ server == null ? null : server.detail(),
        /* compression= */ compression.serverSide() ? compression.serverAlgorithm() : null,
        /* compressionDetail= */ compression.serverSide() ? compression.serverDetail() : null,
        /* incremental= */ request.incrementalManifest() != null);
  }

  /**
   * {@code -i}: UPLOAD_MANIFEST with the previous backup's manifest (17+), so that the BASE_BACKUP
   * that follows on this session can be INCREMENTAL.
   */
  private void uploadManifest(ReplicationConnection conn) {
    if (conn.serverVersionNum() < 170000) {
      throw new PgException(
          SqlState.FEATURE_NOT_SUPPORTED, "server does not support incremental backup");
    }
    Path file = request.incrementalManifest();
    byte[] manifest;
    try {
      manifest = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new PgException(
          SqlState.IO_ERROR,
          "could not open file \"" + file + "\": " + OutputDirectory.describe(e),
          e);
    }
    conn.uploadManifest(manifest);
  }

  /**
   * The next result set of the BASE_BACKUP response; a server error there is prefixed with what
   * failed, in pg_basebackup's wording.
   */
  private static QueryResult nextResultSet(CopyOutStream stream, String failure) {
    try {
      return stream.nextResultSet();
    } catch (PgException e) {
      throw context(failure, e);
    }
  }

  private static PgException context(String what, PgException e) {
    if (e.fromServer()) {
      return new PgException(what + ": ", Objects.requireNonNull(e.serverError(), "serverError"));
    }
    return new PgException(e.sqlState(), what + ": " + e.getMessage(), e.detail(), e.hint(), e);
  }
}
