// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.basebackup.manifest.BackupVerifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jwalreceiver verifybackup}: pg_verifybackup's checks of a plain-format backup against its
 * {@code backup_manifest}, with its options and messages. Errors are printed as {@code
 * jwalreceiver: error: …} lines, all of them unless {@code -e}; the exit code is 1 when there was
 * any.
 */
/** {@code jwalreceiver verifybackup}: checks a plain backup against its manifest. */
@Command(
    name = "verifybackup",
    header = "Verifies a plain backup against its backup_manifest (pg_verifybackup).",
    description = {
      "Verifies a plain-format base backup against its backup_manifest, as pg_verifybackup does:",
      "the manifest and its checksum, the file set, sizes and checksums, and the WAL the backup",
      "needs. The WAL check makes sure every segment of the manifest's WAL ranges is present with",
      "the segment size; unlike pg_verifybackup (which runs pg_waldump) it does not parse WAL",
      "records.",
      ""
    })
public final class VerifyBackupCommand extends CliCommand {

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "BACKUPDIR",
      description = "the backup directory")
  @Nullable Path backupDir;

  @Option(
      names = {"-e", "--exit-on-error"},
      description = "exit immediately on error")
  boolean exitOnError;

  @Option(
      names = {"-i", "--ignore"},
      paramLabel = "RELATIVE_PATH",
      description = "ignore indicated path (repeatable)")
  List<String> ignore = new ArrayList<>();

  @Option(
      names = {"-m", "--manifest-path"},
      paramLabel = "PATH",
      description = "use specified path for manifest")
  @Nullable Path manifestPath;

  @Option(
      names = {"-n", "--no-parse-wal"},
      description =
          "do not check WAL files (the check is for presence and size of each segment,"
              + " not a record-level parse like pg_waldump's)")
  boolean noParseWal;

  @Option(
      names = {"-q", "--quiet"},
      description = "do not print any output, except for errors")
  boolean quiet;

  @Option(
      names = {"-s", "--skip-checksums"},
      description = "skip checksum verification")
  boolean skipChecksums;

  @Option(
      names = {"-w", "--wal-directory"},
      paramLabel = "PATH",
      description = "use specified path for WAL files")
  @Nullable Path walDirectory;

  @Override
  public Integer call() {
    if (backupDir == null) {
      return usage("no backup directory specified");
    }
    BackupVerifier.Builder builder =
        BackupVerifier.builder(backupDir)
            .manifest(manifestPath)
            .walDirectory(walDirectory)
            .skipChecksums(skipChecksums)
            .skipWal(noParseWal)
            .exitOnError(exitOnError);
    ignore.forEach(builder::ignore);
    BackupVerifier.Result result =
        builder.build().verify(message -> cli.error(message, null, null));
    if (!result.ok()) {
      return ExitCodes.ERROR;
    }
    if (!quiet) {
      cli.out().println("backup successfully verified");
    }
    return ExitCodes.OK;
  }
}
