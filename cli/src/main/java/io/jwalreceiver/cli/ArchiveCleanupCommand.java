// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.verify.ArchiveCleaner;
import io.jwalreceiver.archive.verify.BackupEntry;
import io.jwalreceiver.archive.verify.WalFile;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jwalreceiver archive cleanup}: removes old backups and the WAL only they need. */
@Command(
    name = "cleanup",
    header = "Removes the base backups older than the N newest, and the WAL only they need.",
    description = {
      "Keeps the N newest complete base backups (by id, their start time) and removes the older",
      "complete ones (each backup_manifest first, so that a backup removed only in part is never",
      "taken for complete), and the WAL segments and .partial files before the start segment of",
      "the oldest kept backup on its timeline and older ones. History files are always kept;",
      "incomplete backups (no backup_manifest: failed, or still running) are kept and listed",
      "unless --remove-incomplete is given (then those older than the oldest kept backup go).",
      "Refuses when the archive has no complete backup.",
      ""
    })
public final class ArchiveCleanupCommand extends ArchiveSubcommand {

  @Option(
      names = "--keep",
      required = true,
      paramLabel = "N",
      description = "how many complete base backups to keep (at least 1)")
  int keep;

  @Option(names = "--dry-run", description = "list what would be removed, remove nothing")
  boolean dryRun;

  @Option(
      names = "--remove-incomplete",
      description =
          "also remove incomplete backups older than the oldest kept one (failed, or left by an"
              + " interrupted cleanup); make sure no backup that old is still running")
  boolean removeIncomplete;

  @Override
  int run(ObjectStore store) throws IOException {
    if (keep < 1) {
      return usage("--keep must be at least 1, not " + keep);
    }
    ArchiveCleaner cleaner = new ArchiveCleaner(store, archive.layout());
    ArchiveCleaner.Plan plan = cleaner.plan(keep, removeIncomplete);
    print(plan, store);
    if (!dryRun) {
      cleaner.execute(plan);
    }
    cli.out()
        .println(
            (dryRun ? "would remove " : "removed ")
                + plan.objects()
                + (plan.objects() == 1 ? " object, " : " objects, ")
                + plan.bytes()
                + " bytes ("
                + ArchiveCommand.bytes(plan.bytes())
                + ")");
    return ExitCodes.OK;
  }

  @Override
  String failure() {
    return "cleanup of " + archive.text + " stopped";
  }

  private void print(ArchiveCleaner.Plan plan, ObjectStore store) {
    PrintStream out = cli.out();
    List<BackupEntry> kept = plan.split().kept();
    out.println(
        "keeping "
            + kept.size()
            + (kept.size() == 1 ? " backup: " : " backups: ")
            + String.join(", ", kept.stream().map(BackupEntry::id).toList())
            + "; WAL from "
            + plan.keepFrom()
            + " on");
    String verb = dryRun ? "would remove" : "removing";
    for (BackupEntry b : plan.removedBackups()) {
      out.println(
          verb
              + (b.complete() ? " backup " : " incomplete backup ")
              + b.id()
              + " ("
              + b.objects().size()
              + " objects, "
              + ArchiveCommand.bytes(b.bytes())
              + ")");
      if (dryRun) {
        b.removalOrder().forEach(k -> out.println("  " + store.describe(k)));
      }
    }
    if (!plan.wal().isEmpty()) {
      long bytes = plan.wal().stream().mapToLong(WalFile::size).sum();
      out.println(
          verb
              + " "
              + plan.wal().size()
              + " WAL files before "
              + plan.keepFrom()
              + " ("
              + ArchiveCommand.bytes(bytes)
              + ")");
      if (dryRun) {
        plan.wal().forEach(f -> out.println("  " + store.describe(f.key())));
      }
    }
    for (BackupEntry b : plan.split().incomplete()) {
      out.println(
          "keeping incomplete backup "
              + b.id()
              + " (no backup_manifest: failed or still running; "
              + b.objects().size()
              + " objects, "
              + ArchiveCommand.bytes(b.bytes())
              + ")");
    }
  }
}
