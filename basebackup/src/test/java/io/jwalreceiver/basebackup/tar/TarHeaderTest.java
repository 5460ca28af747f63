// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static io.jwalreceiver.basebackup.tar.TarFixtures.BASE_EXCERPT;
import static io.jwalreceiver.basebackup.tar.TarFixtures.TABLESPACE;
import static io.jwalreceiver.basebackup.tar.TarFixtures.fixChecksum;
import static io.jwalreceiver.basebackup.tar.TarFixtures.golden;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TarHeaderTest {

  /** Offsets of the five headers in the golden base.tar excerpt. */
  private static final int[] GOLDEN_HEADER_OFFSETS = {0, 1024, 1536, 2048, 2560};

  private static final long GOLDEN_MTIME = 015302336352L;

  private static byte[] block(byte[] archive, int offset) {
    return Arrays.copyOfRange(archive, offset, offset + 512);
  }

  private static TarHeader parse(byte[] block) {
    return TarHeader.parse(ByteBuffer.wrap(block), 0);
  }

  /**
   * The header tarCreateHeader writes, built field by field from the documented layout
   * (protocol-notes §5.4) rather than through the code under test.
   */
  private static byte[] documentedHeader(
      String name, int mode, int uid, int gid, long size, long mtime, char type, String link) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, String.format(Locale.ROOT, "%07o ", mode));
    put(h, 108, String.format(Locale.ROOT, "%07o ", uid));
    put(h, 116, String.format(Locale.ROOT, "%07o ", gid));
    put(h, 124, String.format(Locale.ROOT, "%011o ", size));
    put(h, 136, String.format(Locale.ROOT, "%011o ", mtime));
    h[156] = (byte) type;
    put(h, 157, link);
    put(h, 257, "ustar\0" + "00");
    put(h, 265, "postgres");
    put(h, 297, "postgres");
    put(h, 329, "0000000 0000000 ");
    int sum = 0;
    put(h, 148, "        ");
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, String.format(Locale.ROOT, "%07o ", sum));
    return h;
  }

  private static void put(byte[] h, int at, String s) {
    byte[] b = s.getBytes(UTF_8);
    System.arraycopy(b, 0, h, at, b.length);
  }

  // ---------------------------------------------------------------------------------------
  // Server bytes

  @Test
  void parsesTheServersBackupLabelHeader() {
    TarHeader h = parse(block(golden(BASE_EXCERPT), 0));

    assertThat(h)
        .isEqualTo(new TarHeader("backup_label", 0600, 101, 104, 225, GOLDEN_MTIME, '0', ""));
    assertThat(h.isRegularFile()).isTrue();
    assertThat(h.padding()).isEqualTo(512 - 225);
    assertThat(h.modified().getEpochSecond()).isEqualTo(GOLDEN_MTIME);
  }

  @Test
  void parsesTheServersDirectoryHeadersWithTrailingSlashAndDotSlash() {
    byte[] tar = golden(BASE_EXCERPT);

    TarHeader pgWal = parse(block(tar, 1024));
    TarHeader archiveStatus = parse(block(tar, 1536));

    assertThat(pgWal.name()).isEqualTo("pg_wal/");
    assertThat(pgWal.isDirectory()).isTrue();
    assertThat(pgWal.size()).isZero();
    assertThat(pgWal.mode()).isEqualTo(0700);
    assertThat(archiveStatus.name()).isEqualTo("./pg_wal/archive_status/");
  }

  @Test
  void reEncodesEveryServerHeaderByteForByte() {
    byte[] tar = golden(BASE_EXCERPT);
    for (int offset : GOLDEN_HEADER_OFFSETS) {
      byte[] original = block(tar, offset);

      assertThat(parse(original).encode()).as("header at %d", offset).isEqualTo(original);
    }
    byte[] tablespace = block(golden(TABLESPACE), 0);
    assertThat(parse(tablespace).encode()).isEqualTo(tablespace);
  }

  @Test
  void factoriesBuildTheHeadersTheServerWrote() {
    byte[] tar = golden(BASE_EXCERPT);

    assertThat(TarHeader.regularFile("backup_label", 225, 0100600, 101, 104, GOLDEN_MTIME).encode())
        .isEqualTo(block(tar, 0));
    assertThat(TarHeader.directory("pg_wal", 040700, 101, 104, GOLDEN_MTIME).encode())
        .isEqualTo(block(tar, 1024));
    assertThat(TarHeader.directory("./pg_wal/archive_status", 0700, 101, 104, GOLDEN_MTIME))
        .isEqualTo(parse(block(tar, 1536)));
  }

  // ---------------------------------------------------------------------------------------
  // Encoding

  @Test
  void encodesARegularFileAsDocumented() {
    TarHeader h = TarHeader.regularFile("base/1/1259", 8192, 0600, 26, 27, 1_700_000_000L);

    assertThat(h.encode())
        .isEqualTo(documentedHeader("base/1/1259", 0600, 26, 27, 8192, 1_700_000_000L, '0', ""));
  }

  @Test
  void encodesASymlinkWithTrailingSlashZeroSizeAndTarget() {
    TarHeader h = TarHeader.symlink("pg_tblspc/16384", "/srv/ts1", 0777, 26, 26, 1);

    assertThat(h.name()).isEqualTo("pg_tblspc/16384/");
    assertThat(h.size()).isZero();
    assertThat(h.encode())
        .isEqualTo(documentedHeader("pg_tblspc/16384/", 0777, 26, 26, 0, 1, '2', "/srv/ts1"));
  }

  @Test
  void directoryFactoryDoesNotDoubleATrailingSlash() {
    assertThat(TarHeader.directory("base/", 0700, 0, 0, 0).name()).isEqualTo("base/");
  }

  @Test
  void encodesTheLargestOctalSizeInOctal() {
    long max = (1L << 33) - 1;
    byte[] h = TarHeader.regularFile("f", max, 0600, 0, 0, 0).encode();

    assertThat(new String(h, 124, 12, US_ASCII)).isEqualTo("77777777777 ");
  }

  @Test
  void encodesSizesFromEightGibInBase256() {
    long size = (8L << 30) + 0x0102;
    byte[] h = TarHeader.regularFile("f", size, 0600, 0, 0, 0).encode();

    byte[] expected = new byte[12];
    expected[0] = (byte) 0x80;
    ByteBuffer.wrap(expected, 4, 8).putLong(size);
    assertThat(Arrays.copyOfRange(h, 124, 136)).isEqualTo(expected);
    assertThat(parse(h).size()).isEqualTo(size);
  }

  @Test
  void commonsCompressReadsOurBase256Size() {
    long size = 123L << 30;
    byte[] h = TarHeader.regularFile("big", size, 0600, 1, 2, 3).encode();

    TarArchiveEntry entry = new TarArchiveEntry(h);

    assertThat(entry.getSize()).isEqualTo(size);
    assertThat(entry.getName()).isEqualTo("big");
  }

  @Test
  void parsesBase256SizeWrittenByCommonsCompressStarMode() throws IOException {
    long size = 9L << 30;
    TarArchiveEntry entry = new TarArchiveEntry("huge.bin");
    entry.setSize(size);
    entry.setMode(0100640);
    entry.setLastModifiedTime(FileTime.from(1_234_567_890L, TimeUnit.SECONDS));
    byte[] h = new byte[512];
    entry.writeEntryHeader(h, ZipEncodingHelper.getZipEncoding(UTF_8), true);

    TarHeader parsed = parse(h);

    assertThat(parsed.size()).isEqualTo(size);
    assertThat(parsed.mode()).isEqualTo(0640);
    assertThat(parsed.mtime()).isEqualTo(1_234_567_890L);
  }

  @Test
  void encodeRejectsNamesLongerThanTheUstarField() {
    String name = "d/".repeat(50) + "x";
    TarHeader h = TarHeader.regularFile(name, 0, 0600, 0, 0, 0);

    assertThatThrownBy(h::encode)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("file name too long for tar format");
  }

  @Test
  void encodeRejectsLinkTargetsLongerThanTheUstarField() {
    TarHeader h = TarHeader.symlink("pg_tblspc/1", "/t".repeat(51), 0777, 0, 0, 0);

    assertThatThrownBy(h::encode)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("symbolic link target too long");
  }

  @Test
  void roundTripsRandomHeadersThroughParseAndCommonsCompress() {
    Random rnd = new Random(7);
    char[] types = {'0', '5', '2'};
    for (int i = 0; i < 500; i++) {
      char type = types[rnd.nextInt(types.length)];
      String base = "n" + Long.toString(rnd.nextLong() & Long.MAX_VALUE, 36);
      // Directories and symlinks carry a trailing slash, as the server writes them.
      String name = type == '0' ? base : base + "/";
      long size =
          type == '0' ? (rnd.nextBoolean() ? rnd.nextInt(100_000) : rnd.nextLong() >>> 1) : 0;
      TarHeader h =
          new TarHeader(
              name,
              rnd.nextInt(07777 + 1),
              rnd.nextInt(1 << 21),
              // Above 2^21 this is base-256; commons-compress reads ids as signed 32-bit.
              rnd.nextInt() & Integer.MAX_VALUE,
              size,
              rnd.nextLong() >>> 20,
              type,
              type == '2' ? "/target/" + i : "");

      byte[] encoded = h.encode();
      TarArchiveEntry cc = new TarArchiveEntry(encoded);

      assertThat(parse(encoded)).isEqualTo(h);
      assertThat(cc.getName()).isEqualTo(name);
      assertThat(cc.getSize()).isEqualTo(size);
      assertThat(cc.getMode()).isEqualTo(h.mode());
      assertThat(cc.getLongGroupId()).isEqualTo(h.gid());
      assertThat(cc.getLastModifiedTime().to(TimeUnit.SECONDS)).isEqualTo(h.mtime());
      assertThat(cc.getLinkName()).isEqualTo(h.linkname());
    }
  }

  // ---------------------------------------------------------------------------------------
  // Decoding variants

  @Test
  void parsesHeadersWrittenByCommonsCompressWithGnuStyleChecksum() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      TarArchiveEntry e = new TarArchiveEntry("global/pg_filenode.map");
      e.setSize(512);
      e.setMode(0100600);
      e.setUserId(26L);
      e.setGroupId(26L);
      e.setLastModifiedTime(FileTime.from(1_700_000_000L, TimeUnit.SECONDS));
      out.putArchiveEntry(e);
      out.write(new byte[512]);
      out.closeArchiveEntry();
    }
    byte[] h = Arrays.copyOf(bytes.toByteArray(), 512);
    // commons-compress writes six digits, NUL, space: the other common checksum spelling.
    assertThat(h[148 + 6]).isZero();

    assertThat(parse(h))
        .isEqualTo(
            new TarHeader("global/pg_filenode.map", 0600, 26, 26, 512, 1_700_000_000L, '0', ""));
  }

  @Test
  void joinsTheUstarPrefixWithTheName() {
    byte[] h = TarHeader.regularFile("file", 1, 0600, 0, 0, 0).encode();
    byte[] prefix = ("very/" + "deep/".repeat(29) + "dir").getBytes(US_ASCII);
    System.arraycopy(prefix, 0, h, 345, prefix.length);
    fixChecksum(h);

    assertThat(parse(h).name()).isEqualTo(new String(prefix, US_ASCII) + "/file");
  }

  @Test
  void acceptsGnuMagicAndIgnoresItsPrefixArea() {
    byte[] h = TarHeader.regularFile("gnu.dat", 3, 0644, 0, 0, 0).encode();
    put(h, 257, "ustar  \0");
    // Old GNU headers keep atime and ctime where ustar has its prefix.
    put(h, 345, "14524770400 ");
    fixChecksum(h);

    TarHeader parsed = parse(h);

    assertThat(parsed.name()).isEqualTo("gnu.dat");
    assertThat(parsed.size()).isEqualTo(3);
  }

  @Test
  void acceptsAChecksumSummedOverSignedBytes() {
    byte[] h = TarHeader.regularFile("caf\u00e9-\u00fc", 0, 0600, 0, 0, 0).encode();
    Arrays.fill(h, 148, 156, (byte) ' ');
    int signed = 0;
    for (byte b : h) {
      signed += b;
    }
    put(h, 148, String.format(Locale.ROOT, "%07o ", signed));

    assertThat(parse(h).name()).isEqualTo("caf\u00e9-\u00fc");
  }

  @Test
  void rejectsABadChecksumNamingTheOffset() {
    byte[] h = block(golden(BASE_EXCERPT), 0);
    h[5] ^= 1;

    assertThatThrownBy(() -> TarHeader.parse(ByteBuffer.wrap(h), 1536))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION))
        .hasMessageContaining("checksum")
        .hasMessageContaining("offset 1536");
  }

  @Test
  void rejectsAnUnknownMagic() {
    byte[] h = TarHeader.regularFile("x", 0, 0600, 0, 0, 0).encode();
    put(h, 257, "ustaR\0");
    fixChecksum(h);

    assertThatThrownBy(() -> parse(h))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("unknown magic \"ustaR\\x0000\"");
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 108, 116, 124, 136})
  void rejectsNonOctalDigitsInANumericField(int field) {
    byte[] h = TarHeader.regularFile("x", 0, 0600, 0, 0, 0).encode();
    h[field + 3] = '8';
    fixChecksum(h);

    assertThatThrownBy(() -> parse(h))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION))
        .hasMessageContaining("invalid octal digit");
  }

  @Test
  void readsNumbersWithLeadingSpacesAndNulTerminators() {
    byte[] h = TarHeader.regularFile("x", 0, 0600, 0, 0, 0).encode();
    put(h, 100, "    644\0");
    put(h, 124, "17\0\0\0\0\0\0\0\0\0\0");
    fixChecksum(h);

    TarHeader parsed = parse(h);

    assertThat(parsed.mode()).isEqualTo(0644);
    assertThat(parsed.size()).isEqualTo(15);
  }

  @Test
  void keepsOnlyPermissionBitsOfTheMode() {
    byte[] h = TarHeader.regularFile("x", 0, 0600, 0, 0, 0).encode();
    put(h, 100, "0100644 ");
    fixChecksum(h);

    assertThat(parse(h).mode()).isEqualTo(0644);
  }

  @Test
  void rejectsABase256SizeBeyondSixtyThreeBits() {
    byte[] h = TarHeader.regularFile("x", 0, 0600, 0, 0, 0).encode();
    h[124] = (byte) 0x80;
    Arrays.fill(h, 125, 136, (byte) 0xff);
    fixChecksum(h);

    assertThatThrownBy(() -> parse(h))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("exceeds 63 bits");
  }

  @Test
  void rejectsANegativeBase256NumberBeyondSixtyThreeBits() {
    // Found by TarReaderFuzzTest#header: 0xff then eleven zero bytes (-2^88) read as 0, the sign
    // bits shifted out unchecked; here 0xff 0x01 0 … 0 (-255 × 2^80) read as 0 as well, and other
    // patterns as large positive sizes.
    for (int field : new int[] {124, 136}) {
      byte[] h = TarHeader.regularFile("x", 0, 0600, 0, 0, 0).encode();
      h[field] = (byte) 0xff;
      Arrays.fill(h, field + 1, field + 12, (byte) 0);
      h[field + 1] = 1;
      fixChecksum(h);

      assertThatThrownBy(() -> parse(h))
          .as("field at %d", field)
          .isInstanceOf(PgException.class)
          .hasMessageContaining("exceeds 63 bits");
    }
  }

  @Test
  void readsNegativeBase256NumbersThatFit() {
    byte[] h = TarHeader.regularFile("x", 0, 0600, 0, 0, 0).encode();
    // mtime -2^48: six 0xff bytes (0xff marker and sign), then six zero bytes.
    Arrays.fill(h, 136, 142, (byte) 0xff);
    Arrays.fill(h, 142, 148, (byte) 0);
    fixChecksum(h);
    assertThat(parse(h).mtime()).isEqualTo(-(1L << 48));

    Arrays.fill(h, 136, 148, (byte) 0xff); // -1
    fixChecksum(h);
    assertThat(parse(h).mtime()).isEqualTo(-1);
  }

  @Test
  void recognisesOnlyAllZeroBlocksAsEndBlocks() {
    byte[] zeros = new byte[512];
    assertThat(TarHeader.isZeroBlock(ByteBuffer.wrap(zeros))).isTrue();
    IntStream.of(0, 148, 511)
        .forEach(
            i -> {
              byte[] b = new byte[512];
              b[i] = 1;
              assertThat(TarHeader.isZeroBlock(ByteBuffer.wrap(b))).as("byte %d", i).isFalse();
            });
  }

  @Test
  void classifiesTypeflags() {
    assertThat(new TarHeader("a", 0, 0, 0, 0, 0, '\0', "").isRegularFile()).isTrue();
    assertThat(new TarHeader("a", 0, 0, 0, 0, 0, '7', "").isRegularFile()).isTrue();
    assertThat(new TarHeader("a", 0, 0, 0, 0, 0, '1', "").isRegularFile()).isFalse();
    for (char c : new char[] {'x', 'g', 'L', 'K'}) {
      assertThat(new TarHeader("a", 0, 0, 0, 0, 0, c, "").isExtension()).as("%s", c).isTrue();
    }
    assertThat(TarHeader.symlink("l", "t", 0777, 0, 0, 0).isSymlink()).isTrue();
    assertThat(new TarHeader("a", 0, 0, 0, 0, 0, (char) TarConstants.LF_NORMAL, "").isExtension())
        .isFalse();
  }

  @Test
  void rejectsInvalidFieldValues() {
    assertThatThrownBy(() -> new TarHeader("a", 010000, 0, 0, 0, 0, '0', ""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TarHeader("a", 0, 0, 0, -1, 0, '0', ""))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
