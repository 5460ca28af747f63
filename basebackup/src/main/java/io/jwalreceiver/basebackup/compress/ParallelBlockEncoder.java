// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * The pipeline {@link ParallelGzipEncoder} and {@link ParallelLz4Encoder} share: the caller's bytes
 * are cut into fixed-size blocks, each block is compressed on a worker thread, and the outputs are
 * written in input order.
 *
 * <pre>
 *  caller thread:  fill block k ─ prepare(k) ─ submit ─ … ─ await k ─ written(k), in order
 *  worker thread:  work(k)
 * </pre>
 *
 * <p>Memory is bounded: at most {@code 2 × workers} blocks are in flight, plus the one being filled
 * and the {@code retained} blocks a subclass keeps after writing them (gzip keeps the last one as
 * its successor's dictionary); their arrays are recycled. With {@code workers == 0} blocks are
 * compressed on the caller thread, with the same output.
 *
 * @param <B> the subclass's block: the input plus whatever its compression produces
 */
abstract class ParallelBlockEncoder<B extends ParallelBlockEncoder.Block> extends ArchiveEncoder {

  /** One block of input; subclasses add their output. */
  static class Block {
    final byte[] in;
    int inLength;
    @Nullable Future<?> done;

    Block(int size) {
      in = new byte[size];
    }
  }

  private final String algorithm;
  private final int blockSize;
  private final @Nullable ExecutorService pool;
  private final int maxPending;
  private final int maxBlocks;

  private final ArrayDeque<B> pending = new ArrayDeque<>();
  private final ArrayDeque<B> free = new ArrayDeque<>();
  private int allocated;

  /** The block being filled, or null. */
  private @Nullable B current;

  /**
   * @param algorithm names the worker threads and errors
   * @param blockSize input bytes per block
   * @param workers compressing threads; 0 = on the caller thread
   * @param retained blocks the subclass holds after {@link #written} before {@link #recycle}
   */
  ParallelBlockEncoder(
      WritableByteChannel target, String algorithm, int blockSize, int workers, int retained) {
    super(target);
    if (workers < 0) {
      throw new IllegalArgumentException("workers " + workers);
    }
    this.algorithm = algorithm;
    this.blockSize = blockSize;
    this.pool = workers == 0 ? null : CompressionThreads.pool(algorithm, workers);
    this.maxPending = 2 * workers;
    this.maxBlocks = maxPending + 1 + retained;
  }

  /** A new block of {@code blockSize} input bytes. */
  abstract B newBlock(int blockSize);

  /** Caller thread, before the block is handed to a worker. */
  void prepare(B block, boolean last) {}

  /** Compresses the block; on a worker thread (the caller's without workers). */
  abstract void work(B block);

  /** Caller thread, in input order, once the block is compressed: write it, then recycle it. */
  abstract void written(B block) throws IOException;

  /** Caller thread, after the workers have stopped: frees what the subclass holds. */
  void stopped() {}

  @Override
  final void compress(ByteBuffer src) throws IOException {
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

  /**
   * Submits the block being filled as the last one (an empty one when {@code evenIfEmpty} and no
   * block is being filled) and writes every block still pending.
   */
  final void submitLastAndDrain(boolean evenIfEmpty) throws IOException {
    if (current == null && evenIfEmpty) {
      current = takeFreeBlock();
    }
    if (current != null) {
      submit(true);
    }
    while (!pending.isEmpty()) {
      writeOldest();
    }
  }

  /** Makes a written block's arrays available again. */
  final void recycle(B block) {
    free.add(block);
  }

  @Override
  final void release() {
    if (pool != null) {
      // Waits for running blocks, so that nothing the workers use is freed under them.
      CompressionThreads.stop(pool);
    }
    stopped();
    pending.clear();
    free.clear();
    current = null;
  }

  private B takeFreeBlock() throws IOException {
    while (free.isEmpty() && allocated >= maxBlocks && !pending.isEmpty()) {
      writeOldest();
    }
    B b = free.poll();
    if (b == null) {
      b = newBlock(blockSize);
      allocated++;
    }
    b.inLength = 0;
    b.done = null;
    return b;
  }

  private void submit(boolean last) throws IOException {
    B b = Objects.requireNonNull(current, "a block is being filled");
    current = null;
    prepare(b, last);
    if (pool == null) {
      work(b);
      written(b);
      return;
    }
    b.done = pool.submit(() -> work(b));
    pending.add(b);
    while (pending.size() > maxPending) {
      writeOldest();
    }
  }

  /** Waits for the oldest pending block and writes its output. */
  private void writeOldest() throws IOException {
    B b = Objects.requireNonNull(pending.poll(), "a block is pending");
    CompressionThreads.await(Objects.requireNonNull(b.done), algorithm);
    written(b);
  }
}
