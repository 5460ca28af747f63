// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import io.jwalreceiver.basebackup.manifest.BackupManifest.FileEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * {@link BackupVerifier}'s per-file check: each file read whole and its checksum compared with the
 * manifest's, on a few threads, with pg_verifybackup's messages.
 */
final class FileChecksums {

  private final Path backupDir;
  private final int threads;
  private final boolean exitOnError;

  FileChecksums(Path backupDir, int threads, boolean exitOnError) {
    this.backupDir = backupDir;
    this.threads = threads;
    this.exitOnError = exitOnError;
  }

  /**
   * Checksums the files on {@code threads} threads. Workers take files in the order given; with
   * exit-on-error they stop taking new ones after the first failure, so every file before it has
   * been checked and the first error reported is the same on every run.
   *
   * @return the problems, in the order of {@code files}
   * @throws InterruptedException when interrupted while waiting for the workers
   */
  List<String> problems(List<FileEntry> files) throws InterruptedException {
    if (files.isEmpty()) {
      return List.of();
    }
    @Nullable String[] results = new String[files.size()];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger firstFailure = new AtomicInteger(Integer.MAX_VALUE);
    int workers = Math.max(1, Math.min(threads, files.size()));
    Runnable worker =
        () -> {
          byte[] buffer = new byte[BackupVerifier.BUFFER_SIZE];
          int i;
          while ((i = next.getAndIncrement()) < files.size()) {
            if (exitOnError && i > firstFailure.get()) {
              return;
            }
            String problem = checksumProblem(files.get(i), buffer);
            results[i] = problem;
            if (problem != null) {
              firstFailure.accumulateAndGet(i, Math::min);
            }
          }
        };
    if (workers == 1) {
      worker.run();
    } else {
      ExecutorService pool =
          Executors.newFixedThreadPool(
              workers,
              r -> {
                Thread t = new Thread(r, "verifybackup-checksum");
                t.setDaemon(true);
                return t;
              });
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
          futures.add(pool.submit(worker));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("checksum worker failed", e.getCause());
      } finally {
        pool.shutdownNow();
      }
    }
    List<String> problems = new ArrayList<>();
    for (String problem : results) {
      if (problem != null) {
        problems.add(problem);
      }
    }
    return problems;
  }

  /** The error for one file, or null when its checksum matches. */
  private @Nullable String checksumProblem(FileEntry entry, byte[] buffer) {
    Path file = resolve(entry.path());
    ManifestChecksum checksum = ManifestChecksum.create(entry.algorithm());
    long read = 0;
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer, 0, buffer.length)) > 0) {
        checksum.update(buffer, 0, n);
        read += n;
      }
    } catch (java.nio.file.NoSuchFileException | java.nio.file.AccessDeniedException e) {
      return "could not open file \"" + entry.path() + "\": " + ManifestErrors.reason(e);
    } catch (IOException e) {
      return "could not read file \"" + entry.path() + "\": " + ManifestErrors.reason(e);
    }
    if (read != entry.size()) {
      return "file \""
          + entry.path()
          + "\" should contain "
          + entry.size()
          + " bytes, but read "
          + read
          + " bytes";
    }
    String actual = checksum.finishHex();
    int expectedLength = entry.checksum().length() / 2;
    if (expectedLength != entry.algorithm().digestLength()) {
      return "file \""
          + entry.path()
          + "\" has checksum of length "
          + expectedLength
          + ", but expected "
          + entry.algorithm().digestLength();
    }
    if (!actual.equals(entry.checksum())) {
      return "checksum mismatch for file \"" + entry.path() + "\"";
    }
    return null;
  }

  private Path resolve(String rel) {
    Path p = backupDir;
    for (String part : rel.split("/")) {
      p = p.resolve(part);
    }
    return p;
  }
}
