// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.basebackup.manifest.BackupManifest.FileEntry;
import io.jwalreceiver.basebackup.manifest.BackupManifest.WalRange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Checks a plain-format backup against its {@code backup_manifest} as {@code pg_verifybackup} does
 * (protocol-notes §7.2), with its messages:
 *
 * <ol>
 *   <li>the manifest parses and its {@code Manifest-Checksum} matches ({@link ManifestParser});
 *   <li>version 2: {@code System-Identifier} equals the first 8 bytes (little-endian) of {@code
 *       global/pg_control} ({@code manifest system identifier is A, but control file has B});
 *   <li>every regular file on disk is in the manifest ({@code "p" is present on disk but not in the
 *       manifest}) with the same size ({@code "p" has size A on disk but size B in the manifest});
 *       anything that is neither file nor directory is reported; symbolic links are followed, so
 *       tablespaces are checked through {@code pg_tblspc/<oid>};
 *   <li>every manifest entry is on disk ({@code "p" is present in the manifest but not on disk});
 *   <li>unless skipped, each file's checksum matches ({@code checksum mismatch for file "p"});
 *   <li>unless skipped, every WAL segment of each {@code WAL-Ranges} entry is in the WAL directory
 *       with the segment size. This replaces pg_verifybackup's run of {@code pg_waldump}: it checks
 *       presence and size, it does not parse WAL records.
 * </ol>
 *
 * Ignored paths (the defaults {@link #DEFAULT_IGNORED} plus any added) match themselves and
 * everything below them. Problems with single files are reported and checking continues unless
 * {@link Builder#exitOnError(boolean)}; a manifest that cannot be used ends the check at once.
 * Errors are reported in a deterministic order: per phase, sorted by path. Checksums are computed
 * by a small pool of threads, each reading with one reusable 1 MiB buffer.
 */
public final class BackupVerifier {

  /** The paths pg_verifybackup ignores unless told otherwise. */
  public static final List<String> DEFAULT_IGNORED =
      List.of(
          "backup_manifest", "pg_wal", "postgresql.auto.conf", "recovery.signal", "standby.signal");

  static final int BUFFER_SIZE = 1 << 20;

  private final Path backupDir;
  private final Path manifestFile;
  private final Path walDir;
  private final List<String> ignored;
  private final boolean skipChecksums;
  private final boolean skipWal;
  private final boolean exitOnError;
  private final int threads;

  private BackupVerifier(Builder b) {
    this.backupDir = b.backupDir;
    this.manifestFile =
        b.manifestFile != null ? b.manifestFile : b.backupDir.resolve("backup_manifest");
    this.walDir = b.walDir != null ? b.walDir : b.backupDir.resolve("pg_wal");
    this.ignored = List.copyOf(b.ignored);
    this.skipChecksums = b.skipChecksums;
    this.skipWal = b.skipWal;
    this.exitOnError = b.exitOnError;
    this.threads = b.threads;
  }

  /**
   * A verifier of the backup in {@code backupDir}, with pg_verifybackup's defaults: manifest {@code
   * backupDir/backup_manifest}, WAL in {@code backupDir/pg_wal}, checksums and WAL checked,
   * continue after errors.
   */
  public static Builder builder(Path backupDir) {
    return new Builder(backupDir);
  }

  /**
   * The outcome of one run.
   *
   * @param errors how many errors were reported
   * @param complete false when the check stopped early (an unusable manifest, or the first error
   *     with {@code exitOnError})
   */
  public record Result(int errors, boolean complete) {

    /** Whether the backup verified: no errors and every check ran. */
    public boolean ok() {
      return errors == 0 && complete;
    }
  }

  /** Thrown inside to end the run after an error that must stop it. */
  private static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stop() {
      super(null, null, false, false);
    }
  }

  /** Collects errors and decides when to stop. */
  private final class Reporter {
    private final Consumer<String> sink;
    private int count;

    Reporter(Consumer<String> sink) {
      this.sink = sink;
    }

    void error(String message) {
      count++;
      sink.accept(message);
      if (exitOnError) {
        throw new Stop();
      }
    }

    void fatal(String message) {
      count++;
      sink.accept(message);
      throw new Stop();
    }
  }

  /**
   * Runs every check.
   *
   * @param errors receives each error message (without the {@code program: error: } prefix), in
   *     deterministic order
   * @return how many errors there were and whether every check ran
   */
  public Result verify(Consumer<String> errors) {
    Reporter reporter = new Reporter(Objects.requireNonNull(errors, "errors"));
    try {
      run(reporter);
      return new Result(reporter.count, true);
    } catch (Stop stop) {
      return new Result(reporter.count, false);
    }
  }

  private void run(Reporter reporter) {
    BackupManifest manifest;
    try {
      manifest = ManifestParser.read(manifestFile);
    } catch (PgException e) {
      reporter.fatal(String.valueOf(e.getMessage()));
      return;
    }
    if (manifest.systemIdentifier().isPresent()) {
      verifyControlFile(manifest.systemIdentifier().getAsLong(), reporter);
    }

    Map<String, FileEntry> byPath = manifest.filesByPath();
    Set<String> seen = new HashSet<>();
    Set<String> badSize = new HashSet<>();
    if (!Files.isDirectory(backupDir)) {
      // pg_verifybackup's readdir of the top directory fails the same way.
      reporter.fatal(
          "could not open directory \""
              + backupDir
              + "\": "
              + (Files.exists(backupDir) ? "Not a directory" : "No such file or directory"));
    }
    walk(backupDir, "", byPath, seen, badSize, new HashSet<>(), reporter);

    List<FileEntry> sorted = new ArrayList<>(new TreeMap<>(byPath).values());
    for (FileEntry f : sorted) {
      if (!seen.contains(f.path()) && !isIgnored(f.path())) {
        reporter.error("\"" + f.path() + "\" is present in the manifest but not on disk");
      }
    }

    if (!skipChecksums) {
      List<FileEntry> toCheck = new ArrayList<>();
      for (FileEntry f : sorted) {
        if (seen.contains(f.path())
            && !badSize.contains(f.path())
            && f.algorithm() != ChecksumAlgorithm.NONE) {
          toCheck.add(f);
        }
      }
      verifyChecksums(toCheck, reporter);
    }

    if (!skipWal) {
      verifyWal(manifest.walRanges(), reporter);
    }
  }

  /** Version 2: the system identifier in {@code global/pg_control} (its first 8 bytes). */
  private void verifyControlFile(long expected, Reporter reporter) {
    Path control = backupDir.resolve("global").resolve("pg_control");
    byte[] head = new byte[8];
    try (InputStream in = Files.newInputStream(control)) {
      int n = in.readNBytes(head, 0, head.length);
      if (n < head.length) {
        reporter.fatal("could not read file \"" + control + "\": read " + n + " of " + head.length);
      }
    } catch (IOException e) {
      reporter.fatal("could not open file \"" + control + "\": " + ManifestErrors.reason(e));
    }
    long actual = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (actual != expected) {
      reporter.fatal(
          "manifest system identifier is "
              + Long.toUnsignedString(expected)
              + ", but control file has "
              + Long.toUnsignedString(actual));
    }
  }

  /** Depth-first, names sorted; follows symbolic links (tablespaces), guarding against loops. */
  private void walk(
      Path dir,
      String relDir,
      Map<String, FileEntry> byPath,
      Set<String> seen,
      Set<String> badSize,
      Set<Object> ancestors,
      Reporter reporter) {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(children::add);
    } catch (IOException e) {
      reporter.error("could not open directory \"" + dir + "\": " + ManifestErrors.reason(e));
      return;
    }
    children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    for (Path child : children) {
      String rel =
          relDir.isEmpty() ? child.getFileName().toString() : relDir + "/" + child.getFileName();
      if (isIgnored(rel)) {
        continue;
      }
      BasicFileAttributes attrs;
      try {
        attrs = Files.readAttributes(child, BasicFileAttributes.class);
      } catch (IOException e) {
        reporter.error(
            "could not stat file or directory \"" + child + "\": " + ManifestErrors.reason(e));
        continue;
      }
      if (attrs.isDirectory()) {
        Object key = attrs.fileKey();
        if (key != null && !ancestors.add(key)) {
          reporter.error(
              "could not open directory \"" + child + "\": Too many levels of symbolic links");
          continue;
        }
        walk(child, rel, byPath, seen, badSize, ancestors, reporter);
        if (key != null) {
          ancestors.remove(key);
        }
      } else if (!attrs.isRegularFile()) {
        reporter.error("\"" + rel + "\" is not a file or directory");
      } else {
        FileEntry entry = byPath.get(rel);
        if (entry == null) {
          reporter.error("\"" + rel + "\" is present on disk but not in the manifest");
          continue;
        }
        seen.add(rel);
        if (attrs.size() != entry.size()) {
          badSize.add(rel);
          reporter.error(
              "\""
                  + rel
                  + "\" has size "
                  + attrs.size()
                  + " on disk but size "
                  + entry.size()
                  + " in the manifest");
        }
      }
    }
  }

  private boolean isIgnored(String rel) {
    for (String ignore : ignored) {
      if (rel.equals(ignore)
          || (rel.startsWith(ignore)
              && rel.length() > ignore.length()
              && rel.charAt(ignore.length()) == '/')) {
        return true;
      }
    }
    return false;
  }

  /** Checksums the files ({@link FileChecksums}) and reports each mismatch, in file order. */
  private void verifyChecksums(List<FileEntry> files, Reporter reporter) {
    List<String> problems;
    try {
      problems = new FileChecksums(backupDir, threads, exitOnError).problems(files);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reporter.fatal("interrupted while verifying checksums");
      return;
    }
    for (String problem : problems) {
      reporter.error(problem);
    }
  }

  /**
   * Every segment from each range's start to its end must be in the WAL directory, under the
   * range's timeline, with the segment size. The segment size is the one valid size (a power of two
   * from 1 MiB to 1 GiB) the segment files there have.
   */
  private void verifyWal(List<WalRange> ranges, Reporter reporter) {
    if (ranges.isEmpty()) {
      return;
    }
    Map<String, Long> sizes = new TreeMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(walDir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (SegmentName.isSegmentFileName(name) && Files.isRegularFile(p)) {
          sizes.put(name, Files.size(p));
        }
      }
    } catch (IOException e) {
      reporter.error("could not open directory \"" + walDir + "\": " + ManifestErrors.reason(e));
      return;
    }
    Set<Long> valid = new LinkedHashSet<>();
    for (long size : sizes.values()) {
      if (isValidSegmentSize(size)) {
        valid.add(size);
      }
    }
    if (valid.size() != 1) {
      String why;
      if (sizes.isEmpty()) {
        why = "could not find any WAL file in \"" + walDir + "\"";
      } else if (valid.isEmpty()) {
        why =
            "could not determine the WAL segment size: no WAL file in \""
                + walDir
                + "\" has a valid WAL segment size";
      } else {
        why =
            "could not determine the WAL segment size: WAL files in \""
                + walDir
                + "\" have different sizes "
                + valid;
      }
      reporter.error(why);
      return;
    }
    WalSegmentSize segmentSize = new WalSegmentSize((int) (long) valid.iterator().next());
    for (WalRange range : ranges) {
      TimelineId tli = range.timeline();
      long first = segmentSize.segmentNumber(range.start());
      long last =
          range.end().value() > range.start().value()
              ? segmentSize.segmentNumber(io.jwalreceiver.Lsn.of(range.end().value() - 1))
              : first;
      for (long segno = first; segno <= last; segno++) {
        String name = new SegmentName(tli, segno, segmentSize).fileName();
        Long size = sizes.get(name);
        if (size == null) {
          reporter.error(
              "WAL file \""
                  + name
                  + "\" needed for timeline "
                  + tli.asLong()
                  + " ("
                  + range.start()
                  + " to "
                  + range.end()
                  + ") is not present in \""
                  + walDir
                  + "\"");
        } else if (size != segmentSize.bytes()) {
          reporter.error(
              "WAL file \""
                  + name
                  + "\" has size "
                  + size
                  + ", but the WAL segment size is "
                  + segmentSize.bytes());
        }
      }
    }
  }

  private static boolean isValidSegmentSize(long size) {
    return size >= (1L << 20) && size <= (1L << 30) && Long.bitCount(size) == 1;
  }

  /** Options for {@link BackupVerifier}; see the setters for pg_verifybackup's equivalents. */
  public static final class Builder {
    private final Path backupDir;
    private @Nullable Path manifestFile;
    private @Nullable Path walDir;
    private final List<String> ignored = new ArrayList<>(DEFAULT_IGNORED);
    private boolean skipChecksums;
    private boolean skipWal;
    private boolean exitOnError;
    private int threads = Math.min(4, Runtime.getRuntime().availableProcessors());

    private Builder(Path backupDir) {
      this.backupDir = Objects.requireNonNull(backupDir, "backupDir");
    }

    /** {@code -m}: the manifest to use instead of {@code backup_manifest} in the backup. */
    public Builder manifest(@Nullable Path file) {
      this.manifestFile = file;
      return this;
    }

    /** {@code -w}: the directory holding the WAL instead of the backup's {@code pg_wal}. */
    public Builder walDirectory(@Nullable Path dir) {
      this.walDir = dir;
      return this;
    }

    /**
     * {@code -i}: also ignore this path (relative to the backup, {@code /}-separated) and all below
     * it. Trailing slashes are dropped.
     */
    public Builder ignore(String relativePath) {
      String p = Objects.requireNonNull(relativePath, "relativePath");
      while (p.length() > 1 && p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      ignored.add(p);
      return this;
    }

    /** {@code -s}: do not verify file checksums. */
    public Builder skipChecksums(boolean on) {
      this.skipChecksums = on;
      return this;
    }

    /** {@code -n}: do not check the WAL. */
    public Builder skipWal(boolean on) {
      this.skipWal = on;
      return this;
    }

    /** {@code -e}: stop at the first error. */
    public Builder exitOnError(boolean on) {
      this.exitOnError = on;
      return this;
    }

    /** How many threads compute checksums (default: the processors, at most 4). */
    public Builder threads(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("threads " + count);
      }
      this.threads = count;
      return this;
    }

    /** The verifier. */
    public BackupVerifier build() {
      return new BackupVerifier(this);
    }
  }
}
