// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
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
 * content: a content checksum is computed in stream order on the caller's thread (0.25 s of CPU per
 * 1.6 GB, on the thread that receives the backup), block checksums by the workers, and {@code lz4
 * -t} checks either. (pg_basebackup writes neither.) Because the blocks are independent, cutting
 * the input into chunks of several blocks changes nothing in the output: it is byte for byte what
 * one thread writes, whatever the number of workers. Level 0 to 2 use the fast compressor, 3 to 12
 * LZ4HC at that level.
 *
 * <p>The chunks go through {@link ParallelBlockEncoder}'s pipeline (bounded memory, output in
 * order; with {@code workers == 0} on the caller thread).
 */
final class ParallelLz4Encoder extends ParallelBlockEncoder<ParallelLz4Encoder.Chunk> {

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
  private final int maxOut;

  private boolean headerWritten;

  /** Input for up to {@link #BLOCKS_PER_CHUNK} blocks and, once compressed, their framed output. */
  static final class Chunk extends ParallelBlockEncoder.Block {
    final byte[] out;
    int outLength;

    Chunk(int inSize, int outSize) {
      super(inSize);
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
    super(target, "lz4", chunkSize(blocksPerChunk), workers, 0);
    this.compressor = compressor;
    this.maxOut = blocksPerChunk * (4 + compressor.maxCompressedLength(BLOCK_SIZE) + 4);
  }

  private static int chunkSize(int blocksPerChunk) {
    if (blocksPerChunk < 1) {
      throw new IllegalArgumentException("blocks " + blocksPerChunk);
    }
    return BLOCK_SIZE * blocksPerChunk;
  }

  /** As {@code LZ4F_compressBegin} maps levels: below 3 the fast compressor, else LZ4HC. */
  static LZ4Compressor compressorFor(int level) {
    LZ4Factory factory = LZ4Factory.fastestInstance();
    return level < LZ4HC_MIN_LEVEL ? factory.fastCompressor() : factory.highCompressor(level);
  }

  @Override
  Chunk newBlock(int blockSize) {
    return new Chunk(blockSize, maxOut);
  }

  @Override
  void work(Chunk c) {
    compressBlocks(compressor, c);
  }

  @Override
  void written(Chunk c) throws IOException {
    writeHeaderOnce();
    append(ByteBuffer.wrap(c.out, 0, c.outLength));
    recycle(c);
  }

  @Override
  void end() throws IOException {
    submitLastAndDrain(false);
    writeHeaderOnce();
    ByteBuffer trailer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    trailer.putInt(0).flip();
    append(trailer);
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
   * Compresses a chunk's blocks into its output, each behind its little-endian size and followed by
   * the XXH32 of its bytes as stored; a block that does not shrink is stored (size with bit 31
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
