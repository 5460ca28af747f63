// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.manifest.BackupManifest;
import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.manifest.ManifestChecksum;
import io.jwalreceiver.basebackup.manifest.ManifestParser;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarListener;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Checks a backup against its manifest while it is received, which pg_basebackup does not do: each
 * file's size and checksum (with the algorithm the manifest will use, CRC-32C by default) are
 * computed from the bytes as they are written, and when the manifest arrives (after the archives)
 * every entry is compared. What pg_verifybackup would find later by reading the backup again, this
 * finds without a second read.
 *
 * <p>Files in the archives but not in the manifest are tolerated only under {@code pg_wal/} (the
 * WAL segments of {@code -X fetch}, which the server does not list). One instance per backup, used
 * by one thread at a time.
 */
final class InlineVerifier {

  /** What was received of one file. */
  record Received(long size, String checksum) {}

  private final ChecksumAlgorithm algorithm;
  private final ManifestChecksum checksum;
  private final Map<String, Received> received = new HashMap<>();
  private @Nullable String currentPath;
  private long currentSize;

  /** Bytes a manifest may have whatever the backup holds. */
  static final long MANIFEST_BASE = 1 << 20;

  /** Bytes a manifest may have per file received. */
  static final long MANIFEST_PER_FILE = 4096;

  private @Nullable ManifestParser parser;
  private @Nullable Set<String> matched;
  private int entries;
  private int problems;
  private @Nullable String firstProblem;
  private int verified = -1;

  /**
   * @param algorithm the algorithm the manifest's entries will name
   */
  InlineVerifier(ChecksumAlgorithm algorithm) {
    this.algorithm = algorithm;
    this.checksum = ManifestChecksum.create(algorithm);
  }

  ChecksumAlgorithm algorithm() {
    return algorithm;
  }

  /**
   * A file begins.
   *
   * @param manifestPath its path as the manifest names it ({@code pg_tblspc/<oid>/…} for tablespace
   *     files)
   */
  void fileStart(String manifestPath) {
    currentPath = manifestPath;
    currentSize = 0;
  }

  /** Bytes of the current file; {@code data}'s position is left where it was. */
  void fileData(ByteBuffer data) {
    int position = data.position();
    currentSize += data.remaining();
    checksum.update(data);
    data.position(position);
  }

  /** The current file is complete. */
  void fileEnd() {
    received.put(currentPath, new Received(currentSize, checksum.finishHex()));
    currentPath = null;
  }

  /** Number of files received so far. */
  int files() {
    return received.size();
  }

  /**
   * A listener that feeds the verifier from a tar stream (tar format, where the archive is stored
   * as it is and not extracted).
   *
   * @param prefix {@code pg_tblspc/<oid>/} for a tablespace archive, empty for base.tar
   */
  TarListener tarListener(String prefix) {
    return new TarListener() {
      private boolean inFile;

      @Override
      public void entryStart(TarHeader h) {
        inFile = h.isRegularFile();
        if (inFile) {
          fileStart(prefix + memberPath(h.name()));
        }
      }

      @Override
      public void entryData(ByteBuffer data) {
        if (inFile) {
          fileData(data);
        }
      }

      @Override
      public void entryEnd(TarHeader h) {
        if (inFile) {
          fileEnd();
          inFile = false;
        }
      }
    };
  }

  /** A member name without leading {@code ./} and trailing {@code /}. */
  static String memberPath(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n;
  }

  /** The prefix of the manifest paths of an archive's files. */
  static String manifestPrefix(String archiveName, String tablespacePath) {
    return tablespacePath.isEmpty()
        ? ""
        : "pg_tblspc/" + archiveName.substring(0, archiveName.indexOf('.')) + "/";
  }

  /**
   * The manifest begins. It is parsed as it arrives ({@link ManifestParser#streaming}) and each
   * entry compared at once, so memory does not grow with the manifest; only what the server's
   * {@link #files()} justify is accepted: {@value #MANIFEST_BASE} bytes plus {@value
   * #MANIFEST_PER_FILE} per file received. A real entry is at most about 2.3 KiB (an {@code
   * Encoded-Path} of a 1024-byte path is 2048 hex digits, a SHA-512 checksum 128, the rest ~150),
   * and the header, WAL ranges (one per timeline crossed) and checksum line fit in the base many
   * times over.
   */
  void manifestStart() {
    problems = 0;
    firstProblem = null;
    matched = new HashSet<>();
    entries = 0;
    parser =
        ManifestParser.streaming(
            this::compare, MANIFEST_BASE + MANIFEST_PER_FILE * (long) received.size());
  }

  /** Bytes of the manifest; {@code data}'s position is left where it was. */
  void manifestData(ByteBuffer data) {
    Objects.requireNonNull(parser, "the manifest started").feed(data.duplicate());
  }

  /**
   * The manifest is complete: checks its end and checksum, then reports the first mismatch (in path
   * order) between it and what was received.
   *
   * @throws PgException XX001 naming the first mismatching file (and how many there are)
   */
  void manifestEnd() {
    Objects.requireNonNull(parser, "the manifest started").finish();
    parser = null;
    Set<String> matched = Objects.requireNonNull(this.matched);
    for (String path : received.keySet()) {
      if (!matched.contains(path) && !path.startsWith("pg_wal/")) {
        problem("\"" + path + "\" was received but is not in the manifest");
      }
    }
    this.matched = null;
    if (problems > 0) {
      String more =
          problems == 1
              ? null
              : (problems - 1)
                  + " more mismatch"
                  + (problems == 2 ? "" : "es")
                  + " between the manifest and the received files";
      throw new PgException(
          SqlState.DATA_CORRUPTED,
          "backup manifest does not match the received data: " + firstProblem,
          more,
          null,
          null);
    }
    verified = entries;
  }

  /** Manifest entries checked, or -1 before the manifest arrived. */
  int verified() {
    return verified;
  }

  /** One manifest entry against what was received of its file. */
  private void compare(BackupManifest.FileEntry e) {
    entries++;
    Received r = received.get(e.path());
    if (r == null) {
      problem("\"" + e.path() + "\" is present in the manifest but was not received");
      return;
    }
    Objects.requireNonNull(matched, "the manifest started").add(e.path());
    if (r.size() != e.size()) {
      problem(
          "\""
              + e.path()
              + "\" has size "
              + r.size()
              + " as received but size "
              + e.size()
              + " in the manifest");
    } else if (e.algorithm() == algorithm
        && algorithm != ChecksumAlgorithm.NONE
        && !r.checksum().equals(e.checksum())) {
      problem("checksum mismatch for file \"" + e.path() + "\"");
    }
  }

  /** Counts a mismatch, keeping only the first in sort order (the one reported). */
  private void problem(String text) {
    problems++;
    if (firstProblem == null || text.compareTo(firstProblem) < 0) {
      firstProblem = text;
    }
  }
}
