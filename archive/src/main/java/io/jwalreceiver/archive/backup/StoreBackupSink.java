// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.backup;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.ObjectWriter;
import io.jwalreceiver.basebackup.Destination;
import io.jwalreceiver.basebackup.manifest.ManifestParser;
import io.jwalreceiver.basebackup.sink.BackupSink;
import io.jwalreceiver.basebackup.sink.TarArchiveWriter;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A tar-format base backup streamed into an object store, under {@code basebackups/<id>/} ({@link
 * ArchiveLayout#STORE}): each archive ({@code base.tar}, {@code <oid>.tar}, then {@code pg_wal.tar}
 * with streamed WAL) is written through its own {@link ObjectWriter} as it is received (compressed
 * and, with {@code -R}, rewritten as {@code -F t} does it: {@link TarArchiveWriter}) and committed
 * when it ends; the manifest is streamed into its object too but committed only by {@link #finish},
 * last, after everything it describes is stored: a backup without its manifest is not a backup.
 * Memory: one part buffer per open writer (at most two: the manifest and {@code pg_wal.tar}).
 *
 * <p>{@link #abort} (a failure, or a stop signal) discards the open writers and deletes the objects
 * of this backup already committed, so nothing of it stays. The methods are synchronized for that
 * second caller.
 */
public final class StoreBackupSink implements BackupSink {

  /**
   * The most bytes stored of a manifest: as for a manifest on disk, a bound that no real data
   * directory's manifest comes near, against a server that never ends one.
   */
  public static final long MAX_MANIFEST_SIZE = 4L << 30;

  /** An archive name the server may send: no path separators, no dot names. */
  private static final Pattern ARCHIVE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*");

  private final ObjectStore store;
  private final String backupId;
  private final @Nullable String recoveryConf;
  private final Compression compression;
  private final int gzipWorkers;

  /** The keys committed so far (deleted by an abort). */
  private final List<String> committed = new ArrayList<>();

  private @Nullable ObjectWriter writer;
  private @Nullable String key;
  private @Nullable TarArchiveWriter archive;
  private @Nullable ObjectWriter manifest;
  private long manifestSize;
  private boolean finished;
  private boolean aborted;

  /**
   * A sink for one backup.
   *
   * @param store where the backup goes (not closed here)
   * @param backupId the backup's id ({@link #newBackupId})
   * @param recoveryConf the {@code -R} lines, or null
   * @param compression client-side compression of the archives, or {@link Compression#NONE}; {@code
   *     pg_wal.tar} is compressed only with gzip, as pg_basebackup does it
   * @param gzipWorkers threads for the encoder (0 = on the receiving thread)
   */
  public StoreBackupSink(
      ObjectStore store,
      String backupId,
      @Nullable String recoveryConf,
      Compression compression,
      int gzipWorkers) {
    if (!ArchiveLayout.isBackupId(backupId)) {
      throw new IllegalArgumentException("not a backup id: " + backupId);
    }
    this.store = store;
    this.backupId = backupId;
    this.recoveryConf = recoveryConf;
    this.compression = compression;
    this.gzipWorkers = gzipWorkers;
  }

  /**
   * The id of a backup that starts now, checked to be new in the store.
   *
   * @throws PgException 42710 when the store already has objects under that id (a backup started in
   *     the same second), 58030 when the store cannot be listed
   */
  public static String newBackupId(ObjectStore store, Instant now) {
    String id = ArchiveLayout.backupId(now);
    String prefix = ArchiveLayout.STORE.backupPrefix(id);
    try {
      if (!store.list(prefix).isEmpty()) {
        throw new PgException(
            SqlState.DUPLICATE_OBJECT,
            "backup \""
                + id
                + "\" already exists in \""
                + store.describe(prefix)
                + "\": start the backup again in a second");
      }
    } catch (IOException e) {
      throw io("could not list \"" + store.describe(prefix) + "\"", e);
    }
    return id;
  }

  /** This backup's id. */
  public String backupId() {
    return backupId;
  }

  /** Where the backup is: {@code s3://bucket/prefix/basebackups/<id>}. */
  public String location() {
    String prefix = ArchiveLayout.STORE.backupPrefix(backupId);
    return store.describe(prefix.substring(0, prefix.length() - 1));
  }

  /** The name an archive is stored under: with the compression's suffix. */
  static String storedName(String name, String tablespacePath, Compression compression) {
    return TarArchiveWriter.storedName(name, archiveCompression(name, tablespacePath, compression));
  }

  /** pg_basebackup compresses {@code pg_wal.tar} only with gzip. */
  private static Compression archiveCompression(
      String name, String tablespacePath, Compression compression) {
    boolean wal =
        name.equals(Destination.External.WAL_ARCHIVE)
            && tablespacePath.equals(Destination.External.WAL_ARCHIVE_PATH);
    return wal && compression.algorithm() != Compression.Algorithm.GZIP
        ? Compression.NONE
        : compression;
  }

  @Override
  public synchronized void archiveStart(String name, String tablespacePath, boolean terminated) {
    checkOpen();
    if (!ARCHIVE_NAME.matcher(name).matches()) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION, "server sent an invalid archive name \"" + name + "\"");
    }
    Compression c = archiveCompression(name, tablespacePath, compression);
    String k = ArchiveLayout.STORE.backupKey(backupId, TarArchiveWriter.storedName(name, c));
    ObjectWriter w = create(k);
    key = k;
    writer = w;
    archive =
        new TarArchiveWriter(
            name,
            tablespacePath,
            terminated,
            w,
            store.describe(k),
            recoveryConf,
            c,
            gzipWorkers,
            StageTimes.OFF);
  }

  @Override
  public synchronized void archiveData(ByteBuffer data) {
    checkOpen();
    Objects.requireNonNull(archive, "an archive is open").data(data);
  }

  @Override
  public synchronized void archiveEnd() {
    checkOpen();
    Objects.requireNonNull(archive, "an archive is open").end();
    archive = null;
    String k = Objects.requireNonNull(key, "an archive is open");
    commit(Objects.requireNonNull(writer, "an archive is open"), k);
    committed.add(k);
    writer = null;
    key = null;
  }

  @Override
  public synchronized void manifestStart() {
    checkOpen();
    manifest = create(manifestKey());
  }

  @Override
  public synchronized void manifestData(ByteBuffer data) {
    checkOpen();
    manifestSize += data.remaining();
    if (manifestSize > MAX_MANIFEST_SIZE) {
      throw ManifestParser.tooLarge(MAX_MANIFEST_SIZE);
    }
    ObjectWriter m = Objects.requireNonNull(manifest, "the manifest started");
    try {
      while (data.hasRemaining()) {
        m.write(data);
      }
    } catch (IOException e) {
      throw io("could not write to \"" + store.describe(manifestKey()) + "\"", e);
    }
  }

  /** The manifest stays uncommitted until {@link #finish}. */
  @Override
  public synchronized void manifestEnd() {
    checkOpen();
  }

  /**
   * Commits the manifest: from now on the backup is complete in the store.
   *
   * @throws PgException when the server sent no manifest (a backup in a store needs one)
   */
  @Override
  public synchronized void finish() {
    checkOpen();
    ObjectWriter m = manifest;
    if (m == null) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "the server sent no backup manifest: a backup in an object store is complete only with"
              + " one");
    }
    commit(m, manifestKey());
    manifest = null;
    finished = true;
  }

  /**
   * Discards the open writers and deletes what this backup committed; nothing after a {@link
   * #finish}. Safe to call from another thread (a stop signal's): it waits for the receiving
   * thread's current call, whose next call then fails.
   */
  @Override
  public synchronized void abort() {
    if (finished || aborted) {
      return;
    }
    aborted = true;
    if (archive != null) {
      archive.abort();
      archive = null;
    }
    if (writer != null) {
      writer.close();
      writer = null;
    }
    if (manifest != null) {
      manifest.close();
      manifest = null;
    }
    if (!committed.isEmpty()) {
      try {
        store.delete(List.copyOf(committed));
        committed.clear();
      } catch (IOException | RuntimeException e) {
        // Never throws: the failure that led here is what gets reported; without a manifest
        // the objects left are not a backup (see leftovers()).
      }
    }
  }

  /** The keys committed by this sink that an abort could not delete (empty after a clean abort). */
  public synchronized List<String> leftovers() {
    return aborted ? List.copyOf(committed) : List.of();
  }

  private String manifestKey() {
    return ArchiveLayout.STORE.backupKey(backupId, ArchiveLayout.MANIFEST);
  }

  private void checkOpen() {
    if (aborted) {
      throw new PgException(SqlState.QUERY_CANCELED, "the backup to the store was stopped");
    }
    if (finished) {
      throw new IllegalStateException("the backup is finished");
    }
  }

  private ObjectWriter create(String k) {
    try {
      return store.create(k);
    } catch (IOException e) {
      throw io("could not create \"" + store.describe(k) + "\"", e);
    }
  }

  private void commit(ObjectWriter w, String k) {
    try {
      w.commit();
    } catch (IOException e) {
      w.close();
      throw io("could not store \"" + store.describe(k) + "\"", e);
    }
  }

  /**
   * A store's failure: its own message when it names the object (S3Store's do), else {@code what}.
   */
  private static PgException io(String what, IOException e) {
    String m = e.getMessage();
    return new PgException(
        SqlState.IO_ERROR,
        m != null && m.startsWith("could not ") ? m : what + ": " + (m == null ? e : m),
        e);
  }
}
