// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The output directory of a {@link SegmentFileSink} and the file-system steps that make changes in
 * it durable: file names, creation modes, atomic renames, directory forces and {@code .done}
 * markers. Both the receive thread and the flusher use it; it holds no mutable state.
 */
final class SegmentDirectory {

  static final Set<StandardOpenOption> CREATE_NEW =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
  static final Set<StandardOpenOption> CREATE_OR_TRUNCATE =
      Set.of(
          StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
  static final Set<StandardOpenOption> REOPEN =
      Set.of(StandardOpenOption.WRITE, StandardOpenOption.READ);
  private static final Set<StandardOpenOption> READ = Set.of(StandardOpenOption.READ);
  private static final String PARTIAL_SUFFIX = ".partial";

  private final Path path;
  private final SegmentFileOptions options;
  private final int segmentBytes;
  private final boolean sync;
  private final FileChannelFactory channels;
  private final FileAttribute<?>[] fileAttributes;
  private final FileAttribute<?>[] directoryAttributes;

  SegmentDirectory(
      Path path, int segmentBytes, SegmentFileOptions options, FileChannelFactory channels) {
    this.path = path;
    this.options = options;
    this.segmentBytes = segmentBytes;
    this.sync = options.syncPolicy() != SyncPolicy.NEVER;
    this.channels = channels;
    boolean posix = path.getFileSystem().supportedFileAttributeViews().contains("posix");
    this.fileAttributes = mode(posix, options.groupAccess() ? "rw-r-----" : "rw-------");
    this.directoryAttributes = mode(posix, options.groupAccess() ? "rwxr-x---" : "rwx------");
  }

  /** The creation mode, or none where the file system has no POSIX permissions. */
  private static FileAttribute<?>[] mode(boolean posix, String permissions) {
    return posix
        ? new FileAttribute<?>[] {
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))
        }
        : new FileAttribute<?>[0];
  }

  /** The output directory. */
  Path path() {
    return path;
  }

  /** False under {@link SyncPolicy#NEVER}: nothing is forced. */
  boolean sync() {
    return sync;
  }

  /** Compressed files are not pre-sized and are written through an encoder. */
  boolean compressed() {
    return options.compression().compressed();
  }

  SegmentFileOptions options() {
    return options;
  }

  /** The server's segment size in bytes. */
  int segmentBytes() {
    return segmentBytes;
  }

  /** Opens an existing file or directory. */
  FileChannel open(Path file, Set<StandardOpenOption> openOptions) throws IOException {
    return channels.open(file, openOptions);
  }

  /** Creates a file with the mode the options ask for (0600 or 0640). */
  FileChannel create(Path file, Set<StandardOpenOption> openOptions) throws IOException {
    return channels.open(file, openOptions, fileAttributes);
  }

  /** Creates {@code dir} (0700 or 0750) when it is missing, and forces the output directory. */
  void createDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, directoryAttributes);
      syncDirectory(path);
    }
  }

  /** Where an incomplete segment lives: {@code <24 hex>[.gz|.lz4|.zst][.partial]}. */
  Path partialPath(SegmentName segment) {
    return path.resolve(
        segment.fileName()
            + options.compression().extension()
            + (options.partialSuffix() ? PARTIAL_SUFFIX : ""));
  }

  /** The final name of a complete segment. */
  Path completePath(SegmentName segment) {
    return path.resolve(segment.fileName() + options.compression().extension());
  }

  /**
   * The size of an existing {@code .partial}, -1 when there is none.
   *
   * @throws PgException 58030 when it is neither 0 nor the segment size (uncompressed files only: a
   *     compressed one is rewritten whatever its size)
   */
  long checkReusableSize(Path partial) {
    long size;
    try {
      size = Files.size(partial);
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException e) {
      throw ioError("could not stat file", partial, e);
    }
    if (!compressed() && size != 0 && size != segmentBytes) {
      throw new PgException(
          SqlState.IO_ERROR,
          "write-ahead log file \""
              + partial.getFileName()
              + "\" has "
              + size
              + " bytes, should be 0 or "
              + segmentBytes);
    }
    return size;
  }

  /** Renames atomically, replacing {@code to}; nothing to do when the names are equal. */
  static void rename(Path from, Path to) {
    if (from.equals(to)) {
      return; // no .partial suffix: the segment already has its final name
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw ioError("could not rename file \"" + from + "\" to", to, e);
    }
  }

  /**
   * Removes a segment file that this sink created and that never received WAL (see {@code
   * SegmentFileSink.close}). Only {@code .partial} files of an archive: a {@code pg_wal} file is
   * left to PostgreSQL.
   */
  void deleteUntouched(Path file) {
    if (!options.partialSuffix()) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw ioError("could not remove file", file, e);
    }
  }

  /** Forces a directory so that creates and renames in it survive a crash. */
  void syncDirectory(Path dir) {
    if (!sync) {
      return;
    }
    try (FileChannel channel = channels.open(dir, READ)) {
      channel.force(true);
    } catch (IOException e) {
      throw ioError("could not fsync directory", dir, e);
    }
  }

  /**
   * With {@link SegmentFileOptions#markDone()}: {@code archive_status/<name>.done}, empty, durable
   * (pg_basebackup's mark_file_as_archived). Nothing otherwise.
   */
  void markDone(String walFileName) {
    if (!options.markDone()) {
      return;
    }
    Path statusDirectory = path.resolve(SegmentFileSink.ARCHIVE_STATUS);
    try {
      createDirectory(statusDirectory);
    } catch (IOException e) {
      throw ioError("could not create directory", statusDirectory, e);
    }
    Path marker = statusDirectory.resolve(walFileName + ".done");
    try (FileChannel channel = create(marker, CREATE_OR_TRUNCATE)) {
      if (sync) {
        channel.force(true);
      }
    } catch (IOException e) {
      throw ioError("could not create archive status file", marker, e);
    }
    syncDirectory(statusDirectory);
  }

  static PgException ioError(String what, @Nullable SegmentFile file, IOException e) {
    return ioError(what, file == null ? null : file.path(), e);
  }

  /**
   * Wraps an {@link IOException}: {@code ENOSPC} becomes 53100 (disk full), anything else 58030,
   * with pg's {@code <what> "<file>": <reason>} wording.
   */
  static PgException ioError(String what, @Nullable Path file, IOException e) {
    String reason =
        e instanceof FileSystemException fse && fse.getReason() != null
            ? fse.getReason()
            : String.valueOf(e.getMessage());
    if (e instanceof NoSuchFileException) {
      reason = "No such file or directory";
    }
    SqlState state =
        reason.contains("No space left on device") ? SqlState.DISK_FULL : SqlState.IO_ERROR;
    return new PgException(state, what + " \"" + file + "\": " + reason, e);
  }
}
