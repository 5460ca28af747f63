// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.jwalreceiver.wal.segment.Compression;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Compresses a tar stream into a channel ({@code base.tar.gz}, {@code .tar.lz4}, {@code
 * .tar.zst}): a {@link WritableByteChannel}, so that both raw archive bytes and a {@link
 * io.jwalreceiver.basebackup.tar.TarWriter} can write through it.
 *
 * <pre>
 *   write(…)*  ─►  finish()  ─►  close()
 *   compress       trailer,      frees threads and native memory; the target channel stays open
 *                  checksums
 * </pre>
 *
 * <p>gzip is compressed on several threads ({@link ParallelGzipEncoder}); zstd uses its own
 * worker threads when the specification says {@code workers=N}; LZ4 compresses on the calling
 * thread. One thread uses an encoder at a time.
 */
public abstract class ArchiveEncoder implements WritableByteChannel {

  /** Output buffer size, and the chunk in which input is staged for the native libraries. */
  static final int CHUNK = 128 * 1024;

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
   * @param gzipWorkers threads for gzip, 0 = compress on the calling thread
   * @return the encoder
   * @throws IllegalArgumentException for {@link Compression#NONE}
   */
  public static ArchiveEncoder open(
      Compression compression, WritableByteChannel target, int gzipWorkers) {
    switch (compression.algorithm()) {
      case GZIP:
        return new ParallelGzipEncoder(
            target, compression.level(), gzipWorkers, ParallelGzipEncoder.DEFAULT_BLOCK_SIZE);
      case LZ4:
        return new Lz4(target, compression.level());
      case ZSTD:
        return new Zstandard(target, compression);
      default:
        throw new IllegalArgumentException("not compressed: " + compression);
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
   * The LZ4 frame format through lz4-java's {@link LZ4FrameOutputStream}: 64 KiB independent
   * blocks (LZ4F's default block size) and a content checksum. Levels 0 to 2 use the fast
   * compressor, 3 to 12 LZ4HC at that level, as {@code LZ4F_compressBegin} maps them.
   */
  static final class Lz4 extends ArchiveEncoder {
    private static final int LZ4HC_MIN_LEVEL = 3;

    private final LZ4FrameOutputStream frame;
    /** Non-heap input is copied through this; the frame stream takes arrays only. */
    private byte[] staging;

    Lz4(WritableByteChannel target, int level) {
      super(target);
      LZ4Factory factory = LZ4Factory.fastestInstance();
      LZ4Compressor compressor =
          level < LZ4HC_MIN_LEVEL ? factory.fastCompressor() : factory.highCompressor(level);
      try {
        this.frame =
            new LZ4FrameOutputStream(
                new ChannelOutput(),
                LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB,
                -1L,
                compressor,
                XXHashFactory.fastestInstance().hash32(),
                LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE,
                LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM);
      } catch (IOException e) {
        // The constructor writes nothing; it only declares the exception.
        throw new IllegalStateException(e);
      }
    }

    @Override
    void compress(ByteBuffer src) throws IOException {
      if (src.hasArray()) {
        frame.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
        src.position(src.limit());
        return;
      }
      if (staging == null) {
        staging = new byte[CHUNK];
      }
      while (src.hasRemaining()) {
        int n = Math.min(staging.length, src.remaining());
        src.get(staging, 0, n);
        frame.write(staging, 0, n);
      }
    }

    @Override
    void end() throws IOException {
      frame.close();
    }

    @Override
    void release() {
      // Heap buffers only.
    }

    /** The frame stream's sink; closing it does not close the target. */
    private final class ChannelOutput extends OutputStream {
      @Override
      public void write(int b) throws IOException {
        append(ByteBuffer.wrap(new byte[] {(byte) b}));
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        append(ByteBuffer.wrap(b, off, len));
      }
    }
  }

  /**
   * The Zstandard frame format through zstd-jni's streaming API on direct buffers, with a content
   * checksum; {@code workers=N} compresses on zstd's own threads, {@code long} enables
   * long-distance matching (pg_basebackup's {@code ZSTD_c_enableLongDistanceMatching}).
   */
  static final class Zstandard extends ArchiveEncoder {
    private final ZstdCompressCtx context;
    private final ByteBuffer out = ByteBuffer.allocateDirect(CHUNK);
    /** Heap input is copied through this: the direct-buffer API takes direct buffers only. */
    private final ByteBuffer staging = ByteBuffer.allocateDirect(CHUNK);

    Zstandard(WritableByteChannel target, Compression compression) {
      super(target);
      ZstdCompressCtx ctx = new ZstdCompressCtx();
      try {
        ctx.setLevel(compression.level()).setChecksum(true);
        if (compression.workers() > 0) {
          ctx.setWorkers(compression.workers());
        }
        if (compression.longDistance()) {
          ctx.setEnableLongDistanceMatching(Zstd.ParamSwitch.ENABLE);
        }
      } catch (RuntimeException e) {
        ctx.close();
        throw e;
      }
      this.context = ctx;
    }

    @Override
    void compress(ByteBuffer src) throws IOException {
      if (src.isDirect()) {
        stream(src, EndDirective.CONTINUE);
        return;
      }
      int limit = src.limit();
      while (src.hasRemaining()) {
        staging.clear();
        src.limit(src.position() + Math.min(staging.capacity(), src.remaining()));
        staging.put(src);
        src.limit(limit);
        staging.flip();
        stream(staging, EndDirective.CONTINUE);
      }
    }

    @Override
    void end() throws IOException {
      staging.clear().flip();
      stream(staging, EndDirective.END);
    }

    /** Feeds {@code src} until consumed and, for END, until zstd has nothing left inside. */
    private void stream(ByteBuffer src, EndDirective directive) throws IOException {
      boolean done;
      do {
        try {
          done = context.compressDirectByteBufferStream(out, src, directive);
        } catch (ZstdException e) {
          throw new IOException("zstd compression failed: " + e.getMessage(), e);
        }
        if (out.position() > 0) {
          out.flip();
          append(out);
          out.clear();
        }
      } while (src.hasRemaining() || (directive != EndDirective.CONTINUE && !done));
    }

    @Override
    void release() {
      context.close();
    }
  }
}
