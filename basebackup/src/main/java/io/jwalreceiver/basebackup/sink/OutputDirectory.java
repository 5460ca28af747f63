// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A directory the backup writes into, with pg_basebackup's safety rules: it must be absent or
 * empty; on failure, only what we created is removed (the directory itself if we made it, its
 * contents if it existed empty before).
 */
public final class OutputDirectory {

  private final Path path;
  private final boolean createdByUs;
  private final boolean groupAccess;

  private OutputDirectory(Path path, boolean createdByUs, boolean groupAccess) {
    this.path = path;
    this.createdByUs = createdByUs;
    this.groupAccess = groupAccess;
  }

  /**
   * Creates {@code dir} (with missing parents) or checks that it is empty.
   *
   * @throws PgException 58030 {@code directory "%s" exists but is not empty}, or when it cannot be
   *     created
   */
  public static OutputDirectory prepare(Path dir) {
    return prepare(dir, false);
  }

  /**
   * Creates {@code dir} (with missing parents) or checks that it is empty. A directory we create
   * gets the source cluster's mode, as pg_basebackup gives it: 0750 when the server's data
   * directory allows group access ({@code data_directory_mode} 0750), else 0700. An existing empty
   * directory keeps its mode.
   *
   * @param groupAccess whether the source cluster allows group access
   * @throws PgException 58030 {@code directory "%s" exists but is not empty}, or when it cannot be
   *     created
   */
  public static OutputDirectory prepare(Path dir, boolean groupAccess) {
    try {
      if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) || Files.exists(dir)) {
        if (!Files.isDirectory(dir)) {
          throw new PgException(
              SqlState.IO_ERROR, "could not create directory \"" + dir + "\": File exists");
        }
        try (Stream<Path> s = Files.list(dir)) {
          if (s.findAny().isPresent()) {
            throw new PgException(
                SqlState.IO_ERROR, "directory \"" + dir + "\" exists but is not empty");
          }
        }
        return new OutputDirectory(dir, false, groupAccess);
      }
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(
          dir, PosixFilePermissions.fromString(groupAccess ? "rwxr-x---" : "rwx------"));
      return new OutputDirectory(dir, true, groupAccess);
    } catch (IOException e) {
      throw new PgException(
          SqlState.IO_ERROR, "could not create directory \"" + dir + "\": " + reason(e), e);
    }
  }

  /** The directory. */
  public Path path() {
    return path;
  }

  /** Whether the source cluster allows group access (directories we create are 0750). */
  public boolean groupAccess() {
    return groupAccess;
  }

  /** True when this run created the directory. */
  public boolean createdByUs() {
    return createdByUs;
  }

  /**
   * Undoes what the backup wrote: removes the directory if we created it, else empties it. Never
   * follows symbolic links out of it (a tablespace link is removed, not its target). Never throws:
   * failures are returned as a message, null when all went well.
   */
  public @Nullable String cleanUp() {
    try {
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      DirectoryTree.delete(path, !createdByUs);
      return null;
    } catch (IOException e) {
      return "could not remove \"" + path + "\": " + reason(e);
    }
  }

  /**
   * Creates a new file in this backup with the source cluster's file mode, as pg_basebackup does:
   * 0640 when the cluster allows group access, else 0600.
   */
  public java.nio.channels.FileChannel createFile(Path p) throws IOException {
    return createFile(p, groupAccess);
  }

  /** Creates a new file, 0640 with {@code groupAccess}, else 0600. */
  public static java.nio.channels.FileChannel createFile(Path p, boolean groupAccess)
      throws IOException {
    return java.nio.channels.FileChannel.open(
        p,
        java.util.EnumSet.of(
            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString(groupAccess ? "rw-r-----" : "rw-------")));
  }

  /** An I/O failure as the PostgreSQL tools word it ({@code No such file or directory}, …). */
  public static String describe(IOException e) {
    return reason(e);
  }

  static String reason(IOException e) {
    String m = e.getMessage();
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof java.nio.file.FileAlreadyExistsException) {
      return "File exists";
    }
    return m == null ? e.toString() : m;
  }

  /** Maps an I/O failure to 53100 (disk full) or 58030. */
  static PgException ioError(String what, IOException e) {
    String reason = reason(e);
    SqlState state =
        reason.contains("No space left on device") ? SqlState.DISK_FULL : SqlState.IO_ERROR;
    return new PgException(state, what + ": " + reason, e);
  }
}
