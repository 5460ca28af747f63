// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip on several threads, the way pigz does it, producing one ordinary gzip member (RFC 1952)
 * that zlib, {@code gzip -t} and {@link java.util.zip.GZIPInputStream} read like any other.
 *
 * <pre>
 *  caller thread:  copy input into block k ─ submit ─ … ─ write block k's output, fold its CRC in
 *  worker thread:  CRC-32 of block k; deflate it with the last 32 KiB of block k-1 as dictionary,
 *                  ending in a sync flush (the last block: finish)
 *
 *  file: │ gzip header │ deflate(block 0) │ deflate(block 1) │ … │ deflate(last, BFINAL) │ CRC-32 │ ISIZE │
 * </pre>
 *
 * <p>A sync flush ends each block's deflate output on a byte boundary without ending the deflate
 * stream, and the preset dictionary lets block k refer back into block k-1 exactly as a single
 * deflater would (a deflate window is 32 KiB), so the concatenation is one valid deflate stream;
 * the cost against one deflater is one empty stored block (5 bytes) per block and matches that
 * could have crossed the block boundary with a longer history. Each worker also computes its
 * block's CRC-32, and the caller folds them into the stream's in order ({@link Crc32Combine}):
 * the thread that receives the backup does not checksum the stream (0.14 s of CPU per 1.6 GB).
 *
 * <p>Memory is bounded: at most {@code 2 × workers} blocks are in flight, and their arrays are
 * recycled once no later block needs them as a dictionary. With {@code workers == 0} blocks are
 * compressed on the caller thread (the same output, one core).
 */
final class ParallelGzipEncoder extends ArchiveEncoder {

  /**
   * Uncompressed bytes per block: each costs a preset dictionary (32 KiB hashed again) and a
   * sync flush, so larger blocks cost less; 1 MiB keeps {@code 2 × workers} blocks in flight
   * small.
   */
  static final int DEFAULT_BLOCK_SIZE = 1024 * 1024;

  /** The deflate window: how far back a match may reach. */
  private static final int WINDOW = 32 * 1024;

  /** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=3 (Unix), as zlib's gzdopen writes it. */
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

  private final int level;
  private final int blockSize;
  private final ExecutorService pool;
  private final int maxPending;
  private final int maxBlocks;
  private final ThreadLocal<Deflater> deflaters;
  private final List<Deflater> allDeflaters = new ArrayList<>();
  private final Deflater inline;

  private final ArrayDeque<Block> pending = new ArrayDeque<>();
  private final ArrayDeque<Block> free = new ArrayDeque<>();
  private int allocated;

  /** The CRC-32 of the blocks written so far. */
  private int crc;
  private long size;
  private boolean headerWritten;

  /** The block being filled, or null. */
  private Block current;
  /** The last block submitted: the next one's dictionary. */
  private Block previous;
  /** The last block written out: recycled once its successor is written. */
  private Block lastWritten;

  /** One block: its input, and (once compressed) its output. */
  private static final class Block {
    final byte[] in;
    int inLength;
    byte[] out;
    int outLength;
    /** CRC-32 of {@code in[0, inLength)}, set by the worker. */
    int crc;
    Block dictionary;
    boolean last;
    Future<?> done;

    Block(int size) {
      in = new byte[size];
      // deflateBound: a little more than the input for incompressible data.
      out = new byte[size + (size >> 3) + 64];
    }
  }

  /**
   * @param level the zlib level, 1 to 9, or -1 for zlib's default
   * @param workers compressing threads; 0 = on the caller thread
   * @param blockSize uncompressed bytes per block (at least 32 KiB)
   */
  ParallelGzipEncoder(WritableByteChannel target, int level, int workers, int blockSize) {
    super(target);
    if (workers < 0 || blockSize < WINDOW) {
      throw new IllegalArgumentException("workers " + workers + ", block size " + blockSize);
    }
    this.level = level;
    this.blockSize = blockSize;
    if (workers == 0) {
      this.pool = null;
      this.deflaters = null;
      this.inline = new Deflater(level, true);
      this.maxPending = 0;
      this.maxBlocks = 2;
    } else {
      this.inline = null;
      this.pool = CompressionThreads.pool("gzip", workers);
      this.deflaters = ThreadLocal.withInitial(this::newDeflater);
      this.maxPending = 2 * workers;
      // pending + the block being filled + the last one written (a pending block's dictionary).
      this.maxBlocks = maxPending + 2;
    }
  }

  private Deflater newDeflater() {
    Deflater d = new Deflater(level, true);
    synchronized (allDeflaters) {
      allDeflaters.add(d);
    }
    return d;
  }

  @Override
  void compress(ByteBuffer src) throws IOException {
    size += src.remaining();
    while (src.hasRemaining()) {
      if (current == null) {
        current = takeFreeBlock();
      }
      int n = Math.min(src.remaining(), blockSize - current.inLength);
      src.get(current.in, current.inLength, n);
      current.inLength += n;
      if (current.inLength == blockSize) {
        submit(false);
      }
    }
  }

  @Override
  void end() throws IOException {
    if (current == null) {
      current = takeFreeBlock();
    }
    submit(true);
    while (!pending.isEmpty()) {
      writeOldest();
    }
    ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    trailer.putInt(crc).putInt((int) size).flip();
    append(trailer);
  }

  @Override
  void release() {
    if (pool != null) {
      // Waits for running blocks, so that no deflater is ended while in use.
      CompressionThreads.stop(pool);
      synchronized (allDeflaters) {
        allDeflaters.forEach(Deflater::end);
        allDeflaters.clear();
      }
    } else {
      inline.end();
    }
    pending.clear();
    free.clear();
    current = previous = lastWritten = null;
  }

  private Block takeFreeBlock() throws IOException {
    while (free.isEmpty() && allocated >= maxBlocks && !pending.isEmpty()) {
      writeOldest();
    }
    Block b = free.poll();
    if (b == null) {
      b = new Block(blockSize);
      allocated++;
    }
    b.inLength = 0;
    b.outLength = 0;
    b.dictionary = null;
    b.last = false;
    b.done = null;
    return b;
  }

  private void submit(boolean last) throws IOException {
    Block b = current;
    current = null;
    b.last = last;
    b.dictionary = previous;
    previous = b;
    if (pool == null) {
      deflate(inline, b);
      writeOut(b);
      return;
    }
    b.done = pool.submit(() -> deflate(deflaters.get(), b));
    pending.add(b);
    while (pending.size() > maxPending) {
      writeOldest();
    }
  }

  /** Waits for the oldest pending block and writes its output. */
  private void writeOldest() throws IOException {
    Block b = pending.poll();
    CompressionThreads.await(b.done, "gzip");
    writeOut(b);
  }

  private void writeOut(Block b) throws IOException {
    if (!headerWritten) {
      headerWritten = true;
      append(ByteBuffer.wrap(HEADER));
    }
    append(ByteBuffer.wrap(b.out, 0, b.outLength));
    crc = Crc32Combine.combine(crc, b.crc, b.inLength);
    b.dictionary = null;
    // b's compression is done, so the block before it is no longer anyone's dictionary.
    if (lastWritten != null) {
      free.add(lastWritten);
    }
    lastWritten = b;
  }

  /**
   * Checksums and deflates one block: preset dictionary from the previous block's last 32 KiB, then sync flush
   * (or finish, for the last block). Runs on a worker thread.
   */
  private static void deflate(Deflater d, Block b) {
    CRC32 blockCrc = new CRC32();
    blockCrc.update(b.in, 0, b.inLength);
    b.crc = (int) blockCrc.getValue();
    d.reset();
    Block dict = b.dictionary;
    if (dict != null && dict.inLength > 0) {
      int n = Math.min(WINDOW, dict.inLength);
      d.setDictionary(dict.in, dict.inLength - n, n);
    }
    d.setInput(b.in, 0, b.inLength);
    if (b.last) {
      d.finish();
    }
    int length = 0;
    while (true) {
      if (length == b.out.length) {
        b.out = Arrays.copyOf(b.out, b.out.length * 2);
      }
      int room = b.out.length - length;
      int n = d.deflate(b.out, length, room, b.last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH);
      length += n;
      // With SYNC_FLUSH a call that fills the buffer may have more to give (see Deflater).
      if (b.last ? d.finished() : n < room) {
        break;
      }
    }
    b.outLength = length;
  }
}
