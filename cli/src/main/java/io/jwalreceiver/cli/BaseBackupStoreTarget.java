// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.archive.backup.StoreBackupSink;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.basebackup.BackupCompression;
import io.jwalreceiver.basebackup.BaseBackup;
import io.jwalreceiver.basebackup.BaseBackupRequest;
import io.jwalreceiver.basebackup.Destination;
import io.jwalreceiver.session.ConnectionConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * {@code basebackup -t s3://…}: the checks of that target against the other options and the run of
 * a backup into an object store, apart from {@link BaseBackupCommand}'s pg_basebackup surface.
 */
final class BaseBackupStoreTarget {

  private BaseBackupStoreTarget() {}

  /**
   * The usage mistake of an s3:// target combined with {@code -D}, {@code -F plain} or {@code
   * --no-manifest}; null when there is none.
   */
  static @Nullable String conflict(
      @Nullable Path pgdata, @Nullable String format, boolean noManifest) {
    if (pgdata != null) {
      return "cannot specify both output directory and an s3:// backup target (the backup goes"
          + " to the object store)";
    }
    if (format != null
        && BaseBackupRequest.Format.parse(format) == BaseBackupRequest.Format.PLAIN) {
      return "an s3:// backup target stores the tar format: -F plain cannot be used with it";
    }
    if (noManifest) {
      return "--no-manifest cannot be used with an s3:// backup target: the manifest marks the"
          + " backup complete";
    }
    return null;
  }

  /**
   * {@code -t s3://…}: the backup streamed into the store ({@link StoreBackupSink}); streamed WAL
   * is staged in a temporary directory. A stop signal (SIGINT, SIGTERM) aborts the sink from a
   * shutdown hook, so a stopped backup leaves nothing in the store either. Prints the backup's
   * location on standard output when it is complete.
   */
  static int run(
      Cli cli,
      StoreLocation location,
      ConnectionConfig config,
      BaseBackupRequest.Builder request,
      BaseBackupProgress progress,
      @Nullable String recoveryConf,
      BackupCompression compression) {
    ObjectStore store;
    try {
      store = Stores.open(location, cli.env());
    } catch (IllegalArgumentException e) {
      cli.error(String.valueOf(e.getMessage()), null, null);
      return ExitCodes.ERROR;
    }
    @Nullable Path walSpool = null;
    @Nullable StoreBackupSink stored = null;
    try (store) {
      StoreBackupSink sink =
          new StoreBackupSink(
              store,
              StoreBackupSink.newBackupId(store, Instant.now()),
              recoveryConf,
              compression.client(),
              compression.encoderThreads());
      stored = sink;
      walSpool = Files.createTempDirectory("jwalreceiver-wal-");
      Path spool = walSpool;
      Thread onStop =
          new Thread(
              () -> {
                sink.abort();
                deleteQuietly(spool);
              },
              "basebackup-store-abort");
      Runtime.getRuntime().addShutdownHook(onStop);
      try {
        new BaseBackup(
                config,
                request.destination(new Destination.External(sink, walSpool)).build(),
                progress,
                cli::notice)
            .run();
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(onStop);
        } catch (IllegalStateException shuttingDown) {
          // The hook runs (or ran): it aborts unless the backup completed.
        }
      }
      progress.done();
      cli.out().println(sink.location());
      return ExitCodes.OK;
    } catch (PgException e) {
      progress.endLine();
      cli.error(null, e);
      if (stored != null && !stored.leftovers().isEmpty()) {
        // Not a backup without its manifest, but taking space: say what to remove.
        cli.warning(
            "could not delete the objects this backup stored; remove them: "
                + String.join(" ", stored.leftovers().stream().map(store::describe).toList()));
      }
      return ExitCodes.ERROR;
    } catch (IOException e) {
      cli.error(
          "could not create a temporary directory for the streamed WAL: " + e.getMessage(),
          null,
          null);
      return ExitCodes.ERROR;
    } finally {
      if (walSpool != null) {
        deleteQuietly(walSpool);
      }
    }
  }

  /** Removes a temporary directory and what is in it; never throws. */
  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      // A temporary directory: the system's cleaning of its directory removes what is left.
    }
  }
}
