// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.basebackup.compress.ArchiveDecompressor;
import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.basebackup.tar.TarReader;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Tar format ({@code -F t}): each archive stored as {@code <target>/<name>} as the server sent it;
 * archives from 13/14 servers get the two end blocks they lack. With {@code -R}, {@code base.tar}
 * is rewritten member by member: the server's {@code standby.signal} dropped, the recovery settings
 * appended to {@code postgresql.auto.conf}, an empty {@code standby.signal} added.
 *
 * <p>With client-side compression ({@code -Z gzip|lz4|zstd}) each archive is compressed as it is
 * written, into {@code <name>.gz|.lz4|.zst}; {@code -R} rewrites base.tar before compressing. A
 * server-compressed {@code base.tar.*} that {@code -R} must rewrite is decompressed, rewritten and
 * compressed again with the same algorithm at its default level (pg_basebackup 15 cannot do this).
 */
public final class TarFileBackupSink extends DiskSink {

  private final @Nullable String recoveryConf;
  private final Compression compression;
  private final int gzipWorkers;

  private @Nullable FileChannel file;
  private @Nullable Path filePath;

  /** The current archive as it is stored (compression, {@code -R}, end blocks). */
  private @Nullable TarArchiveWriter archive;

  /** Parses the archive as stored, for the verifier; null when not verifying. */
  private @Nullable TarReader checker;

  /**
   * @param recoveryConf the {@code -R} lines, or null
   */
  public TarFileBackupSink(
      OutputDirectory target, @Nullable String recoveryConf, boolean sync, boolean keepOnFailure) {
    this(target, recoveryConf, sync, keepOnFailure, Compression.NONE, 0);
  }

  /**
   * A sink that compresses the archives it writes.
   *
   * @param target the prepared target directory
   * @param recoveryConf the {@code -R} lines, or null
   * @param sync whether to fsync everything (false for {@code -N})
   * @param keepOnFailure {@code -n}: leave what was written after a failure
   * @param compression client-side compression, or {@link Compression#NONE}
   * @param gzipWorkers threads for gzip (0 = on the receiving thread)
   */
  public TarFileBackupSink(
      OutputDirectory target,
      @Nullable String recoveryConf,
      boolean sync,
      boolean keepOnFailure,
      Compression compression,
      int gzipWorkers) {
    super(target, sync, keepOnFailure, null);
    this.compression = compression;
    this.gzipWorkers = gzipWorkers;
    this.recoveryConf = recoveryConf;
    syncer.directory(target.path());
  }

  @Override
  public void archiveStart(String name, String tablespacePath, boolean terminated) {
    if (verifier != null) {
      if (ArchiveDecompressor.algorithmOf(name) != Compression.Algorithm.NONE) {
        // A server-compressed archive is stored without being parsed: no check at all, rather
        // than one that would miss this archive's files.
        verifier = null;
      } else {
        checker =
            new TarReader(
                verifier.tarListener(InlineVerifier.manifestPrefix(name, tablespacePath)));
      }
    }
    Path p = target.path().resolve(TarArchiveWriter.storedName(name, compression));
    filePath = p;
    FileChannel f = open(p);
    file = f;
    archive =
        new TarArchiveWriter(
            name,
            tablespacePath,
            terminated,
            f,
            p.toString(),
            recoveryConf,
            compression,
            gzipWorkers,
            times);
  }

  /**
   * Times file writing (with client compression) and fsync into {@code t} (for {@code bench
   * basebackup}); call before the first archive.
   */
  public TarFileBackupSink timed(StageTimes t) {
    timeInto(t);
    return this;
  }

  /**
   * Checks every file against the manifest when it arrives, as {@link DirectoryBackupSink} does
   * ({@link InlineVerifier}); call before the first archive. Server-compressed archives are not
   * parsed, so with server-side compression no check is made.
   *
   * @param algorithm the manifest's checksum algorithm, or null not to check
   */
  public TarFileBackupSink verifying(@Nullable ChecksumAlgorithm algorithm) {
    this.verifier = algorithm == null ? null : new InlineVerifier(algorithm);
    return this;
  }

  @Override
  public void archiveData(ByteBuffer data) {
    if (checker != null) {
      checker.feed(data.duplicate());
    }
    archive().data(data);
  }

  @Override
  public void archiveEnd() {
    if (checker != null) {
      checker.finish();
      checker = null;
    }
    archive().end();
    archive = null;
    syncer.fileDone(
        Objects.requireNonNull(filePath, "an archive is open"),
        Objects.requireNonNull(file, "an archive is open"));
    file = null;
  }

  /** The current archive. */
  private TarArchiveWriter archive() {
    return Objects.requireNonNull(archive, "an archive is open");
  }

  @Override
  public void abort() {
    if (archive != null) {
      archive.abort();
    }
    if (file != null) {
      try {
        file.close();
      } catch (IOException ignored) {
        // Failing anyway.
      }
    }
    abandon();
  }

  private FileChannel open(Path p) {
    try {
      return target.createFile(p);
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not create file \"" + p + "\"", e);
    }
  }
}
