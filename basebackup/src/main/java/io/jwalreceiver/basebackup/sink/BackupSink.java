// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.basebackup.BackupListener;

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
}
