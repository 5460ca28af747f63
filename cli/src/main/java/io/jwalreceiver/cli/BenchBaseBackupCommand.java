// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.basebackup.BackupCompression;
import io.jwalreceiver.basebackup.BaseBackupRequest;
import io.jwalreceiver.cli.bench.BackupBench;
import io.jwalreceiver.cli.bench.BenchReport;
import io.jwalreceiver.cli.bench.SinkKind;
import io.jwalreceiver.session.ConnectionConfig;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jwalreceiver bench basebackup}: base backup throughput, per pipeline stage. */
/** {@code jwalreceiver bench basebackup}: measures base backup throughput per stage. */
@Command(
    name = "basebackup",
    header = "Measures base backup throughput per stage against a server.",
    description = {
      "Takes one base backup into a sink that discards it (the bytes still cross the network)",
      "or onto disk with basebackup's writers and fsync, and reports MB/s overall and the busy",
      "time of each stage: network, decompression (server-compressed, plain format),",
      "extraction/writing, fsync. The start checkpoint (a fast one) is timed apart.",
      ""
    })
public final class BenchBaseBackupCommand extends BenchSubcommand {

  @Option(
      names = "--sink",
      paramLabel = "discard|disk",
      description = "drop the archives (default), or write the backup into -D")
  @Nullable String sink;

  @Option(
      names = {"-D", "--pgdata"},
      paramLabel = "DIRECTORY",
      description = "for --sink disk: a new or empty directory")
  @Nullable Path directory;

  @Option(
      names = {"-F", "--format"},
      paramLabel = "p|t",
      description = "output format for --sink disk (plain (default), tar)")
  @Nullable String format;

  @Option(
      names = {"-X", "--wal-method"},
      paramLabel = "none|fetch",
      description = "include the WAL in the backup (fetch) or not (none, default)")
  @Nullable String walMethod;

  @Option(
      names = {"-Z", "--compress"},
      paramLabel = "[{client|server}-]METHOD[:DETAIL]",
      description = "compression as basebackup -Z (client-side: tar format on disk only)")
  @Nullable String compress;

  @Option(
      names = "--keep",
      description = "leave the backup in -D (default: remove what the bench created)")
  boolean keep;

  @Override
  public Integer call() {
    SinkKind kind = sinkKind(sink, directory, keep, format != null ? "-F" : null);
    if (kind == null) {
      return ExitCodes.USAGE;
    }
    boolean disk = kind == SinkKind.DISK;
    boolean tar = false;
    if (format != null) {
      BaseBackupRequest.Format f = BaseBackupRequest.Format.parse(format);
      if (f == null) {
        return error(BaseBackupCommand.invalidFormat(format));
      }
      tar = f == BaseBackupRequest.Format.TAR;
    }
    boolean fetch = false;
    if (walMethod != null) {
      BaseBackupRequest.WalMethod m = BaseBackupRequest.WalMethod.parse(walMethod);
      if (m == null) {
        return error(
            "invalid wal-method option \"" + walMethod + "\", must be \"fetch\" or \"none\"");
      }
      if (m == BaseBackupRequest.WalMethod.STREAM) {
        return usage("the bench does not stream WAL; use -X none or -X fetch");
      }
      fetch = m == BaseBackupRequest.WalMethod.FETCH;
    }
    BackupCompression compression = BackupCompression.NONE;
    if (compress != null) {
      try {
        compression = BackupCompression.parse(compress);
      } catch (PgException e) {
        return error(String.valueOf(e.getMessage()));
      }
    }
    if (compression.clientSide() && !(disk && tar)) {
      return usage("client-side compression needs --sink disk and -F tar");
    }

    ConnectionConfig config = connection.resolve(cli, BenchCommand.FALLBACK_APPLICATION_NAME);
    BackupBench bench =
        new BackupBench(
            new BackupBench.Settings(
                config,
                kind,
                directory == null ? null : directory.toAbsolutePath(),
                tar,
                fetch,
                compression,
                keep),
            cli::notice);
    BackupBench.Result result = measure("bench basebackup", bench);
    if (result == null) {
      return ExitCodes.ERROR;
    }
    BenchReport.BackupLabels labels =
        new BenchReport.BackupLabels(
            kind.label(),
            tar ? "tar" : "plain",
            fetch ? "fetch" : "none",
            compress == null ? "none" : compress);
    return report(BenchReport.backup(result, labels, jsonOption.json));
  }
}
