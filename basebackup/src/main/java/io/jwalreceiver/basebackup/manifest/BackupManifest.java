// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A parsed {@code backup_manifest} (protocol-notes §7.1): what {@link ManifestParser} read and
 * checked, in the manifest's own order.
 *
 * @param version 1 (servers 13–16) or 2 (17+)
 * @param systemIdentifier the {@code System-Identifier} of a version 2 manifest; empty for version
 *     1
 * @param files one entry per file, in manifest order; paths are unique
 * @param walRanges the {@code WAL-Ranges}, in manifest order (newest timeline first)
 * @param manifestChecksum the {@code Manifest-Checksum}, 64 hex digits as written
 */
public record BackupManifest(
    int version,
    OptionalLong systemIdentifier,
    List<FileEntry> files,
    List<WalRange> walRanges,
    String manifestChecksum) {

  /** Copies the lists; see the record description for the components. */
  public BackupManifest {
    Objects.requireNonNull(systemIdentifier, "systemIdentifier");
    files = List.copyOf(files);
    walRanges = List.copyOf(walRanges);
    Objects.requireNonNull(manifestChecksum, "manifestChecksum");
  }

  /** The entries keyed by {@link FileEntry#path()}, in manifest order. */
  public Map<String, FileEntry> filesByPath() {
    Map<String, FileEntry> byPath = new LinkedHashMap<>(files.size() * 2);
    for (FileEntry f : files) {
      byPath.put(f.path(), f);
    }
    return Collections.unmodifiableMap(byPath);
  }

  /**
   * One {@code Files} entry.
   *
   * @param path the path relative to the data directory, {@code /}-separated (decoded from hex when
   *     the manifest used {@code Encoded-Path}; raw bytes that are not UTF-8 are replaced, so such
   *     a file cannot be found on disk)
   * @param encodedPath whether the manifest gave the path as {@code Encoded-Path}
   * @param size the file's size in bytes
   * @param lastModified the {@code Last-Modified} text as written, or null when absent
   * @param algorithm the checksum algorithm, {@link ChecksumAlgorithm#NONE} when absent
   * @param checksum the {@code Checksum} in lower-case hex, empty when absent
   */
  public record FileEntry(
      String path,
      boolean encodedPath,
      long size,
      @Nullable String lastModified,
      ChecksumAlgorithm algorithm,
      String checksum) {

    /** Validates the components; see the record description. */
    public FileEntry {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(checksum, "checksum");
      if (size < 0) {
        throw new IllegalArgumentException("size " + size);
      }
    }
  }

  /**
   * One {@code WAL-Ranges} entry: the backup needs WAL of {@code timeline} from {@code start} up to
   * {@code end}.
   *
   * @param timeline the timeline
   * @param start {@code Start-LSN}
   * @param end {@code End-LSN}
   */
  public record WalRange(TimelineId timeline, Lsn start, Lsn end) {

    /** Validates the components. */
    public WalRange {
      Objects.requireNonNull(timeline, "timeline");
      Objects.requireNonNull(start, "start");
      Objects.requireNonNull(end, "end");
    }
  }
}
