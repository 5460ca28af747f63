// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.basebackup.stream.BackupListener;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * Passes every event on to the sink while tracking progress as pg_basebackup does: on 15+ the
 * server's own count (uncompressed bytes it has sent, also right with server-side compression and
 * backup targets), on 13/14 the bytes received. Also fails the transfer as soon as the WAL streamer
 * has died, instead of after the last archive.
 */
final class ProgressCounter implements BackupListener {
  private final BackupProgress progress;

  /** The sink, maybe behind a tap. */
  private final BackupListener toSink;

  private final long total;
  private final int archives;
  private final boolean serverCounts;
  private final @Nullable WalStreamer streamer;

  /** Archives received whole. */
  private int archive;

  long done;

  ProgressCounter(
      BackupProgress progress,
      BackupListener toSink,
      long total,
      int archives,
      boolean serverCounts,
      @Nullable WalStreamer streamer) {
    this.progress = progress;
    this.toSink = toSink;
    this.total = total;
    this.archives = archives;
    this.serverCounts = serverCounts;
    this.streamer = streamer;
  }

  @Override
  public void progress(long bytesDone) {
    if (serverCounts) {
      done = bytesDone;
      progress.progress(done, Math.max(total, done), archive, archives);
    }
    if (streamer != null) {
      streamer.checkAlive();
    }
  }

  @Override
  public void archiveStart(String name, String tablespacePath, boolean terminated) {
    toSink.archiveStart(name, tablespacePath, terminated);
  }

  @Override
  public void archiveData(ByteBuffer data) {
    if (streamer != null) {
      streamer.checkAlive();
    }
    if (serverCounts) {
      toSink.archiveData(data);
      return;
    }
    done += data.remaining();
    toSink.archiveData(data);
    progress.progress(done, Math.max(total, done), archive, archives);
  }

  @Override
  public void archiveEnd() {
    toSink.archiveEnd();
    // As pg_basebackup, the tablespace count is of those received whole: 0/1 during the first.
    archive++;
    progress.progress(done, Math.max(total, done), archive, archives);
  }

  @Override
  public void manifestStart() {
    toSink.manifestStart();
  }

  @Override
  public void manifestData(ByteBuffer data) {
    toSink.manifestData(data);
  }

  @Override
  public void manifestEnd() {
    toSink.manifestEnd();
  }
}
