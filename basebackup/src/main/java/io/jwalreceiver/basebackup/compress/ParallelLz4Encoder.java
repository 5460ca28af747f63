// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * One LZ4 frame whose independent 64 KiB blocks are compressed on several threads, read by {@code
 * lz4 -t}, lz4-java's {@code LZ4FrameInputStream} and {@link Lz4FrameDecoder} like any other.
 *
 * <pre>
 *  caller thread:  copy input into chunk k ─ submit ─ … ─ write chunk k, in order
 *  worker thread:  compress chunk k's 64 KiB blocks, each │ size 4 (bit 31: stored) │ data │ xxh32 4 │
 *
 *  frame: │ magic 184D2204 │ FLG │ BD │ HC │ chunk 0's blocks │ chunk 1's blocks │ … │ 0000 0000 │
 * </pre>
 *
 * <p>The frame settings are those receivewal's segment encoder uses: 64 KiB blocks (LZ4F's
 * default), independent blocks, and a checksum after every block instead of one over the whole
 * content: a content checksum is computed in stream order on the caller's thread (0.25 s of
 * CPU per 1.6 GB, on the thread that receives the backup), block checksums by the workers, and
 * {@code lz4 -t} checks either. (pg_basebackup writes neither.) Because the blocks are
 * independent, cutting the input into chunks of several blocks changes nothing in the output: it
 * is byte for byte what one thread writes, whatever the number of workers. Level 0 to 2 use the
 * fast compressor, 3 to 12 LZ4HC at that level.
 *
 * <p>Memory is bounded: at most {@code 2 × workers} chunks are in flight and their arrays are
 * recycled. With {@code workers == 0} chunks are compressed on the caller thread.
 */
final class ParallelLz4Encoder extends ArchiveEncoder {

  /** The frame's maximum block size (BD = 4). */
  static final int BLOCK_SIZE = 64 * 1024;

  /** Blocks per unit of work handed to a worker. */
  static final int BLOCKS_PER_CHUNK = 16;

  private static final int LZ4HC_MIN_LEVEL = 3;

  /** FLG: version 01, independent blocks, block checksums. */
  private static final byte FLG = 0x40 | 0x20 | 0x10;

  private static final XXHash32 BLOCK_HASH = XXHashFactory.fastestInstance().hash32();

  /** BD: maximum block size 64 KiB. */
  private static final byte BD = 4 << 4;

  private static final int MAGIC = 0x184D2204;

  private final LZ4Compressor compressor;
  private final int chunkSize;
  private final int maxOut;
  private final ExecutorService pool;
  private final int maxPending;
  private final int maxChunks;

  private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
  private final ArrayDeque<Chunk> free = new ArrayDeque<>();
  private int allocated;

  private boolean headerWritten;

  /** The chunk being filled, or null. */
  private Chunk current;

  /** Input for up to {@link #BLOCKS_PER_CHUNK} blocks and, once compressed, their framed output. */
  private static final class Chunk {
    final byte[] in;
    int inLength;
    final byte[] out;
    int outLength;
    Future<?> done;

    Chunk(int inSize, int outSize) {
      in = new byte[inSize];
      out = new byte[outSize];
    }
  }

  /**
   * @param level 0 to 12: 0 to 2 the fast compressor, 3 to 12 LZ4HC
   * @param workers compressing threads; 0 = on the caller thread
   */
  ParallelLz4Encoder(WritableByteChannel target, int level, int workers) {
    this(target, compressorFor(level), workers, BLOCKS_PER_CHUNK);
  }

  /**
   * @param compressor compresses one block; must be usable from several threads at once
   * @param blocksPerChunk blocks per unit of work (at least 1)
   */
  ParallelLz4Encoder(
      WritableByteChannel target, LZ4Compressor compressor, int workers, int blocksPerChunk) {
    super(target);
    if (workers < 0 || blocksPerChunk < 1) {
      throw new IllegalArgumentException("workers " + workers + ", blocks " + blocksPerChunk);
    }
    this.compressor = compressor;
    this.chunkSize = BLOCK_SIZE * blocksPerChunk;
    this.maxOut = blocksPerChunk * (4 + compressor.maxCompressedLength(BLOCK_SIZE) + 4);
    if (workers == 0) {
      this.pool = null;
      this.maxPending = 0;
      this.maxChunks = 1;
    } else {
      this.pool = CompressionThreads.pool("lz4", workers);
      this.maxPending = 2 * workers;
      this.maxChunks = maxPending + 1;
    }
  }

  /** As {@code LZ4F_compressBegin} maps levels: below 3 the fast compressor, else LZ4HC. */
  static LZ4Compressor compressorFor(int level) {
    LZ4Factory factory = LZ4Factory.fastestInstance();
    return level < LZ4HC_MIN_LEVEL ? factory.fastCompressor() : factory.highCompressor(level);
  }

  @Override
  void compress(ByteBuffer src) throws IOException {
    while (src.hasRemaining()) {
      if (current == null) {
        current = takeFreeChunk();
      }
      int n = Math.min(src.remaining(), chunkSize - current.inLength);
      src.get(current.in, current.inLength, n);
      current.inLength += n;
      if (current.inLength == chunkSize) {
        submit();
      }
    }
  }

  @Override
  void end() throws IOException {
    if (current != null) {
      submit();
    }
    while (!pending.isEmpty()) {
      writeOldest();
    }
    writeHeaderOnce();
    ByteBuffer trailer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    trailer.putInt(0).flip();
    append(trailer);
  }

  @Override
  void release() {
    if (pool != null) {
      CompressionThreads.stop(pool);
    }
    pending.clear();
    free.clear();
    current = null;
  }

  private Chunk takeFreeChunk() throws IOException {
    while (free.isEmpty() && allocated >= maxChunks && !pending.isEmpty()) {
      writeOldest();
    }
    Chunk c = free.poll();
    if (c == null) {
      c = new Chunk(chunkSize, maxOut);
      allocated++;
    }
    c.inLength = 0;
    c.outLength = 0;
    c.done = null;
    return c;
  }

  private void submit() throws IOException {
    Chunk c = current;
    current = null;
    if (pool == null) {
      compressBlocks(compressor, c);
      writeOut(c);
      return;
    }
    c.done = pool.submit(() -> compressBlocks(compressor, c));
    pending.add(c);
    while (pending.size() > maxPending) {
      writeOldest();
    }
  }

  /** Waits for the oldest pending chunk and writes its output. */
  private void writeOldest() throws IOException {
    Chunk c = pending.poll();
    CompressionThreads.await(c.done, "lz4");
    writeOut(c);
  }

  private void writeOut(Chunk c) throws IOException {
    writeHeaderOnce();
    append(ByteBuffer.wrap(c.out, 0, c.outLength));
    free.add(c);
  }

  private void writeHeaderOnce() throws IOException {
    if (headerWritten) {
      return;
    }
    headerWritten = true;
    XXHash32 hash = XXHashFactory.fastestInstance().hash32();
    byte[] descriptor = {FLG, BD};
    byte hc = (byte) (hash.hash(descriptor, 0, 2, 0) >>> 8);
    ByteBuffer header = ByteBuffer.allocate(7).order(ByteOrder.LITTLE_ENDIAN);
    header.putInt(MAGIC).put(FLG).put(BD).put(hc).flip();
    append(header);
  }

  /**
   * Compresses a chunk's blocks into its output, each behind its little-endian size and followed
   * by the XXH32 of its bytes as stored; a block that does not shrink is stored (size with bit 31
   * set). Runs on a worker thread.
   */
  private static void compressBlocks(LZ4Compressor compressor, Chunk c) {
    ByteBuffer out = ByteBuffer.wrap(c.out).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < c.inLength; off += BLOCK_SIZE) {
      int length = Math.min(BLOCK_SIZE, c.inLength - off);
      int at = out.position();
      int room = c.out.length - at - 8;
      int n = compressor.compress(c.in, off, length, c.out, at + 4, room);
      int stored;
      if (n < length) {
        out.putInt(n);
        out.position(at + 4 + n);
        stored = n;
      } else {
        out.putInt(length | 0x80000000);
        out.put(c.in, off, length);
        stored = length;
      }
      out.putInt(BLOCK_HASH.hash(c.out, at + 4, stored, 0));
    }
    c.outLength = out.position();
  }
}
