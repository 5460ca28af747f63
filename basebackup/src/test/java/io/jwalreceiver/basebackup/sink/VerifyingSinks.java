// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import java.nio.file.Path;
import java.util.List;

/** Sinks that verify the backup against its manifest while they write it. */
final class VerifyingSinks {

  private VerifyingSinks() {}

  /**
   * A plain-format sink into {@code dir} (new or empty) with no tablespaces, no {@code -R} and no
   * sync, checking file contents with CRC-32C as the manifest arrives.
   */
  static DirectoryBackupSink directory(Path dir) {
    return new DirectoryBackupSink(
        OutputDirectory.prepare(dir), List.of(), null, false, false, ChecksumAlgorithm.CRC32C);
  }
}
