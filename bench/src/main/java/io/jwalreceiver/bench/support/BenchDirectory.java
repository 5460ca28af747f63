// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.basebackup.sink.DirectoryTree;
import io.jwalreceiver.wal.segment.SegmentFileOptions;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.jwalreceiver.wal.segment.SyncPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.jspecify.annotations.Nullable;

/**
 * A throwaway output directory for sink benchmarks, on tmpfs ({@code shm}: {@code /dev/shm}) or on
 * the filesystem of the working directory ({@code cwd}), deleted afterwards. Completed segments are
 * deleted as soon as the sink reports them, so a benchmark writing gigabytes per second keeps only
 * a few segments on disk.
 */
public final class BenchDirectory implements AutoCloseable {

  private final Path path;
  private @Nullable SegmentFileSink sink;

  private BenchDirectory(Path path) {
    this.path = path;
  }

  /**
   * Creates a fresh directory.
   *
   * @param fs {@code shm} for {@code /dev/shm}, {@code cwd} for the working directory
   * @throws IllegalStateException when {@code shm} is asked for and {@code /dev/shm} is missing
   */
  public static BenchDirectory create(String fs) {
    Path parent;
    switch (fs) {
      case "shm" -> {
        parent = Paths.get("/dev/shm");
        if (!Files.isDirectory(parent) || !Files.isWritable(parent)) {
          throw new IllegalStateException("no writable /dev/shm on this machine; use -p fs=cwd");
        }
      }
      case "cwd" -> parent = Paths.get("").toAbsolutePath();
      default -> throw new IllegalArgumentException("fs must be shm or cwd, not " + fs);
    }
    try {
      return new BenchDirectory(Files.createTempDirectory(parent, "jwalreceiver-bench-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path path() {
    return path;
  }

  /** For {@code SegmentFileSink.onSegmentCompleted}: deletes the completed segment file. */
  public void deleteCompleted(SegmentName segment) {
    try {
      Files.deleteIfExists(path.resolve(segment.fileName()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Opens a {@link SegmentFileSink} of {@linkplain SyntheticWal#DEFAULT_SEGMENT_SIZE default-size}
   * segments in this directory, with default options but {@code syncPolicy}; each completed segment
   * is {@linkplain #deleteCompleted deleted} at once. {@link #close()} closes it.
   *
   * @param syncPolicy when the sink forces written WAL to disk
   * @return the open sink, before any timeline was started
   */
  public SegmentFileSink openSink(SyncPolicy syncPolicy) {
    SegmentFileSink opened =
        SegmentFileSink.open(
            path,
            new WalSegmentSize(SyntheticWal.DEFAULT_SEGMENT_SIZE),
            SegmentFileOptions.DEFAULTS.withSyncPolicy(syncPolicy));
    opened.onSegmentCompleted(this::deleteCompleted);
    sink = opened;
    return opened;
  }

  /** Closes the {@linkplain #openSink sink} if one was opened, then deletes the directory. */
  @Override
  public void close() {
    RuntimeException failure = null;
    if (sink != null) {
      try {
        sink.close();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    try {
      DirectoryTree.delete(path, false);
    } catch (IOException e) {
      UncheckedIOException deleteFailure = new UncheckedIOException(e);
      if (failure == null) {
        throw deleteFailure;
      }
      failure.addSuppressed(deleteFailure);
    }
    if (failure != null) {
      throw failure;
    }
  }
}
