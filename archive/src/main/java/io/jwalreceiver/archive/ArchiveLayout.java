// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive;

import io.jwalreceiver.archive.store.StoreLocation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/**
 * Where things are in an archive. In a store ({@code s3://bucket/prefix}, or a directory laid out
 * the same way):
 *
 * <pre>
 *   wal/000000010000000000000003[.gz|.lz4|.zst]   a completed segment, as receivewal wrote it
 *   wal/00000002.history                           a timeline history file
 *   wal/000000010000000000000007[.gz…].partial     the last segment of a timeline that ended
 *   basebackups/20261206T230501Z/base.tar[.gz…]    a base backup's archives (tar format)
 *   basebackups/20261206T230501Z/backup_manifest   written last: the backup is complete
 * </pre>
 *
 * <p>A local directory without {@code wal/} and {@code basebackups/} is read as a flat WAL
 * directory, the way pg_receivewal's {@code -D} leaves it (for {@code restore-wal}).
 *
 * @param walPrefix the key prefix of WAL files ("wal/" or "" for a flat directory)
 * @param backupPrefix the key prefix of base backups
 */
public record ArchiveLayout(String walPrefix, String backupPrefix) {

  /** The layout of every store, and of local directories that have it. */
  public static final ArchiveLayout STORE = new ArchiveLayout("wal/", "basebackups/");

  /** A pg_receivewal directory: WAL files at the top. */
  public static final ArchiveLayout FLAT = new ArchiveLayout("", "basebackups/");

  /** The manifest, the last object of a backup: its presence marks the backup complete. */
  public static final String MANIFEST = "backup_manifest";

  private static final DateTimeFormatter ID =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private static final Pattern ID_PATTERN = Pattern.compile("\\d{8}T\\d{6}Z");

  /** The layout of a location: {@link #STORE}, or {@link #FLAT} for a plain WAL directory. */
  public static ArchiveLayout of(StoreLocation location) {
    Path dir = location.directory();
    if (dir == null
        || Files.isDirectory(dir.resolve("wal"))
        || Files.isDirectory(dir.resolve("basebackups"))) {
      return STORE;
    }
    return FLAT;
  }

  /** The key of a WAL file (segment, history file, .partial), by its file name. */
  public String walKey(String fileName) {
    return walPrefix + fileName;
  }

  /** The key prefix of one backup ({@code basebackups/ID/}). */
  public String backupPrefix(String backupId) {
    return backupPrefix + backupId + "/";
  }

  /** The key of one file of a backup. */
  public String backupKey(String backupId, String fileName) {
    return backupPrefix(backupId) + fileName;
  }

  /** The id of a backup started at the given time: {@code yyyyMMddTHHmmssZ} (UTC). */
  public static String backupId(Instant start) {
    return ID.format(start);
  }

  /** Whether a string is a backup id. */
  public static boolean isBackupId(String text) {
    return ID_PATTERN.matcher(text).matches();
  }
}
