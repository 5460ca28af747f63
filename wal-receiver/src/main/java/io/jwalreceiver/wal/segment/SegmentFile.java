// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One open, pre-sized, uncompressed segment file: the unit {@link SegmentFileSink} hands between
 * the receive thread (which only {@link #write}s) and the flusher (which forces, closes and
 * renames). A compressed sink would keep the flusher and the naming and replace this class with
 * a streaming variant (no pre-sizing, sequential writes).
 *
 * <p>A spare file starts without a segment (zero-filled under a temporary name, see {@link
 * SegmentFileSink}); the receive thread {@link #assign}s it when it starts writing into it. All
 * hand-overs between the threads go through the sink's lock, which gives the happens-before
 * edges the plain fields need.
 */
final class SegmentFile {

  private final FileChannel channel;
  private Path path;
  private SegmentName segment;
  private long startLsn;

  SegmentFile(FileChannel channel, Path path, SegmentName segment) {
    this.channel = channel;
    this.path = path;
    if (segment != null) {
      assign(segment);
    }
  }

  /** Binds a spare file to the segment that will be written into it. */
  void assign(SegmentName name) {
    this.segment = name;
    this.startLsn = name.startLsn().value();
  }

  /** The segment, or null for a spare that is not yet assigned. */
  SegmentName segment() {
    return segment;
  }

  /** The LSN of the segment's first byte. */
  long startLsn() {
    return startLsn;
  }

  /** Where the file is now (its name changes on activation and on completion). */
  Path path() {
    return path;
  }

  void movedTo(Path newPath) {
    this.path = newPath;
  }

  FileChannel channel() {
    return channel;
  }

  /**
   * Writes {@code src} (position to limit) at {@code offset}, looping over short writes. Positional
   * writes do not touch the channel position, so a concurrent {@code force} on the flusher is safe.
   */
  void write(ByteBuffer src, long offset) throws IOException {
    long position = offset;
    while (src.hasRemaining()) {
      position += channel.write(src, position);
    }
  }

  /**
   * Forces the file's data. {@code metadata} false is enough while the file keeps its pre-sized
   * length (fdatasync), true before a rename or close (fsync, as pg_receivewal does).
   */
  void force(boolean metadata) throws IOException {
    channel.force(metadata);
  }

  void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return String.valueOf(path);
  }
}
