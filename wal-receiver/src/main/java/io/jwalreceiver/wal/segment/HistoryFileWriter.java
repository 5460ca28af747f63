// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes {@code NNNNNNNN.history} files into the output directory atomically, the way pg_receivewal
 * does it: {@code <tli>.history.tmp}, force, rename, force the directory; then the {@code .done}
 * marker when enabled. Runs on the calling thread (the receive thread), not on the flusher: a
 * history file is written once per timeline switch, before the new timeline streams.
 */
final class HistoryFileWriter {

  private final SegmentDirectory directory;

  HistoryFileWriter(SegmentDirectory directory) {
    this.directory = directory;
  }

  /** True when the history file of {@code timeline} is already in the directory. */
  boolean exists(TimelineId timeline) {
    return Files.exists(directory.path().resolve(timeline.historyFileName()));
  }

  /**
   * Stores {@code history} durably under its final name.
   *
   * @throws io.jwalreceiver.PgException 58030 on an I/O error, 53100 when the disk is full
   */
  void write(TimelineHistoryFile history) {
    Path target = directory.path().resolve(history.fileName());
    Path temporary = directory.path().resolve(history.fileName() + ".tmp");
    try (FileChannel channel = directory.create(temporary, SegmentDirectory.CREATE_OR_TRUNCATE)) {
      ByteBuffer content = ByteBuffer.wrap(history.content());
      while (content.hasRemaining()) {
        channel.write(content);
      }
      if (directory.sync()) {
        channel.force(true);
      }
    } catch (IOException e) {
      throw SegmentDirectory.ioError("could not write file", temporary, e);
    }
    SegmentDirectory.rename(temporary, target);
    directory.syncDirectory(directory.path());
    directory.markDone(history.fileName());
  }
}
