// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.basebackup.BackupProgress;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** pg_basebackup's -v and -P output, for {@code jwalreceiver basebackup}. */
final class BaseBackupProgress implements BackupProgress {
  private final Cli cli;
  private final boolean verbose;
  private final boolean showProgress;
  private final boolean sync;

  /** Whether a manifest is renamed into place at the end (a directory with a manifest). */
  private final boolean manifestRenamed;

  private long lastPrint;
  private boolean printedProgress;
  private final boolean tty = Terminal.interactive();

  /**
   * @param verbose {@code -v}
   * @param showProgress {@code -P}
   * @param sync false with {@code -N}
   * @param manifestRenamed whether {@code backup_manifest.tmp} is renamed at the end
   */
  BaseBackupProgress(
      Cli cli, boolean verbose, boolean showProgress, boolean sync, boolean manifestRenamed) {
    this.cli = cli;
    this.verbose = verbose;
    this.showProgress = showProgress;
    this.sync = sync;
    this.manifestRenamed = manifestRenamed;
  }

  @Override
  public void waitingForCheckpoint() {
    if (verbose || showProgress) {
      cli.info("initiating base backup, waiting for checkpoint to complete");
    }
  }

  @Override
  public void started(Lsn start, TimelineId timeline) {
    if (verbose || showProgress) {
      cli.info("checkpoint completed");
    }
    if (verbose) {
      cli.info("write-ahead log start point: " + start + " on timeline " + timeline);
    }
  }

  @Override
  public void streamerStarted(@Nullable String slotName, boolean temporary) {
    if (verbose) {
      // The streamer itself reports the temporary slot it creates, with its name.
      cli.info("starting background WAL receiver");
    }
  }

  @Override
  public void progress(long doneBytes, long totalBytes, int archive, int archives) {
    if (!showProgress) {
      return;
    }
    long now = System.nanoTime();
    lastDone = doneBytes;
    lastTotal = totalBytes;
    lastArchive = archive;
    lastArchives = archives;
    if (printedProgress && now - lastPrint < 1_000_000_000L) {
      return;
    }
    lastPrint = now;
    print();
  }

  private long lastDone;
  private long lastTotal;
  private int lastArchive;
  private int lastArchives;

  private void print() {
    long doneBytes = lastDone;
    long totalBytes = lastTotal;
    int archive = lastArchive;
    int archives = lastArchives;
    long doneKb = doneBytes / 1024;
    long totalKb = Math.max(1, totalBytes / 1024);
    int pct = (int) Math.min(100, doneKb * 100 / totalKb);
    String width = "%" + Long.toString(totalKb).length() + "d";
    String line =
        String.format(
            Locale.ROOT,
            width + "/%d kB (%d%%), %d/%d tablespace%s",
            doneKb,
            totalKb,
            pct,
            archive,
            archives,
            archives == 1 ? "" : "s");
    cli.err().print(line + (tty ? "\r" : "\n"));
    cli.err().flush();
    printedProgress = true;
  }

  @Override
  public void dataDone(Lsn end, TimelineId timeline) {
    if (showProgress && lastArchives > 0) {
      // The final figures, as pg_basebackup prints them once the data is complete.
      print();
    }
    endLine();
    if (verbose) {
      cli.info("write-ahead log end point: " + end);
    }
  }

  @Override
  public void waitingForWal() {
    if (verbose) {
      cli.info("waiting for background process to finish streaming ...");
    }
  }

  @Override
  public void info(String message) {
    if (verbose) {
      cli.info(message);
    }
  }

  void endLine() {
    if (printedProgress && tty) {
      cli.err().println();
    }
    printedProgress = false;
  }

  void done() {
    if (verbose) {
      if (sync) {
        cli.info("syncing data to disk ...");
      }
      if (manifestRenamed) {
        cli.info("renaming backup_manifest.tmp to backup_manifest");
      }
      cli.info("base backup completed");
    }
  }
}
