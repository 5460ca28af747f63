// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * How a byte stream is cut into the chunks a transport hands out: whole, one byte at a time, fixed
 * sizes, explicit sizes, or seeded random sizes. Boundary bugs in a framer show up only when frames
 * straddle reads, so tests run the same input through several of these.
 */
public final class Chunking {

  private final String description;

  /**
   * A fresh sizer per split (so seeded splits repeat): given the bytes still to deliver, it answers
   * the size of the next chunk, between 1 and that number.
   */
  private final Supplier<IntUnaryOperator> sizer;

  private Chunking(String description, Supplier<IntUnaryOperator> sizer) {
    this.description = description;
    this.sizer = sizer;
  }

  /** One chunk holding everything. */
  public static Chunking whole() {
    return new Chunking("whole", () -> remaining -> remaining);
  }

  /** One byte per chunk. */
  public static Chunking oneByteAtATime() {
    return fixed(1);
  }

  /** Chunks of {@code size} bytes; the last may be shorter. */
  public static Chunking fixed(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("chunk size must be positive: " + size);
    }
    return new Chunking("fixed(" + size + ")", () -> remaining -> Math.min(size, remaining));
  }

  /**
   * Exactly these chunk sizes, in order; whatever is left after them is one more chunk. Sizes
   * beyond the input are cut short.
   */
  public static Chunking sizes(int... sizes) {
    int[] copy = sizes.clone();
    for (int s : copy) {
      if (s < 1) {
        throw new IllegalArgumentException(
            "chunk sizes must be positive: " + Arrays.toString(copy));
      }
    }
    return new Chunking(
        "sizes" + Arrays.toString(copy),
        () -> {
          int[] index = {0};
          return remaining ->
              index[0] < copy.length ? Math.min(copy[index[0]++], remaining) : remaining;
        });
  }

  /**
   * Random chunk sizes between 1 and {@code maxChunk}, from a {@link Random} seeded with {@code
   * seed}: the same seed always gives the same splits.
   */
  public static Chunking random(long seed, int maxChunk) {
    if (maxChunk < 1) {
      throw new IllegalArgumentException("maxChunk must be positive: " + maxChunk);
    }
    return new Chunking(
        "random(seed=" + seed + ", max=" + maxChunk + ")",
        () -> {
          Random rnd = new Random(seed);
          return remaining -> 1 + rnd.nextInt(Math.min(maxChunk, remaining));
        });
  }

  /** Random splits with chunks of up to 64 bytes. */
  public static Chunking random(long seed) {
    return random(seed, 64);
  }

  /** Cuts {@code data} into chunks; the chunks concatenated are {@code data}. */
  public List<byte[]> split(byte[] data) {
    IntUnaryOperator nextSize = sizer.get();
    List<byte[]> chunks = new ArrayList<>();
    int at = 0;
    while (at < data.length) {
      int n = nextSize.applyAsInt(data.length - at);
      chunks.add(Arrays.copyOfRange(data, at, at + n));
      at += n;
    }
    return chunks;
  }

  @Override
  public String toString() {
    return description;
  }
}
