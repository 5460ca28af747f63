// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.basebackup.sink.BackupSink;
import java.io.OutputStream;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where a base backup goes: a directory on this machine ({@code -D DIR}), the caller's standard
 * output ({@code -F tar -D -}), the server itself ({@code -t server:DIR}, {@code -t blackhole}), or
 * nowhere after crossing the network ({@code bench basebackup --sink discard}), or a sink of the
 * caller's ({@code -t s3://…}).
 */
public sealed interface Destination {

  /**
   * {@code -D DIR}: the data directory (plain) or the archives (tar) are written here.
   *
   * @param path new or empty; what the backup creates is removed on failure (unless {@code -n})
   */
  record Directory(Path path) implements Destination {}

  /**
   * {@code -F tar -D -}: the single tar archive (with the manifest injected) is written to {@code
   * out}; only one tablespace, no streamed WAL.
   *
   * @param out the caller's standard output, not closed
   */
  record Stdout(OutputStream out) implements Destination {}

  /**
   * {@code -t TARGET[:DETAIL]} (15+): the server keeps the backup ({@code server}) or drops it
   * ({@code blackhole}); only markers and progress cross the network.
   *
   * @param target {@code server}, {@code blackhole} or an extension's target
   * @param detail the part after the first colon (the server directory for {@code server}), or null
   */
  record Server(String target, @Nullable String detail) implements Destination {}

  /**
   * The archives and manifest are received and dropped on this side (the bench's discard sink: the
   * bytes cross the network, unlike {@code -t blackhole}); no streamed WAL.
   */
  record Discard() implements Destination {}

  /**
   * Tar format into a sink the caller made (an object store: {@code -t s3://…}): the archives and
   * the manifest are passed on as they arrive. Streamed WAL ({@code -X stream}) is staged in {@code
   * walSpool} and passed on as one more archive, {@value #WAL_ARCHIVE} (tablespace path {@value
   * #WAL_ARCHIVE_PATH}), after the manifest and before {@link BackupSink#finish}; the staged files
   * are removed then. The sink's {@link BackupSink#abort} removes what it stored.
   *
   * @param sink receives the backup; finished or aborted by the backup
   * @param walSpool an empty directory of the caller's for streamed WAL (unused without {@code -X
   *     stream})
   */
  record External(BackupSink sink, Path walSpool) implements Destination {

    /** The name of the streamed WAL's archive. */
    public static final String WAL_ARCHIVE = "pg_wal.tar";

    /** The tablespace path given with {@link #WAL_ARCHIVE}: not empty, not a server path. */
    public static final String WAL_ARCHIVE_PATH = "pg_wal";
  }
}
