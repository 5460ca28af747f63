// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Generates 8 KiB heap pages shaped like {@code pgbench_accounts} after some pgbench traffic: what
 * most of a base backup of a pgbench database consists of. JDK only, deterministic.
 *
 * <pre>
 * page   = PageHeaderData (24 B) | ItemIdData (4 B) × n | free space | tuples (from the end)
 * tuple  = HeapTupleHeaderData (23 B, padded to 24) | aid int4 | bid int4 | abalance int4
 *          | filler char(84): 1-byte varlena header + 84 blanks            → 121 B, MAXALIGN 128
 * </pre>
 *
 * <p>Transaction ids, tuple ids and balances vary the way an updated table's do (xmin from a moving
 * window, a fraction of tuples with xmax set and a non-zero balance), so the data compresses like
 * real heap pages rather than like zeros: the blank-padded filler and the repeated header bytes
 * compress well, the ids and balances do not.
 */
public final class HeapPages {

  /** BLCKSZ. */
  public static final int PAGE_SIZE = 8192;

  private static final int PAGE_HEADER = 24;
  private static final int TUPLE_HEADER = 24;
  private static final int FILLER = 84;
  private static final int TUPLE = TUPLE_HEADER + 12 + 1 + FILLER;
  private static final int TUPLE_ALIGNED = (TUPLE + 7) & ~7;

  private HeapPages() {}

  /** {@code bytes} (rounded down to whole pages) of consecutive heap pages; seed 1. */
  public static byte[] generate(int bytes) {
    return generate(bytes, 1);
  }

  /** {@code bytes} (rounded down to whole pages) of consecutive heap pages. */
  public static byte[] generate(int bytes, long seed) {
    int pages = bytes / PAGE_SIZE;
    byte[] out = new byte[pages * PAGE_SIZE];
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom random = new SplittableRandom(seed);
    int perPage = (PAGE_SIZE - PAGE_HEADER) / (4 + TUPLE_ALIGNED);
    int aid = 1;
    long lsn = 0x1_0000_0000L;
    for (int p = 0; p < pages; p++) {
      int base = p * PAGE_SIZE;
      int lower = PAGE_HEADER + 4 * perPage;
      int upper = PAGE_SIZE - perPage * TUPLE_ALIGNED;
      lsn += 64 + random.nextInt(4096);
      b.putLong(base, lsn); // pd_lsn (xlogid, xrecoff as two little-endian int32 on x86)
      b.putShort(base + 8, (short) random.nextInt(1 << 16)); // pd_checksum
      b.putShort(base + 10, (short) 0x0004); // pd_flags: PD_ALL_VISIBLE
      b.putShort(base + 12, (short) lower);
      b.putShort(base + 14, (short) upper);
      b.putShort(base + 16, (short) PAGE_SIZE); // pd_special
      b.putShort(base + 18, (short) (PAGE_SIZE | 4)); // pd_pagesize_version
      b.putInt(base + 20, 0); // pd_prune_xid
      int xminBase = 1000 + p / 4;
      for (int t = 0; t < perPage; t++, aid++) {
        int off = PAGE_SIZE - (t + 1) * TUPLE_ALIGNED;
        // ItemIdData: lp_off:15, lp_flags:2 (LP_NORMAL = 1), lp_len:15
        b.putInt(base + PAGE_HEADER + 4 * t, off | (1 << 15) | (TUPLE << 17));
        int tp = base + off;
        boolean updated = random.nextInt(8) == 0;
        b.putInt(tp, xminBase + random.nextInt(16)); // t_xmin
        b.putInt(tp + 4, updated ? xminBase + 100 + random.nextInt(5000) : 0); // t_xmax
        b.putInt(tp + 8, 0); // t_cid
        b.putInt(tp + 12, p); // t_ctid block (bi_hi, bi_lo)
        b.putShort(tp + 16, (short) (t + 1)); // t_ctid offset
        b.putShort(tp + 18, (short) 4); // t_infomask2: natts
        b.putShort(tp + 20, (short) (updated ? 0x0902 : 0x0902 | 0x0800)); // t_infomask
        out[tp + 22] = TUPLE_HEADER; // t_hoff
        b.putInt(tp + 24, aid);
        b.putInt(tp + 28, (aid - 1) / 100_000 + 1);
        b.putInt(tp + 32, updated ? random.nextInt(-5_000_000, 5_000_000) : 0);
        out[tp + 36] = (byte) ((1 + FILLER) << 1 | 1); // short varlena header
        for (int i = 0; i < FILLER; i++) {
          out[tp + 37 + i] = ' ';
        }
      }
    }
    return out;
  }
}
