// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.stream.BackupListener;
import org.jspecify.annotations.Nullable;

/**
 * Where the archives of a base backup go. Receives the stream's events; {@link #finish} runs after
 * the server confirmed the backup, {@link #abort} after a failure.
 */
public interface BackupSink extends BackupListener {

  /**
   * Completes the backup on disk: everything synced (unless disabled), the manifest renamed into
   * place last.
   */
  void finish();

  /** Removes what this sink created (unless told to keep it). Never throws. */
  void abort();

  /**
   * How many manifest entries the received files were checked against as they arrived, or -1 when
   * this sink made no such check.
   */
  default int verifiedFiles() {
    return -1;
  }

  /** The checksum algorithm of that check, or null without one. */
  default @Nullable ChecksumAlgorithm verifiedWith() {
    return null;
  }
}
