// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Reading a segment object through: size, long page header, SHA-256, gzip. */
class SegmentCheckTest {

  private static final WalSegmentSize SIZE = new WalSegmentSize(1 << 20);
  private static final TimelineId TL2 = TimelineId.of(2);

  /** A segment of timeline 2 whose header names {@code pageTli} and starts at its address. */
  private static byte[] segment(SegmentName name, int pageTli) {
    byte[] b = new byte[SIZE.bytes()];
    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    h.putShort(0, (short) 0xD110);
    h.putShort(2, (short) 0x0002);
    h.putInt(4, pageTli);
    h.putLong(8, name.startLsn().value());
    h.putLong(24, 7345L);
    h.putInt(32, SIZE.bytes());
    h.putInt(36, 8192);
    b[100_000] = 42;
    return b;
  }

  private static WalFile file(String name) {
    return new WalFile("wal/" + name, SegmentName.parseArchiveName(name, SIZE).orElseThrow(), 0);
  }

  private static SegmentCheck.Outcome check(byte[] content, String name, String sha256) {
    return SegmentCheck.check(new ByteArrayInputStream(content), file(name), SIZE, sha256, TL2);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(b);
    }
    return out.toByteArray();
  }

  private final SegmentName name = new SegmentName(TL2, 9, SIZE);

  @Test
  void aSoundSegmentPassesPlainAndCompressed() throws Exception {
    byte[] seg = segment(name, 2);
    SegmentCheck.Outcome plain = check(seg, name.fileName(), sha256(seg));
    assertThat(plain.problems()).isEmpty();
    assertThat(plain.systemId()).isEqualTo(7345L);
    byte[] gz = gzip(seg);
    assertThat(check(gz, name.fileName() + ".gz", sha256(gz)).problems()).isEmpty();
    assertThat(check(gz, name.fileName() + ".gz", null).problems()).isEmpty();
  }

  @Test
  void namesAWrongSizeHeaderAndChecksum() throws Exception {
    byte[] seg = segment(name, 2);
    byte[] shortSeg = Arrays.copyOf(seg, SIZE.bytes() - 1);
    assertThat(check(shortSeg, name.fileName(), null).problems())
        .containsExactly("has 1048575 bytes, not the segment size 1048576");
    assertThat(check(segment(name, 1), name.fileName(), null).problems())
        .containsExactly(
            "page header names timeline 1, not 2 (the timeline of the segment's start)");
    byte[] other = segment(new SegmentName(TL2, 10, SIZE), 2);
    assertThat(check(other, name.fileName(), null).problems())
        .containsExactly("page header address 0/A00000 is not the segment's start 0/900000");
    byte[] notWal = seg.clone();
    notWal[1] = 0x12;
    assertThat(check(notWal, name.fileName(), null).problems())
        .singleElement()
        .asString()
        .startsWith("page header: magic 0x1210 is not a WAL page's");
    String recorded = sha256(seg);
    byte[] flipped = seg.clone();
    flipped[100_000] = 43;
    assertThat(check(flipped, name.fileName(), recorded).problems())
        .singleElement()
        .asString()
        .endsWith("differs from the one recorded at upload, " + recorded);
  }

  @Test
  void aBrokenCompressedFileIsUnreadable() throws Exception {
    byte[] gz = gzip(segment(name, 2));
    byte[] cut = Arrays.copyOf(gz, gz.length / 2);
    assertThat(check(cut, name.fileName() + ".gz", null).problems())
        .singleElement()
        .asString()
        .startsWith("cannot be read or decompressed: ");
  }

  @Test
  void aPartialMayBeShorterOrBlank() throws Exception {
    byte[] gz = gzip(Arrays.copyOf(segment(name, 2), 300_000));
    assertThat(check(gz, name.fileName() + ".gz.partial", null).problems()).isEmpty();
    byte[] blank = new byte[SIZE.bytes()];
    assertThat(check(blank, name.fileName() + ".partial", null).problems()).isEmpty();
    assertThat(check(blank, name.fileName(), null).problems())
        .singleElement()
        .asString()
        .startsWith("page header: magic 0x0000");
  }

  @Test
  void readsTheSegmentSizeFromTheHeader() throws Exception {
    assertThat(SegmentCheck.segmentSize(new ByteArrayInputStream(gzip(segment(name, 2))), "gz"))
        .contains(SIZE);
    assertThat(SegmentCheck.segmentSize(new ByteArrayInputStream(new byte[64]), "")).isEmpty();
  }
}
