// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import io.jwalreceiver.testkit.GoldenFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds backup directories and manifests in the server's exact layout, for the tests. */
final class ManifestFixture {

  /** The files of the real PostgreSQL 15 backup kept under {@code golden/manifest/}. */
  static final List<String> GOLDEN_FILES =
      List.of("PG_VERSION", "backup_label", "global/pg_control");

  private ManifestFixture() {}

  static byte[] resource(String name) {
    return GoldenFiles.load(name);
  }

  /** Copies the real backup's files and its (trimmed) manifest into {@code dir}. */
  static Path goldenBackup(Path dir) throws IOException {
    for (String f : GOLDEN_FILES) {
      Path target = dir.resolve(f);
      Files.createDirectories(target.getParent());
      Files.write(target, resource("manifest/" + f));
    }
    Files.write(dir.resolve("backup_manifest"), resource("manifest/backup_manifest"));
    return dir;
  }

  /** Appends the {@code Manifest-Checksum} line the server would write after {@code body}. */
  static byte[] withChecksum(String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String line =
        "\"Manifest-Checksum\": \""
            + ManifestChecksum.hex(ManifestChecksum.sha256(b, 0, b.length))
            + "\"}\n";
    return (body + line).getBytes(StandardCharsets.UTF_8);
  }

  /** One {@code Files} line as the server writes it. */
  static String fileLine(String path, long size, ChecksumAlgorithm algorithm, String checksum) {
    String s =
        "{ \"Path\": \""
            + path
            + "\", \"Size\": "
            + size
            + ", \"Last-Modified\": \"2026-01-01 00:00:00 GMT\"";
    if (algorithm != ChecksumAlgorithm.NONE) {
      s += ", \"Checksum-Algorithm\": \"" + algorithm + "\", \"Checksum\": \"" + checksum + "\"";
    }
    return s + " }";
  }

  /** A whole manifest (with a correct checksum) for the given file lines and WAL range lines. */
  static byte[] manifest(
      int version, Long systemId, List<String> fileLines, List<String> walLines) {
    StringBuilder sb = new StringBuilder();
    sb.append("{ \"PostgreSQL-Backup-Manifest-Version\": ").append(version).append(",\n");
    if (systemId != null) {
      sb.append("\"System-Identifier\": ").append(Long.toUnsignedString(systemId)).append(",\n");
    }
    sb.append("\"Files\": [\n").append(String.join(",\n", fileLines));
    if (!fileLines.isEmpty()) {
      sb.append('\n');
    }
    sb.append("],\n\"WAL-Ranges\": [\n").append(String.join(",\n", walLines));
    if (!walLines.isEmpty()) {
      sb.append('\n');
    }
    sb.append("],\n");
    return withChecksum(sb.toString());
  }

  /**
   * A backup directory with {@code files} (relative path to content) and a manifest describing them
   * with {@code algorithm}, WAL range {@code walLines}.
   */
  static void backup(
      Path dir,
      Map<String, byte[]> files,
      ChecksumAlgorithm algorithm,
      int version,
      Long systemId,
      List<String> walLines)
      throws IOException {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : new TreeMap<>(files).entrySet()) {
      Path target = dir.resolve(e.getKey());
      Files.createDirectories(target.getParent());
      Files.write(target, e.getValue());
      ManifestChecksum c = ManifestChecksum.create(algorithm);
      c.update(e.getValue(), 0, e.getValue().length);
      lines.add(fileLine(e.getKey(), e.getValue().length, algorithm, c.finishHex()));
    }
    Files.write(dir.resolve("backup_manifest"), manifest(version, systemId, lines, walLines));
  }
}
