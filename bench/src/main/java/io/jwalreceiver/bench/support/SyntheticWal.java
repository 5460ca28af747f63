// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Generates what a physical walsender sends during {@code START_REPLICATION}: CopyData frames
 * holding XLogData messages (protocol-notes §4.1) with WAL-like payloads, and primary keepalives.
 * Dependency-free (JDK only), deterministic, and usable by tests as well as benchmarks.
 *
 * <pre>
 * CopyData   Byte1 'd' | Int32 length (counts itself) | body
 * XLogData   Byte1 'w' | Int64 dataStart | Int64 walEnd | Int64 sendTime | Byte[n] WAL
 * Keepalive  Byte1 'k' | Int64 walEnd | Int64 sendTime | Byte1 replyRequested
 * </pre>
 *
 * <p>The WAL bytes are a pure function of their LSN (and the seed), so the bytes at an LSN are the
 * same whichever message carries them and can be re-derived to check what a sink wrote. Each 8 KiB
 * page starts with a little-endian {@code XLogPageHeaderData} (a long header, with system
 * identifier, segment size and block size, on the first page of a segment), followed by MAXALIGNed
 * {@code XLogRecord}-shaped records: a 24-byte header and a body mixing repetitive tuple-like text
 * with random bytes, as heap inserts produce. The records are plausible in shape only (no valid
 * CRCs or resource-manager data); nothing in the receive path looks inside.
 *
 * <p>Messages are cut the way {@code XLogSendPhysical} cuts them: at most {@link #messageSize}
 * bytes, ending on a page boundary except at the end of the generated range. LSNs are contiguous
 * across segment boundaries; a message crosses one only when the start LSN or the message size is
 * not aligned.
 */
public final class SyntheticWal {

  /** XLOG_BLCKSZ. */
  public static final int PAGE_SIZE = 8192;

  /** The walsender's MAX_SEND_SIZE: 16 pages. */
  public static final int MAX_SEND_SIZE = 16 * PAGE_SIZE;

  /** The default {@code wal_segment_size}. */
  public static final int DEFAULT_SEGMENT_SIZE = 16 << 20;

  /** CopyData type byte plus length. */
  public static final int FRAME_HEADER = 5;

  /** XLogData header inside the CopyData body. */
  public static final int XLOG_DATA_HEADER = 1 + 8 + 8 + 8;

  /** A keepalive's CopyData body. */
  public static final int KEEPALIVE_SIZE = 1 + 8 + 8 + 1;

  /** A fixed send time (2025-01-01 00:00:00 UTC, in µs since 2000-01-01), for reproducibility. */
  public static final long SEND_TIME = 788_918_400_000_000L;

  /** PostgreSQL 15's XLOG_PAGE_MAGIC; the value only has to look right. */
  private static final short PAGE_MAGIC = (short) 0xD110;

  private static final short XLP_LONG_HEADER = 0x0002;
  private static final int SHORT_PAGE_HEADER = 24;
  private static final int LONG_PAGE_HEADER = 40;
  private static final int RECORD_HEADER = 24;
  private static final byte[] TEXT =
      "jwalreceiver synthetic heap tuple payload 0123456789 abcdefghijklmnopqrstuvwxyz "
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final long startLsn;
  private final int timeline;
  private final int segmentSize;
  private final int messageSize;
  private final int keepaliveEvery;
  private final int replyRequestEvery;
  private final long seed;

  private SyntheticWal(Builder b) {
    this.startLsn = b.startLsn;
    this.timeline = b.timeline;
    this.segmentSize = b.segmentSize;
    this.messageSize = b.messageSize;
    this.keepaliveEvery = b.keepaliveEvery;
    this.replyRequestEvery = b.replyRequestEvery;
    this.seed = b.seed;
  }

  /** A builder with the defaults: LSN 0/1000000, timeline 1, 16 MB segments, 128 KiB messages. */
  public static Builder builder() {
    return new Builder();
  }

  /** The first LSN generated. */
  public long startLsn() {
    return startLsn;
  }

  /** The timeline written into page headers. */
  public int timeline() {
    return timeline;
  }

  /** The segment size. */
  public int segmentSize() {
    return segmentSize;
  }

  /** The largest WAL payload per XLogData message. */
  public int messageSize() {
    return messageSize;
  }

  /**
   * A pre-generated replication stream.
   *
   * @param bytes consecutive CopyData frames, complete
   * @param startLsn the first WAL byte's LSN
   * @param endLsn the LSN just past the last WAL byte
   * @param xlogDataMessages how many XLogData frames
   * @param keepalives how many keepalive frames
   */
  public record Stream(
      byte[] bytes, long startLsn, long endLsn, int xlogDataMessages, int keepalives) {

    /** WAL bytes carried (payload only, without headers). */
    public long walBytes() {
      return endLsn - startLsn;
    }
  }

  /**
   * Generates the frames carrying {@code walBytes} bytes of WAL from {@link #startLsn()}, with a
   * keepalive after every {@code keepaliveEvery}-th XLogData message (none when 0).
   *
   * @param walBytes how much WAL, at most about 1.9 GiB of frames in all
   */
  public Stream stream(long walBytes) {
    if (walBytes <= 0) {
      throw new IllegalArgumentException("walBytes must be positive: " + walBytes);
    }
    long end = startLsn + walBytes;
    long messages = 0;
    long keepalives = 0;
    long frameBytes = 0;
    for (long lsn = startLsn; lsn != end; lsn = cut(lsn, end)) {
      long len = cut(lsn, end) - lsn;
      frameBytes += FRAME_HEADER + XLOG_DATA_HEADER + len;
      messages++;
      if (keepaliveEvery > 0 && messages % keepaliveEvery == 0) {
        frameBytes += FRAME_HEADER + KEEPALIVE_SIZE;
        keepalives++;
      }
    }
    if (frameBytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("stream too large for one array: " + frameBytes);
    }
    ByteBuffer out = ByteBuffer.allocate((int) frameBytes);
    byte[] wal = walBytes(startLsn, (int) Math.min(walBytes, Integer.MAX_VALUE - 16));
    long sent = 0;
    int walOffset = 0;
    for (long lsn = startLsn; lsn != end; ) {
      long next = cut(lsn, end);
      int len = (int) (next - lsn);
      putXLogData(out, lsn, next, SEND_TIME + (lsn - startLsn) / 1024, wal, walOffset, len);
      walOffset += len;
      sent++;
      if (keepaliveEvery > 0 && sent % keepaliveEvery == 0) {
        boolean reply = replyRequestEvery > 0 && (sent / keepaliveEvery) % replyRequestEvery == 0;
        putKeepalive(out, next, SEND_TIME + (next - startLsn) / 1024, reply);
      }
      lsn = next;
    }
    return new Stream(out.array(), startLsn, end, (int) messages, (int) keepalives);
  }

  /** Where the message starting at {@code lsn} ends (walsender's rule). */
  private long cut(long lsn, long end) {
    long next = lsn + messageSize;
    if (next >= end) {
      return end;
    }
    long pageAligned = next - Long.remainderUnsigned(next, PAGE_SIZE);
    return pageAligned > lsn ? pageAligned : next;
  }

  /** The WAL bytes of {@code [lsn, lsn + length)}. */
  public byte[] walBytes(long lsn, int length) {
    byte[] out = new byte[length];
    walBytes(lsn, out, 0, length);
    return out;
  }

  /** Writes the WAL bytes of {@code [lsn, lsn + length)} into {@code dst} at {@code offset}. */
  public void walBytes(long lsn, byte[] dst, int offset, int length) {
    byte[] page = new byte[PAGE_SIZE];
    long pos = lsn;
    int done = 0;
    while (done < length) {
      long pageLsn = pos - Long.remainderUnsigned(pos, PAGE_SIZE);
      fillPage(page, pageLsn);
      int from = (int) (pos - pageLsn);
      int n = Math.min(PAGE_SIZE - from, length - done);
      System.arraycopy(page, from, dst, offset + done, n);
      done += n;
      pos += n;
    }
  }

  /** Fills {@code page} (8 KiB) with the WAL page that starts at {@code pageLsn}. */
  public void fillPage(byte[] page, long pageLsn) {
    ByteBuffer p = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
    boolean first = Long.remainderUnsigned(pageLsn, segmentSize) == 0;
    SplittableRandom rnd = new SplittableRandom(seed ^ (pageLsn * 0x9E3779B97F4A7C15L));
    // XLogPageHeaderData: magic, info, tli, pageaddr, rem_len (+ 4 bytes padding).
    p.putShort(0, PAGE_MAGIC);
    p.putShort(2, first ? XLP_LONG_HEADER : 0);
    p.putInt(4, timeline);
    p.putLong(8, pageLsn);
    p.putInt(16, 0);
    p.putInt(20, 0);
    int pos = SHORT_PAGE_HEADER;
    if (first) {
      // XLogLongPageHeaderData: system identifier, segment size, block size.
      p.putLong(24, seed | 0x7000_0000_0000_0000L);
      p.putInt(32, segmentSize);
      p.putInt(36, PAGE_SIZE);
      pos = LONG_PAGE_HEADER;
    }
    long prev = pageLsn - 64;
    while (pos + RECORD_HEADER + 8 <= PAGE_SIZE) {
      int body = Math.min(16 + rnd.nextInt(400), PAGE_SIZE - pos - RECORD_HEADER);
      int total = RECORD_HEADER + body;
      // XLogRecord: tot_len, xid, prev, info, rmid, 2 bytes padding, crc.
      p.putInt(pos, total);
      p.putInt(pos + 4, 1000 + (int) ((pageLsn >>> 13) & 0xFFFFF));
      p.putLong(pos + 8, prev);
      p.put(pos + 16, (byte) 0x00);
      p.put(pos + 17, (byte) 10); // RM_HEAP_ID
      p.putShort(pos + 18, (short) 0);
      p.putInt(pos + 20, rnd.nextInt());
      int b = pos + RECORD_HEADER;
      int textLen = body * 3 / 4;
      int t = rnd.nextInt(TEXT.length);
      for (int i = 0; i < textLen; i++) {
        page[b + i] = TEXT[(t + i) % TEXT.length];
      }
      for (int i = textLen; i < body; i++) {
        page[b + i] = (byte) rnd.nextInt(256);
      }
      prev = pageLsn + pos;
      pos += (total + 7) & ~7; // MAXALIGN
    }
    for (int i = Math.min(pos, PAGE_SIZE); i < PAGE_SIZE; i++) {
      page[i] = 0;
    }
  }

  /**
   * Writes one CopyData frame holding an XLogData message.
   *
   * @param out where the frame goes (big-endian, as every wire integer)
   * @param dataStart the LSN of the first payload byte
   * @param walEnd the server's WAL end
   * @param sendTime µs since 2000-01-01 UTC
   * @param wal payload source
   * @param offset payload offset in {@code wal}
   * @param length payload length
   */
  public static void putXLogData(
      ByteBuffer out,
      long dataStart,
      long walEnd,
      long sendTime,
      byte[] wal,
      int offset,
      int length) {
    out.put((byte) 'd');
    out.putInt(4 + XLOG_DATA_HEADER + length);
    out.put((byte) 'w');
    out.putLong(dataStart);
    out.putLong(walEnd);
    out.putLong(sendTime);
    out.put(wal, offset, length);
  }

  /** Writes one CopyData frame holding a primary keepalive. */
  public static void putKeepalive(
      ByteBuffer out, long walEnd, long sendTime, boolean replyRequested) {
    out.put((byte) 'd');
    out.putInt(4 + KEEPALIVE_SIZE);
    out.put((byte) 'k');
    out.putLong(walEnd);
    out.putLong(sendTime);
    out.put((byte) (replyRequested ? 1 : 0));
  }

  /** Options of a {@link SyntheticWal}. */
  public static final class Builder {
    private long startLsn = 0x1000000L;
    private int timeline = 1;
    private int segmentSize = DEFAULT_SEGMENT_SIZE;
    private int messageSize = MAX_SEND_SIZE;
    private int keepaliveEvery = 0;
    private int replyRequestEvery = 0;
    private long seed = 0x6A77616CL;

    private Builder() {}

    /** The first LSN; a segment start in the defaults. */
    public Builder startLsn(long lsn) {
      this.startLsn = lsn;
      return this;
    }

    /** The timeline written into page headers. */
    public Builder timeline(int tli) {
      if (tli < 1) {
        throw new IllegalArgumentException("timeline must be at least 1: " + tli);
      }
      this.timeline = tli;
      return this;
    }

    /** A power of two between 1 MiB and 1 GiB. */
    public Builder segmentSize(int bytes) {
      if (bytes < (1 << 20) || bytes > (1 << 30) || Integer.bitCount(bytes) != 1) {
        throw new IllegalArgumentException("invalid segment size: " + bytes);
      }
      this.segmentSize = bytes;
      return this;
    }

    /** The largest WAL payload per message; the walsender uses {@link #MAX_SEND_SIZE}. */
    public Builder messageSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("message size must be positive: " + bytes);
      }
      this.messageSize = bytes;
      return this;
    }

    /**
     * A keepalive after every {@code n}-th XLogData message (0 = none); every {@code replyEvery}-th
     * of them asks for a reply (0 = never).
     */
    public Builder keepalives(int n, int replyEvery) {
      if (n < 0 || replyEvery < 0) {
        throw new IllegalArgumentException("negative keepalive interval");
      }
      this.keepaliveEvery = n;
      this.replyRequestEvery = replyEvery;
      return this;
    }

    /** Seed of the WAL content. */
    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    public SyntheticWal build() {
      return new SyntheticWal(this);
    }
  }
}
