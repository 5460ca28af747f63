// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.restore.BackupRestore;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.basebackup.sink.TablespaceMapping;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jwalreceiver restore-backup --archive LOCATION [--backup ID|latest] -D DATADIR [-T
 * OLDDIR=NEWDIR ...]}: a complete base backup from the archive into an empty data directory,
 * checked against its manifest.
 */
@Command(
    name = "restore-backup",
    header = "Restores a base backup from an archive into an empty data directory.",
    description = {
      "Restores a complete base backup (one with its backup_manifest) from an archive into an",
      "empty or absent data directory: base.tar into DATADIR, tablespaces into their locations",
      "(-T relocates them), pg_wal.tar into DATADIR/pg_wal, and backup_manifest; then checks",
      "the result against the manifest as verifybackup does. Archives are streamed from the",
      "store and extracted as they arrive. On failure, what this run created is removed.",
      "Add recovery.signal and a restore_command (jwalreceiver restore-wal) to recover from it.",
      ""
    })
public final class RestoreBackupCommand extends CliCommand {

  @Option(
      names = "--archive",
      required = true,
      paramLabel = "LOCATION",
      description = "the archive: s3://bucket/prefix or a directory with its layout")
  String archive = "";

  @Option(
      names = "--backup",
      paramLabel = "ID",
      description =
          "the backup (yyyyMMddTHHmmssZ) or \"latest\" (default): the newest complete one")
  String backup = BackupRestore.LATEST;

  @Option(
      names = {"-D", "--pgdata"},
      required = true,
      paramLabel = "DATADIR",
      description = "the data directory to create (absent or empty)")
  @Nullable Path dataDir;

  @Option(
      names = {"-T", "--tablespace-mapping"},
      paramLabel = "OLDDIR=NEWDIR",
      description = "relocate tablespace in OLDDIR to NEWDIR")
  List<String> tablespaceMappings = new ArrayList<>();

  @Override
  public Integer call() {
    Path target = dataDir;
    if (target == null) {
      return usage("no target directory specified");
    }
    List<TablespaceMapping> mappings = new ArrayList<>();
    StoreLocation where;
    try {
      for (String m : tablespaceMappings) {
        mappings.add(TablespaceMapping.parse(m));
      }
      where = StoreLocation.parse(archive);
    } catch (PgException | IllegalArgumentException e) {
      return error(String.valueOf(e.getMessage()));
    }
    ObjectStore store;
    try {
      store = Stores.open(where, cli.env());
    } catch (IllegalArgumentException e) {
      return error(String.valueOf(e.getMessage()));
    }
    try (store) {
      BackupRestore restore = new BackupRestore(store, ArchiveLayout.of(where));
      BackupRestore.Backup chosen = restore.choose(backup);
      BackupRestore.Result result =
          restore.restore(chosen, target, mappings, message -> cli.error(message, null, null));
      cli.out()
          .println(
              "restored backup "
                  + chosen.id()
                  + " into \""
                  + target
                  + "\" ("
                  + result.bytes()
                  + " bytes from "
                  + where
                  + "), verified against its manifest"
                  + (result.verifiedWal() ? "" : " (WAL not included: use restore-wal)"));
      return ExitCodes.OK;
    } catch (PgException e) {
      cli.error(null, e);
      return ExitCodes.ERROR;
    } catch (IOException e) {
      return error("could not restore from " + where + ": " + e.getMessage());
    }
  }
}
