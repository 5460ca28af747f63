// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import org.jspecify.annotations.Nullable;

/** What the backup tells its caller while it runs (the CLI prints it for -v and -P). */
public interface BackupProgress {

  /** The server is doing the start checkpoint (it can take minutes with a spread checkpoint). */
  default void waitingForCheckpoint() {}

  /** The start checkpoint is done. */
  default void started(Lsn start, TimelineId timeline) {}

  /** The WAL streamer started, with this slot (or null). */
  default void streamerStarted(@Nullable String slotName, boolean temporary) {}

  /**
   * Bytes received so far, against the server's estimate (0 when not estimated), in archive {@code
   * archive} of {@code archives}.
   */
  default void progress(long doneBytes, long totalBytes, int archive, int archives) {}

  /** All archives arrived; the end position is known. */
  default void dataDone(Lsn end, TimelineId timeline) {}

  /** Waiting for the WAL streamer to reach the end position. */
  default void waitingForWal() {}

  /** A message worded as pg_basebackup's verbose output. */
  default void info(String message) {}
}
