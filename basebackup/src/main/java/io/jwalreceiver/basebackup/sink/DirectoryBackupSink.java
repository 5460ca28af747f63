// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.compress.ArchiveDecompressor;
import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarListener;
import io.jwalreceiver.basebackup.tar.TarReader;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Plain format ({@code -F p}): extracts each archive into its directory — {@code base.tar} into the
 * target, tablespaces into their (mapped) locations — as pg_basebackup does: modes from the tar
 * headers, {@code pg_tblspc/<oid>} links re-pointed through {@code -T}, the manifest written as
 * {@code backup_manifest.tmp} and renamed only after everything is durable.
 *
 * <p>Entry names that would leave the directory (absolute, or with {@code ..}) are refused.
 *
 * <p>Server-compressed archives ({@code -Z server-…}: {@code base.tar.gz}, {@code .tar.lz4}, {@code
 * .tar.zst}) are decompressed on the fly by an {@link ArchiveDecompressor}, whose worker thread
 * then runs the tar reader and writes the files while the next chunks arrive.
 */
public final class DirectoryBackupSink extends DiskSink {

  private final List<TablespaceMapping> mappings;
  private final @Nullable String recoveryConf;
  private final List<OutputDirectory> tablespaceDirs = new ArrayList<>();
  private final ExtractionGuard guard;

  /** {@code pg_tblspc/<oid>/} for a tablespace archive, empty for base.tar. */
  private @Nullable String manifestPrefix;

  private @Nullable Path archiveRoot;
  private @Nullable TarReader reader;
  private @Nullable ArchiveDecompressor decompressor;
  private @Nullable FileChannel currentFile;
  private @Nullable Path currentPath;
  private long position;
  private boolean mainArchive;
  private long bytesWritten;

  /**
   * @param target the prepared target directory
   * @param mappings the {@code -T} mappings
   * @param recoveryConf the lines {@code -R} appends to {@code postgresql.auto.conf} (and then
   *     {@code standby.signal} is created), or null
   * @param sync whether to fsync everything (false for {@code -N})
   * @param keepOnFailure {@code -n}: leave what was written after a failure
   */
  public DirectoryBackupSink(
      OutputDirectory target,
      List<TablespaceMapping> mappings,
      @Nullable String recoveryConf,
      boolean sync,
      boolean keepOnFailure) {
    this(target, mappings, recoveryConf, sync, keepOnFailure, null);
  }

  /**
   * A sink that also checks every file against the manifest when it arrives ({@link
   * InlineVerifier}).
   *
   * @param verifyWith the manifest's checksum algorithm, or null not to check (no manifest)
   */
  public DirectoryBackupSink(
      OutputDirectory target,
      List<TablespaceMapping> mappings,
      @Nullable String recoveryConf,
      boolean sync,
      boolean keepOnFailure,
      @Nullable ChecksumAlgorithm verifyWith) {
    super(target, sync, keepOnFailure, verifyWith);
    this.mappings = List.copyOf(mappings);
    this.recoveryConf = recoveryConf;
    // The target was empty when prepared; a link in it now is the pg_wal link to --waldir that
    // BaseBackup made before the stream began, the only link we may write through.
    Path walLink = target.path().resolve("pg_wal");
    this.guard = new ExtractionGuard(Files.isSymbolicLink(walLink) ? Set.of(walLink) : Set.of());
  }

  /** The directory a tablespace at {@code serverPath} is restored to. */
  Path tablespaceTarget(String serverPath) {
    Path p = Path.of(serverPath);
    if (!p.isAbsolute()) {
      // An in-place tablespace (16+: allow_in_place_tablespaces) lives under pg_tblspc.
      if (!ExtractionGuard.isSafeRelative(serverPath)) {
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION,
            "refusing tablespace location \"" + serverPath + "\" outside the target directory");
      }
      return target.path().resolve(p).normalize();
    }
    String canonical = p.normalize().toString();
    for (TablespaceMapping m : mappings) {
      if (m.oldDir().equals(canonical)) {
        return Path.of(m.newDir());
      }
    }
    return p;
  }

  /**
   * Times decompression, extraction and fsync into {@code t} (for {@code bench basebackup}); call
   * before the first archive.
   */
  public DirectoryBackupSink timed(StageTimes t) {
    timeInto(t);
    return this;
  }

  /** Total file bytes written so far. */
  public long bytesWritten() {
    return bytesWritten;
  }

  @Override
  public void archiveStart(String name, String tablespacePath, boolean terminated) {
    Compression.Algorithm compressed = ArchiveDecompressor.algorithmOf(name);
    if (compressed == null) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "cannot parse archive \"" + name + "\"",
          "Only tar archives can be parsed. Plain format requires parsing the archive.",
          null,
          null);
    }
    mainArchive = tablespacePath.isEmpty();
    manifestPrefix = InlineVerifier.manifestPrefix(name, tablespacePath);
    if (mainArchive) {
      archiveRoot = target.path();
    } else {
      Path dir = tablespaceTarget(tablespacePath);
      if (dir.startsWith(target.path())) {
        // In-place tablespace: inside the target, which we already own; not through a link
        // base.tar may have left at its place.
        guard.check(target.path(), dir, tablespacePath);
        mkdirs(dir);
        guard.directoryIsReal(dir);
      } else {
        tablespaceDirs.add(OutputDirectory.prepare(dir, target.groupAccess()));
      }
      archiveRoot = dir;
    }
    syncer.directory(archiveRoot);
    reader = new TarReader(new Extractor());
    if (compressed != Compression.Algorithm.NONE) {
      decompressor = new ArchiveDecompressor(compressed, name, this::extract, times);
    }
  }

  @Override
  public void archiveData(ByteBuffer data) {
    if (decompressor != null) {
      decompressor.feed(data);
    } else {
      extract(data);
    }
  }

  /** Tar bytes into files (on the receive thread, or on the decompressor's worker). */
  private void extract(ByteBuffer data) {
    long t = times.start();
    Objects.requireNonNull(reader, "an archive is open").feed(data);
    times.end(StageTimes.Stage.EXTRACTION, t);
  }

  @Override
  public void archiveEnd() {
    if (decompressor != null) {
      // Everything decompressed and extracted; the worker's writes are visible from here on.
      decompressor.finish();
      decompressor = null;
    }
    Objects.requireNonNull(reader, "an archive is open").finish();
    reader = null;
    if (mainArchive && recoveryConf != null) {
      writeRecoveryConfig(recoveryConf);
    }
  }

  @Override
  public void abort() {
    if (decompressor != null) {
      // Stops the thread that writes files before they are closed and removed.
      decompressor.abort();
    }
    closeQuietly(currentFile);
    abandon();
  }

  private void writeRecoveryConfig(String recoveryConf) {
    Path auto = target.path().resolve("postgresql.auto.conf");
    Path signal = target.path().resolve("standby.signal");
    for (Path p : new Path[] {auto, signal}) {
      if (Files.isSymbolicLink(p)) {
        // The archive sent a link by that name: appending would write wherever it points.
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION,
            "refusing to write recovery configuration through symbolic link \"" + p + "\"");
      }
    }
    try (FileChannel ch =
        FileChannel.open(
            auto,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
      // Appended after the server's own settings, so ours win (the last occurrence counts).
      writeFully(ch, ByteBuffer.wrap(recoveryConf.getBytes(StandardCharsets.UTF_8)), auto);
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write recovery configuration", e);
    }
    try {
      Files.deleteIfExists(signal);
      Files.createFile(signal);
      for (Path p : new Path[] {auto, signal}) {
        Files.setPosixFilePermissions(
            p, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        syncer.fileDone(
            p, FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
      }
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write recovery configuration", e);
    }
  }

  private static void mkdirs(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not create directory \"" + dir + "\"", e);
    }
  }

  private void writeFully(FileChannel ch, ByteBuffer data, Path path) {
    try {
      while (data.hasRemaining()) {
        ch.write(data);
      }
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write to file \"" + path + "\"", e);
    }
  }

  private static void closeQuietly(@Nullable FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // Cleaning up after a failure; the failure is what gets reported.
      }
    }
  }

  /** The archive root joined with a member name, refusing names that escape it. */
  private Path resolve(String name) {
    Path archiveRoot = root();
    String n = InlineVerifier.memberPath(name);
    if (n.isEmpty() || n.equals(".")) {
      return archiveRoot;
    }
    Path rel = Path.of(n);
    if (rel.isAbsolute()) {
      throw badName(name);
    }
    for (Path part : rel) {
      if (part.toString().equals("..")) {
        throw badName(name);
      }
    }
    return archiveRoot.resolve(rel);
  }

  /** The directory the current archive is extracted into. */
  private Path root() {
    return Objects.requireNonNull(archiveRoot, "an archive is open");
  }

  private static PgException badName(String name) {
    return new PgException(
        SqlState.PROTOCOL_VIOLATION,
        "refusing to extract archive member \"" + name + "\" outside the target directory");
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(order[i]);
      }
    }
    return set;
  }

  /** Turns tar members into files, directories and the tablespace links. */
  private final class Extractor implements TarListener {
    /** Inside a regular file whose bytes the verifier sees. */
    private boolean inFile;

    @Override
    public void entryStart(TarHeader h) {
      Path path = resolve(h.name());
      // Nothing is created or written through a link the archive made (or anything else we did
      // not make ourselves), whatever the member's type.
      guard.check(root(), path, h.name());
      try {
        if (h.isDirectory()) {
          if (!Files.isDirectory(path)) {
            Files.createDirectories(path);
          }
          if (!guard.trusted(path)) {
            Files.setPosixFilePermissions(path, permissions(h.mode()));
            guard.directoryIsReal(path);
          }
          syncer.directory(path);
        } else if (h.isSymlink()) {
          Files.createSymbolicLink(path, linkTarget(h));
          syncer.directory(java.util.Objects.requireNonNull(path.getParent()));
        } else if (h.isRegularFile()) {
          if (verifier != null) {
            verifier.fileStart(manifestPrefix + InlineVerifier.memberPath(h.name()));
            inFile = true;
          }
          if (mainArchive
              && recoveryConf != null
              && root().relativize(path).toString().equals("standby.signal")) {
            // -R writes its own standby.signal; drop the server's.
            currentFile = null;
            return;
          }
          currentPath = path;
          currentFile =
              FileChannel.open(
                  path,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING,
                  LinkOption.NOFOLLOW_LINKS);
          position = 0;
        } else {
          throw new PgException(
              SqlState.PROTOCOL_VIOLATION,
              "unexpected archive member type '" + h.typeflag() + "' for \"" + h.name() + "\"");
        }
      } catch (IOException e) {
        throw OutputDirectory.ioError("could not create \"" + path + "\"", e);
      }
    }

    /**
     * Where a link member points: an absolute target through the {@code -T} mappings, a relative
     * one as it is, if it stays below the link's directory (pg_basebackup's rule and message).
     */
    private Path linkTarget(TarHeader h) {
      String to = h.linkname();
      if (mainArchive && InlineVerifier.memberPath(h.name()).startsWith("pg_wal/")) {
        // The WAL streamer (-X stream) writes there by name at the same time; a link at the name
        // of a segment or history file to come would be followed. No server sends one.
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION,
            "refusing to extract archive member \"" + h.name() + "\": a symbolic link in pg_wal");
      }
      if (Path.of(to).isAbsolute()) {
        return tablespaceTarget(to);
      }
      if (!ExtractionGuard.isSafeRelative(to)) {
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION, "link target has unsafe path name: \"" + to + "\"");
      }
      return Path.of(to);
    }

    @Override
    public void entryData(ByteBuffer data) {
      if (verifier != null && inFile) {
        verifier.fileData(data);
      }
      if (currentFile == null) {
        return;
      }
      int n = data.remaining();
      try {
        while (data.hasRemaining()) {
          position += currentFile.write(data, position);
        }
      } catch (IOException e) {
        throw OutputDirectory.ioError("could not write to file \"" + currentPath + "\"", e);
      }
      bytesWritten += n;
    }

    @Override
    public void entryEnd(TarHeader h) {
      if (verifier != null && inFile) {
        verifier.fileEnd();
        inFile = false;
      }
      FileChannel file = currentFile;
      if (file == null) {
        return;
      }
      Path currentPath =
          Objects.requireNonNull(DirectoryBackupSink.this.currentPath, "a file is open");
      try {
        Files.setPosixFilePermissions(currentPath, permissions(h.mode()));
      } catch (IOException e) {
        throw OutputDirectory.ioError(
            "could not set permissions of file \"" + currentPath + "\"", e);
      }
      syncer.fileDone(currentPath, file);
      currentFile = null;
      DirectoryBackupSink.this.currentPath = null;
    }
  }
}
