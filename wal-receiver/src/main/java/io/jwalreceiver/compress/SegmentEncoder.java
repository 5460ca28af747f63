// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Compresses one segment's WAL into its file, appending from offset 0: the streaming counterpart of
 * {@link SegmentFile}'s positional writes. One thread uses an encoder at a time; the sink hands it
 * from the receive thread ({@link #write}, {@link #flush}) to the flusher ({@link #finish}) through
 * its lock.
 *
 * <p>Durability: after {@link #flush} every byte given to {@link #write} is in the file (a
 * gzip/zlib sync flush, an ended LZ4 block, a zstd flush), so that the next {@code force} covers
 * it. After {@link #finish} the file is a complete compressed stream that {@code gzip -t}, {@code
 * lz4 -t} or {@code zstd -t} accepts.
 */
public abstract class SegmentEncoder {

  /** Where the compressed bytes go. */
  @FunctionalInterface
  public interface Output {
    /**
     * Writes all of {@code buffer} (position to limit).
     *
     * @param position how many compressed bytes came before these (a file offset for a segment
     *     file; a stream output ignores it)
     */
    void write(ByteBuffer buffer, long position) throws IOException;
  }

  /** Output buffer size, and the chunk in which non-direct input is staged for native code. */
  static final int CHUNK = 128 * 1024;

  private final Output output;

  /** Compressed bytes written so far: where the next one goes. */
  private long position;

  private boolean finished;

  SegmentEncoder(Output output) {
    this.output = output;
  }

  /**
   * An encoder for {@code compression} writing into {@code channel} from offset 0.
   *
   * @throws IOException when the stream header cannot be written
   */
  public static SegmentEncoder open(Compression compression, FileChannel channel)
      throws IOException {
    return open(
        compression,
        (buffer, at) -> {
          long p = at;
          while (buffer.hasRemaining()) {
            p += channel.write(buffer, p);
          }
        });
  }

  /**
   * An encoder for {@code compression} writing through {@code output} (basebackup's compressed tar
   * files use the same lz4 and zstd encoders as WAL segments).
   *
   * @throws IOException when the stream header cannot be written
   */
  public static SegmentEncoder open(Compression compression, Output output) throws IOException {
    return switch (compression.algorithm()) {
      case GZIP -> new Gzip(output, compression.level());
      case LZ4 -> new Lz4(output, compression.level());
      case ZSTD -> new Zstandard(output, compression);
      default -> throw new IllegalArgumentException("not compressed: " + compression);
    };
  }

  /**
   * Fails early, before anything is written, when the algorithm's native library cannot be loaded
   * on this platform (zstd has no pure-Java fallback; lz4-java falls back to Java).
   *
   * @throws PgException 0A000 {@code this build does not support compression with ZSTD}
   */
  public static void checkAvailable(Compression compression) {
    if (compression.algorithm() == Compression.Algorithm.ZSTD) {
      try {
        Zstd.defaultCompressionLevel();
      } catch (LinkageError e) {
        throw new PgException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "this build does not support compression with ZSTD: " + e.getMessage(),
            e);
      }
    }
  }

  /** Compresses all of {@code src} (position to limit); the buffer is borrowed, never kept. */
  public abstract void write(ByteBuffer src) throws IOException;

  /** Pushes everything written so far into the file (not forced). */
  public abstract void flush() throws IOException;

  /** Ends the compressed stream (trailer, checksums) and writes it out. Idempotent. */
  public final void finish() throws IOException {
    if (!finished) {
      finished = true;
      end();
    }
  }

  public abstract void end() throws IOException;

  /** Frees native memory; no I/O. The encoder is unusable afterwards. */
  public abstract void release();

  /** Compressed bytes in the file so far. */
  public final long compressedSize() {
    return position;
  }

  /** Appends {@code buffer} (position to limit), looping over short writes. */
  public final void append(ByteBuffer buffer) throws IOException {
    int n = buffer.remaining();
    output.write(buffer, position);
    position += n;
  }

  /** Appends an output buffer that was filled from position 0, then clears it for reuse. */
  final void drain(ByteBuffer out) throws IOException {
    out.flip();
    append(out);
    out.clear();
  }

  // -----------------------------------------------------------------------------------------

  /**
   * gzip (RFC 1952) around a raw deflate stream, written with the JDK's {@link Deflater} straight
   * from and into byte buffers: header, deflate data, then CRC-32 and ISIZE (the uncompressed size
   * mod 2^32, which {@link io.jwalreceiver.wal.ResumePoint} reads back).
   */
  static final class Gzip extends SegmentEncoder {
    /** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown). */
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    private static final byte[] NO_INPUT = new byte[0];

    private final Deflater deflater;
    private final CRC32 crc = new CRC32();
    private final ByteBuffer out = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);

    Gzip(Output output, int level) {
      super(output);
      this.deflater = new Deflater(level, true);
      out.put(HEADER);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
      int start = src.position();
      crc.update(src);
      src.position(start);
      deflater.setInput(src);
      while (!deflater.needsInput()) {
        deflater.deflate(out, Deflater.NO_FLUSH);
        if (!out.hasRemaining()) {
          drain(out);
        }
      }
      // The deflater keeps a reference to its input: never to the borrowed payload.
      deflater.setInput(NO_INPUT);
    }

    @Override
    public void flush() throws IOException {
      deflateUntilDone(Deflater.SYNC_FLUSH);
    }

    /** With SYNC_FLUSH, a call that fills the buffer may have more to give (see Deflater). */
    private void deflateUntilDone(int mode) throws IOException {
      boolean full;
      do {
        int room = out.remaining();
        full = deflater.deflate(out, mode) == room;
        drain(out);
      } while (full);
    }

    @Override
    public void end() throws IOException {
      deflater.finish();
      while (!deflater.finished()) {
        deflater.deflate(out, Deflater.NO_FLUSH);
        if (out.remaining() < 8 || deflater.finished()) {
          drain(out);
        }
      }
      out.putInt((int) crc.getValue());
      out.putInt((int) deflater.getBytesRead());
      drain(out);
    }

    @Override
    public void release() {
      deflater.end();
    }
  }

  /**
   * The LZ4 frame format through lz4-java's {@link LZ4FrameOutputStream}: 64 KiB independent blocks
   * (LZ4F's default block size) and a content checksum. Level 0 to 2 use the fast compressor, 3 to
   * 12 LZ4HC at that level, as {@code LZ4F_compressBegin} maps them.
   */
  static final class Lz4 extends SegmentEncoder {
    private static final int LZ4HC_MIN_LEVEL = 3;

    private final LZ4FrameOutputStream frame;

    /** Non-heap input is copied through this; lz4-java's frame stream takes arrays only. */
    private final byte[] staging = new byte[CHUNK];

    Lz4(Output output, int level) throws IOException {
      super(output);
      LZ4Factory factory = LZ4Factory.fastestInstance();
      LZ4Compressor compressor =
          level < LZ4HC_MIN_LEVEL ? factory.fastCompressor() : factory.highCompressor(level);
      this.frame =
          new LZ4FrameOutputStream(
              new ChannelOutput(),
              LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB,
              -1L,
              compressor,
              XXHashFactory.fastestInstance().hash32(),
              LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE,
              LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
      if (src.hasArray()) {
        frame.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
        src.position(src.limit());
        return;
      }
      while (src.hasRemaining()) {
        int n = Math.min(staging.length, src.remaining());
        src.get(staging, 0, n);
        frame.write(staging, 0, n);
      }
    }

    @Override
    public void flush() throws IOException {
      // Ends the current block (a short one) and writes it out.
      frame.flush();
    }

    @Override
    public void end() throws IOException {
      frame.close();
    }

    @Override
    public void release() {
      // Heap buffers only.
    }

    /** The frame stream's sink: appends to the file; close does not close the channel. */
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
   * checksum; {@code workers} above 0 compresses on zstd's own threads.
   */
  static final class Zstandard extends SegmentEncoder {
    private final ZstdCompressCtx context;
    private final ByteBuffer out = ByteBuffer.allocateDirect(CHUNK);

    /** Heap input is copied through this: the direct-buffer API takes direct buffers only. */
    private final ByteBuffer staging = ByteBuffer.allocateDirect(CHUNK);

    Zstandard(Output output, Compression compression) {
      super(output);
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
    public void write(ByteBuffer src) throws IOException {
      if (src.isDirect()) {
        compress(src, EndDirective.CONTINUE);
        return;
      }
      int limit = src.limit();
      while (src.hasRemaining()) {
        staging.clear();
        src.limit(src.position() + Math.min(staging.capacity(), src.remaining()));
        staging.put(src);
        src.limit(limit);
        staging.flip();
        compress(staging, EndDirective.CONTINUE);
      }
    }

    @Override
    public void flush() throws IOException {
      staging.clear().flip();
      compress(staging, EndDirective.FLUSH);
    }

    @Override
    public void end() throws IOException {
      staging.clear().flip();
      compress(staging, EndDirective.END);
    }

    /**
     * Feeds {@code src} until it is consumed and, for FLUSH and END, until zstd reports that
     * nothing is left inside it.
     */
    private void compress(ByteBuffer src, EndDirective directive) throws IOException {
      boolean done;
      do {
        try {
          done = context.compressDirectByteBufferStream(out, src, directive);
        } catch (ZstdException e) {
          throw new IOException("zstd compression failed: " + e.getMessage(), e);
        }
        if (out.position() > 0) {
          drain(out);
        }
      } while (src.hasRemaining() || (directive != EndDirective.CONTINUE && !done));
    }

    @Override
    public void release() {
      context.close();
    }
  }
}
