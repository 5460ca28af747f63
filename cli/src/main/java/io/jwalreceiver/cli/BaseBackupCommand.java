// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.basebackup.BackupCompression;
import io.jwalreceiver.basebackup.BaseBackup;
import io.jwalreceiver.basebackup.BaseBackupRequest;
import io.jwalreceiver.basebackup.Destination;
import io.jwalreceiver.basebackup.RecoveryConfig;
import io.jwalreceiver.basebackup.sink.TablespaceMapping;
import io.jwalreceiver.session.ConnectionConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jwalreceiver basebackup}: pg_basebackup's options, messages and output layout. */
/** {@code jwalreceiver basebackup}: a base backup of a running server, as pg_basebackup. */
@Command(
    name = "basebackup",
    header = "Takes a base backup of a running server (pg_basebackup).",
    description = {
      "Takes a base backup of a running PostgreSQL server, as pg_basebackup does: plain (a data",
      "directory) or tar, WAL streamed alongside, -R standby setup, slots, manifest.",
      ""
    })
public final class BaseBackupCommand extends CliCommand {

  static final String FALLBACK_APPLICATION_NAME = "pg_basebackup";

  /**
   * Threads for client-side gzip, LZ4, and zstd without {@code workers=} (default: one per
   * processor; 0 = on the receiving thread, as pg_basebackup does it).
   */
  static final String GZIP_WORKERS_ENV = "JWALRECEIVER_GZIP_WORKERS";

  /**
   * {@code off}: skip the check of a plain backup's files against its manifest as they are received
   * (for measuring what it costs).
   */
  static final String INLINE_VERIFY_ENV = "JWALRECEIVER_INLINE_VERIFY";

  @Option(
      names = {"-D", "--pgdata"},
      paramLabel = "DIRECTORY",
      description = "receive base backup into directory")
  @Nullable Path pgdata;

  @Option(
      names = {"-F", "--format"},
      paramLabel = "p|t",
      description = "output format (plain (default), tar)")
  @Nullable String format;

  @Option(
      names = {"-i", "--incremental"},
      paramLabel = "OLDMANIFEST",
      description = "take incremental backup")
  @Nullable Path incremental;

  @Option(
      names = {"-r", "--max-rate"},
      paramLabel = "RATE",
      description =
          "maximum transfer rate to transfer data directory (in kB/s, or use suffix \"k\" or \"M\")")
  @Nullable String maxRate;

  @Option(
      names = {"-R", "--write-recovery-conf"},
      description = "write configuration for replication")
  boolean writeRecoveryConf;

  @Option(
      names = {"-t", "--target"},
      paramLabel = "TARGET[:DETAIL]",
      description = {
        "backup target (if other than client);",
        "s3://BUCKET[/PREFIX]: tar format into an object store"
      })
  @Nullable String target;

  @Option(
      names = {"-T", "--tablespace-mapping"},
      paramLabel = "OLDDIR=NEWDIR",
      description = "relocate tablespace in OLDDIR to NEWDIR")
  List<String> tablespaceMappings = new ArrayList<>();

  @Option(
      names = "--waldir",
      paramLabel = "WALDIR",
      description = "location for the write-ahead log directory")
  @Nullable Path walDir;

  @Option(
      names = {"-X", "--wal-method"},
      paramLabel = "none|fetch|stream",
      description = "include required WAL files with specified method")
  @Nullable String walMethod;

  /** The last of {@code -z} / {@code -Z} given (pg_basebackup: the last one wins), or null. */
  @Nullable String compress;

  @Option(
      names = {"-z", "--gzip"},
      description = "compress tar output")
  void gzip(boolean on) {
    compress = "gzip";
  }

  @Option(
      names = {"-Z", "--compress"},
      paramLabel = "[{client|server}-]METHOD[:DETAIL]",
      description = {
        "compress on client or server as specified;",
        "none: do not compress tar output"
      })
  void compress(String value) {
    compress = value;
  }

  @Option(
      names = {"-c", "--checkpoint"},
      paramLabel = "fast|spread",
      description = "set fast or spread (default) checkpointing")
  @Nullable String checkpoint;

  @Option(
      names = {"-C", "--create-slot"},
      description = "create replication slot")
  boolean createSlot;

  @Option(
      names = {"-l", "--label"},
      paramLabel = "LABEL",
      description = "set backup label")
  @Nullable String label;

  @Option(
      names = {"-n", "--no-clean"},
      description = "do not clean up after errors")
  boolean noClean;

  @Option(
      names = {"-N", "--no-sync"},
      description = "do not wait for changes to be written safely to disk")
  boolean noSync;

  @Option(
      names = "--sync-method",
      paramLabel = "METHOD",
      description = "set method for syncing files to disk (fsync; syncfs is not available)")
  @Nullable String syncMethod;

  @Option(
      names = {"-P", "--progress"},
      description = "show progress information")
  boolean showProgress;

  @Mixin SlotOption slotOption;

  @Mixin VerboseOption verboseOption;

  @Option(
      names = "--manifest-checksums",
      paramLabel = "SHA{224,256,384,512}|CRC32C|NONE",
      description = "use algorithm for manifest checksums")
  @Nullable String manifestChecksums;

  @Option(names = "--manifest-force-encode", description = "hex encode all file names in manifest")
  boolean manifestForceEncode;

  @Option(names = "--no-estimate-size", description = "do not estimate backup size in server side")
  boolean noEstimateSize;

  @Option(names = "--no-manifest", description = "suppress generation of backup manifest")
  boolean noManifest;

  @Option(names = "--no-slot", description = "prevent creation of temporary replication slot")
  boolean noSlot;

  @Option(names = "--no-verify-checksums", description = "do not verify checksums")
  boolean noVerifyChecksums;

  @Option(
      names = {"-s", "--status-interval"},
      paramLabel = "INTERVAL",
      description = "time between status packets sent to server (in seconds)")
  @Nullable String statusInterval;

  @Mixin ConnectionOptions connection;

  /** {@code -F t -D -}. */
  private boolean toStdout;

  @Override
  public Integer call() {
    String slot = slotOption.slot;
    // pg_basebackup 17's --sync-method: fsync is what we do; syncfs(2) has no Java binding, so
    // we answer as a PostgreSQL build without it does.
    if (syncMethod != null && !"fsync".equals(syncMethod)) {
      return error(
          "syncfs".equals(syncMethod)
              ? "this build does not support sync method \"syncfs\""
              : "unrecognized sync method: " + syncMethod);
    }
    // -t s3://…: our own client-side target, the tar format streamed into an object store.
    @Nullable StoreLocation storeTarget = null;
    if (target != null && target.regionMatches(true, 0, "s3://", 0, 5)) {
      try {
        storeTarget = StoreLocation.parse(target);
      } catch (IllegalArgumentException e) {
        return usage(String.valueOf(e.getMessage()));
      }
      @Nullable String conflict = BaseBackupStoreTarget.conflict(pgdata, format, noManifest);
      if (conflict != null) {
        return usage(conflict);
      }
    }
    // pg_basebackup: "client" is the same as no target.
    String backupTarget = "client".equals(target) || storeTarget != null ? null : target;
    if (backupTarget != null && format != null) {
      return usage("cannot specify both format and backup target");
    }
    if (pgdata == null && backupTarget == null && storeTarget == null) {
      return usage("must specify output directory or backup target");
    }
    if (pgdata != null && backupTarget != null) {
      return usage("cannot specify both output directory and backup target");
    }
    BaseBackupRequest.Format fmt = BaseBackupRequest.Format.PLAIN;
    if (format != null) {
      fmt = BaseBackupRequest.Format.parse(format);
      if (fmt == null) {
        return error(invalidFormat(format));
      }
    }
    if (storeTarget != null) {
      fmt = BaseBackupRequest.Format.TAR;
    }
    BaseBackupRequest.WalMethod wal = BaseBackupRequest.WalMethod.STREAM;
    if (walMethod != null) {
      wal = BaseBackupRequest.WalMethod.parse(walMethod);
      if (wal == null) {
        return error(
            "invalid wal-method option \""
                + walMethod
                + "\", must be \"fetch\", \"stream\", or \"none\"");
      }
    }
    boolean fast = false;
    if (checkpoint != null) {
      String c = checkpoint.toLowerCase(Locale.ROOT);
      if (c.equals("fast")) {
        fast = true;
      } else if (!c.equals("spread")) {
        return error(
            "invalid checkpoint argument \"" + checkpoint + "\", must be \"fast\" or \"spread\"");
      }
    }
    int rate = 0;
    if (maxRate != null) {
      Integer r = parseMaxRate(maxRate);
      if (r == null) {
        return ExitCodes.ERROR;
      }
      rate = r;
    }
    List<TablespaceMapping> mappings = new ArrayList<>();
    for (String m : tablespaceMappings) {
      try {
        mappings.add(TablespaceMapping.parse(m));
      } catch (PgException e) {
        return error(String.valueOf(e.getMessage()));
      }
    }
    Duration interval = BaseBackupRequest.DEFAULT_STATUS_INTERVAL;
    if (statusInterval != null) {
      Integer v = IntOption.parse(cli, statusInterval, "-s/--status-interval", 0, 2147483);
      if (v == null) {
        return ExitCodes.ERROR;
      }
      interval = Duration.ofSeconds(v);
    }
    // Combinations pg_basebackup refuses, in its order and words.
    BackupCompression compression = BackupCompression.NONE;
    if (compress != null) {
      try {
        // With a target only the server can compress; without a prefix, it does.
        compression =
            BackupCompression.parse(
                compress,
                backupTarget == null
                    ? BackupCompression.Location.CLIENT
                    : BackupCompression.Location.SERVER);
      } catch (PgException e) {
        return error(String.valueOf(e.getMessage()));
      }
      if (backupTarget != null && !compression.serverSide()) {
        return usage("client-side compression is not possible when a backup target is specified");
      }
    }
    if (fmt == BaseBackupRequest.Format.PLAIN && compression.clientSide()) {
      return usage("only tar mode backups can be compressed");
    }
    String workers = cli.env().get(GZIP_WORKERS_ENV);
    if (workers != null) {
      try {
        compression = compression.withGzipWorkers(Integer.parseInt(workers.trim()));
      } catch (IllegalArgumentException e) {
        return error("invalid value \"" + workers + "\" for " + GZIP_WORKERS_ENV);
      }
    }
    toStdout =
        pgdata != null && pgdata.toString().equals("-") && fmt == BaseBackupRequest.Format.TAR;
    if (backupTarget != null && wal == BaseBackupRequest.WalMethod.STREAM) {
      return usage("WAL cannot be streamed when a backup target is specified");
    }
    if (toStdout && wal == BaseBackupRequest.WalMethod.STREAM) {
      return usage("cannot stream write-ahead logs in tar mode to stdout");
    }
    if (slot != null && wal != BaseBackupRequest.WalMethod.STREAM) {
      return usage("replication slots can only be used with WAL streaming");
    }
    if (noSlot) {
      if (slot != null) {
        return usage("--no-slot cannot be used with slot name");
      }
    }
    if (createSlot) {
      if (slot == null) {
        return usage("--create-slot needs a slot to be specified using --slot");
      }
      if (noSlot) {
        return usage("--create-slot and --no-slot are incompatible options");
      }
    }
    if (walDir != null) {
      if (backupTarget != null) {
        return usage("WAL directory location cannot be specified along with a backup target");
      }
      if (fmt != BaseBackupRequest.Format.PLAIN) {
        return usage("WAL directory location can only be specified in plain mode");
      }
      if (!walDir.isAbsolute()) {
        return usage("WAL directory location must be an absolute path");
      }
    }
    if (writeRecoveryConf && backupTarget != null) {
      return usage("recovery configuration cannot be written when a backup target is used");
    }
    if (showProgress && noEstimateSize) {
      return usage("--progress and --no-estimate-size are incompatible options");
    }
    if (noManifest && manifestChecksums != null) {
      return usage("--no-manifest and --manifest-checksums are incompatible options");
    }
    if (noManifest && manifestForceEncode) {
      return usage("--no-manifest and --manifest-force-encode are incompatible options");
    }

    ConnectionConfig config = connection.resolve(cli, FALLBACK_APPLICATION_NAME);
    if (pgdata != null && pgdata.toString().isEmpty()) {
      // Path.of("") would be the current directory; pg_basebackup's mkdir("") fails.
      return error("could not create directory \"\": No such file or directory");
    }
    Destination destination;
    if (storeTarget != null) {
      // Set below, once the store is open; a placeholder until then.
      destination = new Destination.Discard();
    } else if (backupTarget != null) {
      int colon = backupTarget.indexOf(':');
      destination =
          colon >= 0
              ? new Destination.Server(
                  backupTarget.substring(0, colon), backupTarget.substring(colon + 1))
              : new Destination.Server(backupTarget, null);
    } else if (toStdout) {
      destination = new Destination.Stdout(cli.out());
    } else {
      // Set: without -D only a backup target is allowed, and that was the first case.
      destination = new Destination.Directory(Objects.requireNonNull(pgdata).toAbsolutePath());
    }
    BaseBackupRequest.Builder request =
        BaseBackupRequest.builder()
            .destination(destination)
            .format(fmt)
            .walMethod(wal)
            .slotName(slot)
            .createSlot(createSlot)
            .temporarySlot(!noSlot && slot == null)
            .writeRecoveryConf(writeRecoveryConf)
            .fastCheckpoint(fast)
            .estimateSize(!noEstimateSize)
            .maxRateKb(rate)
            .tablespaceMappings(mappings)
            .walDir(walDir)
            .sync(!noSync)
            .keepOnFailure(noClean)
            .manifest(noManifest ? "no" : manifestForceEncode ? "force-encode" : "yes")
            .manifestChecksums(manifestChecksums)
            .verifyChecksums(!noVerifyChecksums)
            .statusInterval(interval)
            .recoveryConninfo(
                writeRecoveryConf
                    ? connection.primaryConninfo(cli, config, config.explicitDatabase())
                    : null)
            .compression(compression)
            .incrementalManifest(incremental);
    if (label != null) {
      request.label(label);
    }
    BaseBackupProgress progress =
        new BaseBackupProgress(
            cli,
            verboseOption.verbose,
            showProgress,
            !noSync,
            !noManifest && pgdata != null && !toStdout);
    if (storeTarget != null) {
      return BaseBackupStoreTarget.run(
          cli,
          storeTarget,
          config,
          request,
          progress,
          writeRecoveryConf
              ? RecoveryConfig.render(
                  connection.primaryConninfo(cli, config, config.explicitDatabase()), slot)
              : null,
          compression);
    }
    try {
      new BaseBackup(config, request.build(), progress, cli::notice)
          .withInlineVerification(!"off".equals(cli.env().get(INLINE_VERIFY_ENV)))
          .run();
    } catch (PgException e) {
      progress.endLine();
      cli.error(null, e);
      return ExitCodes.ERROR;
    }
    progress.done();
    return ExitCodes.OK;
  }

  /** pg_basebackup's -r parsing: kB/s, suffix k (no-op) or M (×1024), 32 kB/s … 1 GB/s. */
  private @Nullable Integer parseMaxRate(String s) {
    String digits = s;
    long factor = 1;
    if (s.endsWith("k")) {
      digits = s.substring(0, s.length() - 1);
    } else if (s.endsWith("M")) {
      digits = s.substring(0, s.length() - 1);
      factor = 1024;
    } else if (!s.isEmpty() && !Character.isDigit(s.charAt(s.length() - 1))) {
      cli.error("invalid --max-rate unit: \"" + s.replaceAll("^[0-9.]+", "") + "\"", null, null);
      return null;
    }
    double v;
    try {
      v = Double.parseDouble(digits.trim());
    } catch (NumberFormatException e) {
      cli.error("transfer rate \"" + s + "\" is not a valid value", null, null);
      return null;
    }
    if (v <= 0) {
      cli.error("transfer rate must be greater than zero", null, null);
      return null;
    }
    double kb = v * factor;
    if (kb > Integer.MAX_VALUE) {
      cli.error("transfer rate \"" + s + "\" exceeds integer range", null, null);
      return null;
    }
    if (kb < 32 || kb > 1024 * 1024) {
      cli.error("transfer rate \"" + s + "\" is out of range", null, null);
      return null;
    }
    return (int) kb;
  }

  /** pg_basebackup's message for a bad {@code -F} value (also {@code bench basebackup}'s). */
  static String invalidFormat(String format) {
    return "invalid output format \"" + format + "\", must be \"plain\" or \"tar\"";
  }
}
