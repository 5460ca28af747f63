// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import net.jpountz.xxhash.StreamingXXHash32;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;
import org.jspecify.annotations.Nullable;

/**
 * Reads the LZ4 frame format (lz4 {@code doc/lz4_Frame_format.md}), including <em>linked</em>
 * blocks, which PostgreSQL's server-side LZ4 writes (LZ4F's default) and lz4-java's {@code
 * LZ4FrameInputStream} refuses ("Dependent block stream is unsupported").
 *
 * <pre>
 * frame: │ magic 184D2204 │ FLG │ BD │ [content size 8] │ [dict id 4] │ HC │ block* │ 0000 0000 │ [xxh32 4] │
 * block: │ size 4 (bit 31: stored) │ data │ [xxh32 4] │
 * </pre>
 *
 * <p>Blocks are decoded by a small pure-Java LZ4 block decoder into a window that keeps the last 64
 * KiB of output before each block, so matches may reach back into the previous block. Concatenated
 * frames and skippable frames are read through; block and content checksums are verified when
 * present; dictionary IDs are refused.
 */
public final class Lz4FrameDecoder extends InputStream {

  private static final int MAGIC = 0x184D2204;
  private static final int SKIPPABLE_MASK = 0xFFFFFFF0;
  private static final int SKIPPABLE = 0x184D2A50;
  private static final int HISTORY = 64 * 1024;

  private final InputStream in;
  private final XXHash32 hash32 = XXHashFactory.fastestInstance().hash32();

  private boolean inFrame;
  private boolean blockChecksum;
  private boolean contentChecksum;
  private int maxBlock;
  private @Nullable StreamingXXHash32 contentHash;

  private byte[] compressed = new byte[0];

  /** Output: up to 64 KiB of history, then the current block's bytes. */
  private byte[] window = new byte[0];

  private int historyEnd;
  private int position;
  private int limit;
  private boolean eof;

  /**
   * A decoder reading compressed bytes from {@code in} (closed with this stream).
   *
   * @param in the compressed stream
   */
  public Lz4FrameDecoder(InputStream in) {
    this.in = new BufferedInputStream(Objects.requireNonNull(in, "in"), 64 * 1024);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    while (position == limit) {
      if (eof || !nextBlock()) {
        eof = true;
        return -1;
      }
    }
    int n = Math.min(len, limit - position);
    System.arraycopy(window, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public int available() {
    return limit - position;
  }

  @Override
  public void close() throws IOException {
    in.close();
    if (contentHash != null) {
      contentHash.close();
    }
  }

  /** Decodes the next block (reading frame headers and trailers on the way); false at the end. */
  private boolean nextBlock() throws IOException {
    while (true) {
      if (!inFrame && !readFrameHeader()) {
        return false;
      }
      int size = readIntLe();
      if (size == 0) {
        if (contentChecksum) {
          int expected = readIntLe();
          if (Objects.requireNonNull(contentHash).getValue() != expected) {
            throw new IOException("LZ4 content checksum mismatch");
          }
        }
        inFrame = false;
        continue;
      }
      boolean stored = size < 0;
      size &= 0x7fffffff;
      if (size > maxBlock) {
        throw new IOException(
            "LZ4 block of " + size + " bytes exceeds the frame's maximum of " + maxBlock);
      }
      readFully(compressed, size);
      if (blockChecksum && hash32.hash(compressed, 0, size, 0) != readIntLe()) {
        throw new IOException("LZ4 block checksum mismatch");
      }
      if (historyEnd + maxBlock > window.length) {
        int keep = Math.min(HISTORY, historyEnd);
        System.arraycopy(window, historyEnd - keep, window, 0, keep);
        historyEnd = keep;
      }
      int n;
      if (stored) {
        System.arraycopy(compressed, 0, window, historyEnd, size);
        n = size;
      } else {
        n = decodeBlock(compressed, size, window, historyEnd, maxBlock);
      }
      if (contentChecksum) {
        Objects.requireNonNull(contentHash).update(window, historyEnd, n);
      }
      position = historyEnd;
      limit = historyEnd + n;
      historyEnd = limit;
      if (n > 0) {
        return true;
      }
    }
  }

  /** Reads a frame header, skipping skippable frames; false at a clean end of input. */
  private boolean readFrameHeader() throws IOException {
    while (true) {
      int first = in.read();
      if (first < 0) {
        return false;
      }
      byte[] rest = new byte[3];
      readFully(rest, 3);
      int magic = first | (rest[0] & 0xff) << 8 | (rest[1] & 0xff) << 16 | (rest[2] & 0xff) << 24;
      if ((magic & SKIPPABLE_MASK) == SKIPPABLE) {
        long skip = readIntLe() & 0xffffffffL;
        while (skip > 0) {
          long k = in.skip(skip);
          if (k <= 0) {
            if (in.read() < 0) {
              throw new EOFException("LZ4 stream ended prematurely");
            }
            k = 1;
          }
          skip -= k;
        }
        continue;
      }
      if (magic != MAGIC) {
        throw new IOException("not an LZ4 frame (magic number " + Integer.toHexString(magic) + ")");
      }
      byte[] descriptor = new byte[2 + 8 + 4];
      readFully(descriptor, 2);
      int flg = descriptor[0] & 0xff;
      int bd = descriptor[1] & 0xff;
      if ((flg >>> 6) != 1 || (flg & 0x02) != 0 || (bd & 0x8f) != 0) {
        throw new IOException("invalid LZ4 frame descriptor");
      }
      int length = 2;
      if ((flg & 0x08) != 0) {
        readInto(descriptor, length, 8);
        length += 8;
      }
      if ((flg & 0x01) != 0) {
        throw new IOException("LZ4 frames with a dictionary are not supported");
      }
      int hc = in.read();
      if (hc < 0) {
        throw new EOFException("LZ4 stream ended prematurely");
      }
      if (((hash32.hash(descriptor, 0, length, 0) >>> 8) & 0xff) != hc) {
        throw new IOException("LZ4 frame descriptor checksum mismatch");
      }
      int blockSizeId = (bd >>> 4) & 7;
      if (blockSizeId < 4) {
        throw new IOException("invalid LZ4 block size id " + blockSizeId);
      }
      maxBlock = 1 << (8 + 2 * blockSizeId);
      blockChecksum = (flg & 0x10) != 0;
      contentChecksum = (flg & 0x04) != 0;
      if (contentChecksum) {
        if (contentHash != null) {
          contentHash.close();
        }
        contentHash = XXHashFactory.fastestInstance().newStreamingHash32(0);
      }
      if (compressed.length < maxBlock) {
        compressed = new byte[maxBlock];
      }
      if (window.length < HISTORY + 2 * maxBlock) {
        byte[] bigger = new byte[HISTORY + 2 * maxBlock];
        System.arraycopy(window, 0, bigger, 0, historyEnd);
        window = bigger;
      }
      // A new frame does not refer to the previous one's data.
      historyEnd = 0;
      position = limit = 0;
      inFrame = true;
      return true;
    }
  }

  /**
   * The extension of a literal or match length that reached 15 in the token, read from {@code
   * src[sp]} on: each byte adds its value, and a byte of 255 means another follows. As the last
   * byte is below 255, the extension took {@code extra / 255 + 1} bytes.
   */
  private static int extendedLength(byte[] src, int sp, int srcLength) throws IOException {
    int extra = 0;
    int b;
    do {
      if (sp >= srcLength) {
        throw corrupt(sp);
      }
      b = src[sp++] & 0xff;
      extra += b;
    } while (b == 255);
    return extra;
  }

  /**
   * Decodes one LZ4 block (lz4 {@code doc/lz4_Block_format.md}) from {@code src[0, srcLength)} into
   * {@code dst} at {@code dstOff}; matches may refer to any earlier byte of {@code dst}.
   *
   * @return the number of bytes written
   */
  static int decodeBlock(byte[] src, int srcLength, byte[] dst, int dstOff, int maxOut)
      throws IOException {
    int sp = 0;
    int dp = dstOff;
    int dend = dstOff + maxOut;
    while (true) {
      if (sp >= srcLength) {
        throw corrupt(sp);
      }
      int token = src[sp++] & 0xff;
      int literals = token >>> 4;
      if (literals == 15) {
        int extra = extendedLength(src, sp, srcLength);
        literals += extra;
        sp += extra / 255 + 1;
      }
      if (literals > srcLength - sp || literals > dend - dp) {
        throw corrupt(sp);
      }
      System.arraycopy(src, sp, dst, dp, literals);
      sp += literals;
      dp += literals;
      if (sp == srcLength) {
        return dp - dstOff;
      }
      if (sp + 2 > srcLength) {
        throw corrupt(sp);
      }
      int offset = (src[sp] & 0xff) | (src[sp + 1] & 0xff) << 8;
      sp += 2;
      int matchLength = token & 15;
      if (matchLength == 15) {
        int extra = extendedLength(src, sp, srcLength);
        matchLength += extra;
        sp += extra / 255 + 1;
      }
      matchLength += 4;
      int match = dp - offset;
      if (offset == 0 || match < 0 || matchLength > dend - dp) {
        throw corrupt(sp);
      }
      if (offset >= matchLength) {
        System.arraycopy(dst, match, dst, dp, matchLength);
      } else {
        for (int i = 0; i < matchLength; i++) {
          dst[dp + i] = dst[match + i];
        }
      }
      dp += matchLength;
    }
  }

  private static IOException corrupt(int at) {
    return new IOException("corrupt LZ4 block at byte " + at);
  }

  private int readIntLe() throws IOException {
    byte[] b = new byte[4];
    readFully(b, 4);
    return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
  }

  private void readFully(byte[] b, int length) throws IOException {
    readInto(b, 0, length);
  }

  private void readInto(byte[] b, int off, int length) throws IOException {
    int done = 0;
    while (done < length) {
      int n = in.read(b, off + done, length - done);
      if (n < 0) {
        throw new EOFException("LZ4 stream ended prematurely");
      }
      done += n;
    }
  }
}
