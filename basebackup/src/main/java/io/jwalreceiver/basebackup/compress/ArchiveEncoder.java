// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.SegmentEncoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * Compresses a tar stream into a channel ({@code base.tar.gz}, {@code .tar.lz4}, {@code .tar.zst}):
 * a {@link WritableByteChannel}, so that both raw archive bytes and a {@link
 * io.jwalreceiver.basebackup.tar.TarWriter} can write through it.
 *
 * <pre>
 *   write(…)*  ─►  finish()  ─►  close()
 *   compress       trailer,      frees threads and native memory; the target channel stays open
 *                  checksums
 * </pre>
 *
 * <p>All three compress on other threads than the caller's, so that receiving and compressing
 * overlap and both use the cores: gzip on {@link ParallelGzipEncoder}'s pool, LZ4 on {@link
 * ParallelLz4Encoder}'s, zstd on its own worker threads ({@code workers=N}, or as many as the
 * encoder is given threads when the specification names none). One thread uses an encoder at a
 * time.
 */
public abstract class ArchiveEncoder implements WritableByteChannel {

  /** Where compressed bytes go; never closed here. */
  final WritableByteChannel target;

  private boolean finished;
  private boolean closed;

  ArchiveEncoder(WritableByteChannel target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  /**
   * An encoder for {@code compression} writing into {@code target} at its current position.
   *
   * @param compression the client-side settings (not {@link Compression#NONE})
   * @param target where the compressed stream goes; not closed by the encoder
   * @param gzipWorkers compressing threads for gzip and LZ4, and zstd's workers when {@code
   *     compression} gives none; 0 = compress on the calling thread
   * @return the encoder
   * @throws IllegalArgumentException for {@link Compression#NONE}
   */
  public static ArchiveEncoder open(
      Compression compression, WritableByteChannel target, int gzipWorkers) {
    switch (compression.algorithm()) {
      case GZIP -> {
        return new ParallelGzipEncoder(
            target, compression.level(), gzipWorkers, ParallelGzipEncoder.DEFAULT_BLOCK_SIZE);
      }
      case LZ4 -> {
        return new ParallelLz4Encoder(target, compression.level(), gzipWorkers);
      }
      case ZSTD -> {
        // pg_basebackup compresses on one thread unless told workers=N; we use the cores given,
        // the same frame format (zstd -t and every decoder read it), as for gzip and LZ4.
        Compression zstd =
            compression.workers() > 0 || gzipWorkers == 0
                ? compression
                : new Compression(
                    compression.algorithm(),
                    compression.level(),
                    gzipWorkers,
                    compression.longDistance());
        return new Streamed(target, zstd);
      }
      default -> throw new IllegalArgumentException("not compressed: " + compression);
    }
  }

  /**
   * Compresses all of {@code src} (position to limit); the buffer is borrowed, never kept.
   *
   * @return the number of bytes consumed, always {@code src.remaining()} on entry
   * @throws IOException when compressing or writing fails
   */
  @Override
  public final int write(ByteBuffer src) throws IOException {
    if (closed || finished) {
      throw new ClosedChannelException();
    }
    int n = src.remaining();
    compress(src);
    return n;
  }

  /**
   * Ends the compressed stream (trailer, checksums) and writes everything out. Idempotent.
   *
   * @throws IOException when compressing or writing fails
   */
  public final void finish() throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (!finished) {
      finished = true;
      end();
    }
  }

  /** Frees threads and native memory; does not finish the stream nor close the target. */
  @Override
  public final void close() {
    if (!closed) {
      closed = true;
      release();
    }
  }

  @Override
  public final boolean isOpen() {
    return !closed;
  }

  abstract void compress(ByteBuffer src) throws IOException;

  abstract void end() throws IOException;

  abstract void release();

  /** Writes all of {@code buffer} to the target. */
  final void append(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      target.write(buffer);
    }
  }

  // -----------------------------------------------------------------------------------------

  /**
   * zstd frames: receivewal's segment encoder ({@link SegmentEncoder}), writing into the target
   * instead of a segment file.
   */
  static final class Streamed extends ArchiveEncoder {
    private final SegmentEncoder encoder;

    Streamed(WritableByteChannel target, Compression compression) {
      super(target);
      try {
        this.encoder = SegmentEncoder.open(compression, (buffer, position) -> append(buffer));
      } catch (IOException e) {
        // Opening writes nothing through the target; the frame stream only declares it.
        throw new IllegalStateException(e);
      }
    }

    @Override
    void compress(ByteBuffer src) throws IOException {
      encoder.write(src);
    }

    @Override
    void end() throws IOException {
      encoder.finish();
    }

    @Override
    void release() {
      encoder.release();
    }
  }
}
