// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.restore.WalFileName;
import io.jwalreceiver.archive.restore.WalRestore;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jwalreceiver restore-wal WALFILE DESTPATH --archive LOCATION}: a {@code restore_command}.
 * Exit 0 when the file was restored, 1 when the archive does not have it (recovery's "end of the
 * archive"), and {@value #FATAL} for everything else: PostgreSQL treats an exit status above 125 as
 * a fatal failure of {@code restore_command} ({@code wait_result_is_any_signal(rc, true)} in {@code
 * RestoreArchivedFile}) and stops instead of ending recovery early on a store it could not read.
 */
@Command(
    name = "restore-wal",
    header = "Restores one WAL file from an archive (for restore_command).",
    description = {
      "Restores one WAL file from an archive, for a recovering server's restore_command:",
      "  restore_command = 'jwalreceiver restore-wal %%f %%p --archive s3://bucket/prefix'",
      "The file is looked for under its name, compressed (.gz, .lz4, .zst; decompressed here),",
      "and for a segment then as .partial (the last segment of a timeline, zero-padded). A",
      "segment must have the size its page header states; DESTPATH is written completely or",
      "not at all.",
      "Exit status: 0 restored; 1 not in the archive; 126 any other failure (store",
      "unreachable after retries, corrupt file, bad arguments), which stops the recovering",
      "server instead of ending recovery early.",
      ""
    })
public final class RestoreWalCommand extends CliCommand {

  /**
   * The exit status of every failure other than "not in the archive": above 125, so that
   * PostgreSQL's restore_command handling takes it as fatal (126 is the shell's "cannot execute").
   */
  static final int FATAL = 126;

  /** Tries of a store that fails before giving up. */
  static final int ATTEMPTS = 3;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "WALFILE",
      description = "the file name recovery asks for (%%f)")
  @Nullable String walFile;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "DESTPATH",
      description = "where to write it (%%p)")
  @Nullable Path destination;

  @Option(
      names = "--archive",
      paramLabel = "LOCATION",
      description =
          "the archive: s3://bucket/prefix, its layout in a directory, or a flat"
              + " pg_receivewal directory")
  @Nullable String archive;

  /** Milliseconds before the second try; doubled for each next one. */
  long retryDelayMillis = 1000;

  @Override
  public Integer call() {
    String file = walFile;
    Path dest = destination;
    String location = archive;
    if (file == null || dest == null || location == null) {
      return fatal("usage: restore-wal WALFILE DESTPATH --archive LOCATION");
    }
    WalFileName name;
    StoreLocation where;
    try {
      name = WalFileName.parse(file);
      where = StoreLocation.parse(location);
    } catch (IllegalArgumentException e) {
      return fatal(String.valueOf(e.getMessage()));
    }
    ObjectStore store;
    try {
      store = Stores.open(where, cli.env());
    } catch (IllegalArgumentException e) {
      return fatal(String.valueOf(e.getMessage()));
    }
    try (store) {
      WalRestore restore = new WalRestore(store, ArchiveLayout.of(where));
      IOException last = null;
      long delay = retryDelayMillis;
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        try {
          Optional<WalRestore.Restored> restored = restore.restore(name, dest);
          if (restored.isEmpty()) {
            cli.info("\"" + file + "\" is not in the archive " + where);
            return ExitCodes.ERROR;
          }
          return ExitCodes.OK;
        } catch (IOException e) {
          last = e;
        } catch (PgException e) {
          return fatal(String.valueOf(e.getMessage()));
        }
        if (attempt < ATTEMPTS && !sleep(delay)) {
          break;
        }
        delay *= 2;
      }
      return fatal(
          "could not restore \""
              + file
              + "\" from "
              + where
              + " (tried "
              + ATTEMPTS
              + " times): "
              + describe(last));
    }
  }

  private static String describe(@Nullable IOException e) {
    return e == null ? "interrupted" : String.valueOf(e.getMessage());
  }

  private static boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private int fatal(String message) {
    cli.error(message, null, null);
    return FATAL;
  }
}
