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
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a backup against its manifest while it is received, which pg_basebackup does not do:
 * each file's size and checksum (with the algorithm the manifest will use, CRC-32C by default)
 * are computed from the bytes as they are written, and when the manifest arrives (after the
 * archives) every entry is compared. What pg_verifybackup would find later by reading the backup
 * again, this finds without a second read.
 *
 * <p>Files in the archives but not in the manifest are tolerated only under {@code pg_wal/} (the
 * WAL segments of {@code -X fetch}, which the server does not list). One instance per backup, used
 * by one thread at a time.
 */
final class InlineVerifier {

  /** SQLSTATE data_corrupted. */
  static final SqlState DATA_CORRUPTED = new SqlState("XX001");

  /** What was received of one file. */
  record Received(long size, String checksum) {}

  private final ChecksumAlgorithm algorithm;
  private final ManifestChecksum checksum;
  private final Map<String, Received> received = new HashMap<>();
  private String currentPath;
  private long currentSize;
  private ByteArrayOutputStream manifest;
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
   * @param manifestPath its path as the manifest names it ({@code pg_tblspc/<oid>/…} for
   *     tablespace files)
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
   * A listener that feeds the verifier from a tar stream (tar format, where the archive is
   * stored as it is and not extracted).
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
        ? "" : "pg_tblspc/" + archiveName.substring(0, archiveName.indexOf('.')) + "/";
  }

  /** The manifest begins: its bytes are kept for {@link #manifestEnd()}. */
  void manifestStart() {
    manifest = new ByteArrayOutputStream();
  }

  /** Bytes of the manifest; {@code data}'s position is left where it was. */
  void manifestData(ByteBuffer data) {
    ByteBuffer copy = data.duplicate();
    byte[] b = new byte[copy.remaining()];
    copy.get(b);
    manifest.writeBytes(b);
  }

  /** The manifest is complete: parses it and {@link #verify}s everything received against it. */
  void manifestEnd() {
    verified = verify(ManifestParser.parse(manifest.toByteArray()));
    manifest = null;
  }

  /** Manifest entries checked, or -1 before the manifest arrived. */
  int verified() {
    return verified;
  }

  /**
   * Compares everything received with the manifest.
   *
   * @return the number of manifest entries checked
   * @throws PgException XX001 naming the first mismatching file (and how many there are)
   */
  int verify(BackupManifest manifest) {
    List<String> problems = new ArrayList<>();
    Map<String, BackupManifest.FileEntry> entries = manifest.filesByPath();
    for (BackupManifest.FileEntry e : entries.values()) {
      Received r = received.get(e.path());
      if (r == null) {
        problems.add("\"" + e.path() + "\" is present in the manifest but was not received");
      } else if (r.size() != e.size()) {
        problems.add("\"" + e.path() + "\" has size " + r.size() + " as received but size "
            + e.size() + " in the manifest");
      } else if (e.algorithm() == algorithm && algorithm != ChecksumAlgorithm.NONE
          && !r.checksum().equals(e.checksum())) {
        problems.add("checksum mismatch for file \"" + e.path() + "\"");
      }
    }
    for (String path : received.keySet()) {
      if (!entries.containsKey(path) && !path.startsWith("pg_wal/")) {
        problems.add("\"" + path + "\" was received but is not in the manifest");
      }
    }
    if (!problems.isEmpty()) {
      problems.sort(null);
      String more = problems.size() == 1 ? null
          : (problems.size() - 1) + " more mismatch" + (problems.size() == 2 ? "" : "es")
              + " between the manifest and the received files";
      throw new PgException(DATA_CORRUPTED,
          "backup manifest does not match the received data: " + problems.get(0), more, null,
          null);
    }
    return entries.size();
  }
}
