// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.SegmentEncoder;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * One open segment file: the unit {@link SegmentFileSink} hands between the receive thread (which
 * only {@link #write}s, and {@link #syncFlush}es a compressed file) and the flusher (which {@link
 * #finish}es, forces, closes and renames). Uncompressed, the file is pre-sized and written
 * positionally; compressed, a {@link SegmentEncoder} appends to it from offset 0 and the file grows
 * as it goes.
 *
 * <p>A spare file starts without a segment (zero-filled under a temporary name, see {@link
 * SegmentFileSink}); the receive thread {@link #assign}s it when it starts writing into it. All
 * hand-overs between the threads go through the sink's lock, which gives the happens-before edges
 * the plain fields need.
 */
final class SegmentFile {

  private static final System.Logger LOG = System.getLogger(SegmentFileSink.class.getName());

  private final FileChannel channel;
  private Path path;
  private @Nullable SegmentName segment;
  private long startLsn;

  /** Null for an uncompressed file. */
  private @Nullable SegmentEncoder encoder;

  /** A spare file, not yet assigned to a segment. */
  SegmentFile(FileChannel channel, Path path) {
    this.channel = channel;
    this.path = path;
  }

  /** An existing file of {@code segment}. */
  SegmentFile(FileChannel channel, Path path, SegmentName segment) {
    this(channel, path);
    assign(segment);
  }

  /** Binds a spare file to the segment that will be written into it. */
  void assign(SegmentName name) {
    this.segment = name;
    this.startLsn = name.startLsn().value();
  }

  /**
   * The segment.
   *
   * @throws IllegalStateException for a spare that is not yet assigned
   */
  SegmentName segment() {
    SegmentName name = segment;
    if (name == null) {
      throw new IllegalStateException("spare file " + path + " is not assigned to a segment");
    }
    return name;
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
   * Makes this a compressed file: from now on {@link #write} compresses, appending from offset 0
   * (the file must be empty).
   */
  void encode(Compression compression) throws IOException {
    encoder = SegmentEncoder.open(compression, channel);
  }

  /**
   * Writes {@code src} (position to limit) at {@code offset}, looping over short writes. Positional
   * writes do not touch the channel position, so a concurrent {@code force} on the flusher is safe.
   * A compressed file ignores {@code offset}: the payload is compressed and appended.
   */
  void write(ByteBuffer src, long offset) throws IOException {
    SegmentEncoder e = encoder;
    if (e != null) {
      // Sequential by construction: the sink writes each segment from its start, in order.
      e.write(src);
      return;
    }
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

  /**
   * Compressed: pushes everything written so far out of the compressor into the file, so that the
   * next {@link #force} covers it. Uncompressed: nothing to do.
   */
  void syncFlush() throws IOException {
    SegmentEncoder e = encoder;
    if (e != null) {
      e.flush();
    }
  }

  /** Compressed: ends the compressed stream (trailer). Idempotent; nothing to do uncompressed. */
  void finish() throws IOException {
    SegmentEncoder e = encoder;
    if (e != null) {
      e.finish();
    }
  }

  /** Closes the channel and frees the compressor's native memory. */
  void close() throws IOException {
    try {
      channel.close();
    } finally {
      SegmentEncoder e = encoder;
      if (e != null) {
        e.release();
      }
    }
  }

  /** Closes {@code file}, if any, logging a failure at debug level. */
  static void closeQuietly(@Nullable SegmentFile file) {
    if (file != null) {
      try {
        file.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "could not close file \"" + file + "\": " + e.getMessage());
      }
    }
  }

  @Override
  public String toString() {
    return String.valueOf(path);
  }
}
