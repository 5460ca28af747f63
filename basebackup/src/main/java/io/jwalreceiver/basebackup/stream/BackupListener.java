// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.stream;

import java.nio.ByteBuffer;

/**
 * The events of one BASE_BACKUP stream, the same for every server version ({@link
 * BackupStreamDecoder} hides the two wire shapes). Data views are borrowed: valid only during the
 * call.
 */
public interface BackupListener {

  /**
   * An archive begins.
   *
   * @param name {@code base.tar} for the data directory, {@code <oid>.tar} for a tablespace (with
   *     {@code .gz}/{@code .lz4}/{@code .zst} when the server compresses)
   * @param tablespacePath the tablespace's location on the server, or empty for the data directory
   * @param terminated whether the server ends the tar with its two zero blocks (15+); 13 and 14
   *     leave them out and a tar file writer must add them
   */
  void archiveStart(String name, String tablespacePath, boolean terminated);

  /** Bytes of the current archive. */
  void archiveData(ByteBuffer data);

  /** The current archive is complete. */
  void archiveEnd();

  /** The backup manifest begins. */
  default void manifestStart() {}

  /** Bytes of the manifest. */
  default void manifestData(ByteBuffer data) {}

  /** The manifest is complete. */
  default void manifestEnd() {}

  /**
   * Progress reported by the server (15+), in bytes done for the whole backup so far. On 13/14 the
   * client counts received bytes instead.
   */
  default void progress(long bytesDone) {}
}
