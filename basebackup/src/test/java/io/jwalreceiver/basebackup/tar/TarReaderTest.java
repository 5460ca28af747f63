// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static io.jwalreceiver.basebackup.tar.TarFixtures.BASE_EXCERPT;
import static io.jwalreceiver.basebackup.tar.TarFixtures.TABLESPACE;
import static io.jwalreceiver.basebackup.tar.TarFixtures.concat;
import static io.jwalreceiver.basebackup.tar.TarFixtures.golden;
import static io.jwalreceiver.basebackup.tar.TarFixtures.read;
import static io.jwalreceiver.basebackup.tar.TarFixtures.withoutEndBlocks;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.tar.TarFixtures.Member;
import io.jwalreceiver.basebackup.tar.TarFixtures.Recorder;
import io.jwalreceiver.basebackup.tar.TarFixtures.Split;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TarReaderTest {

  static Stream<Split> splits() {
    return TarFixtures.everySplit().stream();
  }

  /** Header, data and zero padding of one member. */
  private static byte[] member(TarHeader h, byte[] data) {
    return concat(h.encode(), data, new byte[TarHeader.padding(data.length)]);
  }

  private static byte[] pax(char type, String records) {
    byte[] data = records.getBytes(UTF_8);
    return member(new TarHeader("././@PaxHeader", 0644, 0, 0, data.length, 0, type, ""), data);
  }

  private static String paxRecord(String key, String value) {
    int body = 3 + key.length() + value.getBytes(UTF_8).length;
    int len = body + String.valueOf(body).length();
    len = body + String.valueOf(len).length();
    return len + " " + key + "=" + value + "\n";
  }

  private static byte[] fileData(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private interface ArchiveBody {
    void write(TarArchiveOutputStream out) throws IOException;
  }

  private static byte[] commonsCompressArchive(int longFileMode, ArchiveBody body)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(longFileMode);
      out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
      body.write(out);
      out.finish();
    }
    return bytes.toByteArray();
  }

  private static void put(TarArchiveOutputStream out, String name, byte[] data) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(data.length);
    e.setMode(0100600);
    e.setLastModifiedTime(FileTime.from(1_700_000_000L, TimeUnit.SECONDS));
    out.putArchiveEntry(e);
    out.write(data);
    out.closeArchiveEntry();
  }

  private static void putSymlink(TarArchiveOutputStream out, String name, String target)
      throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
    e.setLinkName(target);
    out.putArchiveEntry(e);
    out.closeArchiveEntry();
  }

  private static final String DEEP_NAME =
      "pg_tblspc/16384/PG_15_202209061/" + "a_rather_long_directory_name/".repeat(9) + "16385";
  private static final String LONG_TARGET = "/srv/postgres/" + "tablespaces/".repeat(15) + "ts1";

  private static byte[] longNameArchive(int longFileMode) throws IOException {
    return commonsCompressArchive(
        longFileMode,
        out -> {
          put(out, "short", fileData(10, 1));
          put(out, DEEP_NAME, fileData(1000, 2));
          putSymlink(out, "pg_tblspc/16384/", LONG_TARGET);
          put(out, "after", fileData(512, 3));
        });
  }

  private static void assertLongNameMembers(Recorder r) {
    assertThat(r.names()).containsExactly("short", DEEP_NAME, "pg_tblspc/16384/", "after");
    assertThat(r.members.get(1).data()).isEqualTo(fileData(1000, 2));
    assertThat(r.members.get(1).header().mode()).isEqualTo(0600);
    assertThat(r.members.get(2).header().linkname()).isEqualTo(LONG_TARGET);
    assertThat(r.members.get(2).header().isSymlink()).isTrue();
    assertThat(r.members.get(3).data()).isEqualTo(fileData(512, 3));
    assertThat(r.ends).isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------
  // Server archives in every chunking

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void readsTheServersBaseArchiveInEveryChunking(Split split) {
    Recorder r = read(golden(BASE_EXCERPT), split);

    assertThat(r.names())
        .containsExactly(
            "backup_label", "pg_wal/", "./pg_wal/archive_status/", "base/", "global/pg_control");
    assertThat(r.members.get(0).text())
        .startsWith("START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n")
        .contains("BACKUP METHOD: streamed\n")
        .hasSize(225);
    assertThat(r.members.get(4).data()).hasSize(8192);
    assertThat(r.ends).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void readsEveryChunkingToTheSameMembersAsWhole(Split split) throws IOException {
    byte[] tar = longNameArchive(TarArchiveOutputStream.LONGFILE_POSIX);
    Recorder whole = read(tar, Split.whole());

    assertThat(read(tar, split).members).isEqualTo(whole.members);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void readsAServerArchiveWithoutEndBlocksUntilFinish(Split split) {
    byte[] pg14Shape = withoutEndBlocks(golden(BASE_EXCERPT));
    Recorder r = new Recorder();
    TarReader reader = new TarReader(r);
    for (ByteBuffer chunk : split.apply(pg14Shape)) {
      reader.feed(chunk);
    }
    assertThat(r.ends).as("no end before finish").isZero();
    assertThat(reader.atMemberBoundary()).isTrue();

    reader.finish();

    assertThat(r.members).hasSize(5);
    assertThat(r.ends).isEqualTo(1);
    assertThat(reader.endBlocksSeen()).isFalse();
  }

  @Test
  void reportsEndAtTheEndBlocksAndNotAgainAtFinish() {
    byte[] tar = golden(TABLESPACE);
    Recorder r = new Recorder();
    TarReader reader = new TarReader(r);

    reader.feed(ByteBuffer.wrap(tar));

    assertThat(r.ends).isEqualTo(1);
    assertThat(reader.endBlocksSeen()).isTrue();
    assertThat(r.names()).containsExactly("PG_15_202209061/");
    reader.finish();
    assertThat(r.ends).isEqualTo(1);
  }

  @Test
  void reportsZeroLengthMembersAsStartAndEndWithoutData() {
    Recorder r = read(golden(TABLESPACE), Split.whole());

    assertThat(r.dataCalls).isZero();
    assertThat(r.members.get(0).header().isDirectory()).isTrue();
  }

  @Test
  void skipsZeroRecordPaddingAfterTheEndBlocks() {
    byte[] tar = concat(golden(TABLESPACE), new byte[10240 - 1536]);

    Recorder r = read(tar, Split.fixed(1000));

    assertThat(r.members).hasSize(1);
    assertThat(r.ends).isEqualTo(1);
  }

  @Test
  void countsConsumedBytesInOffset() {
    TarReader reader = new TarReader(new Recorder());
    reader.feed(ByteBuffer.wrap(golden(BASE_EXCERPT), 0, 700));
    assertThat(reader.offset()).isEqualTo(700);
  }

  // ---------------------------------------------------------------------------------------
  // Data views

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void entryDataViewsCoverExactlyTheFileBytes(Split split) {
    byte[] a = fileData(1, 10);
    byte[] b = fileData(511, 11);
    byte[] c = fileData(512, 12);
    byte[] d = fileData(513, 13);
    byte[] e = fileData(5000, 14);
    byte[] tar =
        concat(
            member(TarHeader.regularFile("a", 1, 0600, 0, 0, 0), a),
            member(TarHeader.regularFile("b", 511, 0600, 0, 0, 0), b),
            member(TarHeader.regularFile("c", 512, 0600, 0, 0, 0), c),
            member(TarHeader.regularFile("d", 513, 0600, 0, 0, 0), d),
            member(TarHeader.regularFile("e", 5000, 0600, 0, 0, 0), e));
    List<byte[]> expected = List.of(a, b, c, d, e);

    Recorder r = read(tar, split);

    assertThat(r.members).extracting(Member::data).containsExactlyElementsOf(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void readsChunksFedThroughOneReusedBufferObjectAsWhole(Split split) throws IOException {
    // A message reader hands out one view object, re-pointed at each message in its buffer: the
    // reader's cached read-only view and data view must follow it.
    byte[] tar = longNameArchive(TarArchiveOutputStream.LONGFILE_POSIX);
    ByteBuffer one = ByteBuffer.allocateDirect(tar.length + 1024);
    Recorder r = new Recorder();
    TarReader reader = new TarReader(r);
    int shift = 0;
    for (ByteBuffer chunk : split.apply(tar)) {
      int at = (shift++ * 37) % 1024;
      one.clear();
      one.put(at, chunk, chunk.position(), chunk.remaining());
      one.limit(at + chunk.remaining()).position(at);
      reader.feed(one);
      assertThat(one.position()).isEqualTo(one.limit());
    }
    reader.finish();

    assertThat(r.members).isEqualTo(read(tar, Split.whole()).members);
  }

  @Test
  void entryDataViewsAreBorrowedFromTheFedChunk() {
    byte[] data = fileData(1000, 5);
    byte[] chunk = member(TarHeader.regularFile("f", 1000, 0600, 0, 0, 0), data);
    List<Integer> firstBytes = new ArrayList<>();
    TarReader reader =
        new TarReader(
            new Recorder() {
              @Override
              public void entryData(ByteBuffer view) {
                // Changing the fed array shows through the view: nothing was copied.
                chunk[512] = (byte) ~chunk[512];
                firstBytes.add(view.get(view.position()) & 0xff);
                super.entryData(view);
              }
            });

    reader.feed(ByteBuffer.wrap(chunk));

    assertThat(firstBytes).containsExactly(~data[0] & 0xff);
  }

  @Test
  void leavesTheFedChunkAtItsLimitAndUntouchedByTheListener() {
    byte[] tar = golden(BASE_EXCERPT);
    ByteBuffer chunk = ByteBuffer.wrap(tar, 100, 3000).slice();
    TarReader reader =
        new TarReader(
            new TarListener() {
              @Override
              public void entryStart(TarHeader header) {}

              @Override
              public void entryData(ByteBuffer view) {
                view.position(view.limit());
              }

              @Override
              public void entryEnd(TarHeader header) {}
            });
    reader.feed(ByteBuffer.wrap(tar, 0, 100));

    reader.feed(chunk);

    assertThat(chunk.position()).isEqualTo(chunk.limit());
    assertThat(reader.offset()).isEqualTo(3100);
  }

  // ---------------------------------------------------------------------------------------
  // Long names and extensions

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void readsPaxLongNamesAndLinkTargets(Split split) throws IOException {
    assertLongNameMembers(read(longNameArchive(TarArchiveOutputStream.LONGFILE_POSIX), split));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void readsGnuLongNamesAndLinkTargets(Split split) throws IOException {
    assertLongNameMembers(read(longNameArchive(TarArchiveOutputStream.LONGFILE_GNU), split));
  }

  @Test
  void appliesPaxSizeUidGidAndMtimeToTheNextMemberOnly() {
    byte[] data = fileData(700, 1);
    byte[] tar =
        concat(
            pax(
                'x',
                paxRecord("size", "700")
                    + paxRecord("uid", "3000000")
                    + paxRecord("gid", "4000000")
                    + paxRecord("mtime", "1700000000.75")
                    + paxRecord("comment", "ignored")),
            // The ustar size field says 0: pax overrides it, as for files of 8 GiB and more.
            member(TarHeader.regularFile("big", 0, 0600, 1, 2, 3), new byte[0]),
            data,
            new byte[TarHeader.padding(700)],
            member(TarHeader.regularFile("next", 2, 0600, 1, 2, 3), new byte[] {7, 8}));

    Recorder r = read(tar, Split.random(3, 100));

    assertThat(r.members.get(0).header())
        .isEqualTo(new TarHeader("big", 0600, 3_000_000, 4_000_000, 700, 1_700_000_000L, '0', ""));
    assertThat(r.members.get(0).data()).isEqualTo(data);
    assertThat(r.members.get(1).header())
        .isEqualTo(new TarHeader("next", 0600, 1, 2, 2, 3, '0', ""));
  }

  @Test
  void laterPaxRecordsWinAndEmptyValuesCancel() {
    byte[] tar =
        concat(
            pax('x', paxRecord("path", "first") + paxRecord("path", "second")),
            pax('x', paxRecord("linkpath", "t") + paxRecord("linkpath", "")),
            member(TarHeader.symlink("ustar-name", "ustar-target", 0777, 0, 0, 0), new byte[0]));

    Recorder r = read(tar, Split.oneByteAtATime());

    assertThat(r.members.get(0).header().name()).isEqualTo("second");
    assertThat(r.members.get(0).header().linkname()).isEqualTo("ustar-target");
  }

  @Test
  void ignoresPaxGlobalHeaders() {
    byte[] tar =
        concat(
            pax('g', paxRecord("path", "global-ignored") + paxRecord("comment", "x")),
            member(TarHeader.regularFile("plain", 1, 0600, 0, 0, 0), new byte[] {1}));

    Recorder r = read(tar, Split.whole());

    assertThat(r.names()).containsExactly("plain");
  }

  @Test
  void readsNonAsciiPaxPaths() {
    String name = "base/\u00e9t\u00e9/\u65e5\u672c/" + "x".repeat(120);
    byte[] tar =
        concat(
            pax('x', paxRecord("path", name)),
            member(TarHeader.regularFile("truncated", 0, 0600, 0, 0, 0), new byte[0]));

    assertThat(read(tar, Split.oneByteAtATime()).names()).containsExactly(name);
  }

  /** A pax header's records that cannot be taken, and what the reader says. */
  static Stream<Arguments> badPaxRecords() {
    return Stream.of(
        arguments("99 path=short\n", "invalid pax extended header at offset 0"),
        arguments(paxRecord("size", "-1"), "bad size value \"-1\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badPaxRecords")
  void rejectsABadPaxRecord(String records, String message) {
    byte[] tar =
        concat(
            pax('x', records), member(TarHeader.regularFile("f", 0, 0600, 0, 0, 0), new byte[0]));

    assertThatThrownBy(() -> read(tar, Split.whole()))
        .isInstanceOf(PgException.class)
        .hasMessageContaining(message);
  }

  @Test
  void rejectsAnExtensionLargerThanTheLimit() {
    TarHeader huge =
        new TarHeader("././@LongLink", 0644, 0, 0, TarReader.MAX_EXTENSION_SIZE + 1L, 0, 'L', "");

    assertThatThrownBy(() -> new TarReader(new Recorder()).feed(ByteBuffer.wrap(huge.encode())))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("more than the limit");
  }

  @Test
  void rejectsEndBlocksRightAfterAnExtension() {
    byte[] tar = concat(pax('x', paxRecord("path", "p")), new byte[1024]);

    assertThatThrownBy(() -> read(tar, Split.whole()))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("follows the extended header at offset 0");
  }

  // ---------------------------------------------------------------------------------------
  // Large sizes

  @Test
  void streamsAMemberWithABase256SizeAndReportsTheShortfallAtFinish() {
    long size = (8L << 30) + 1;
    Recorder r = new Recorder();
    TarReader reader = new TarReader(r);
    reader.feed(
        ByteBuffer.wrap(TarHeader.regularFile("pg_wal/huge", size, 0600, 0, 0, 0).encode()));
    ByteBuffer mib = ByteBuffer.allocate(1 << 20);
    for (int i = 0; i < 4; i++) {
      reader.feed(mib.clear());
    }

    assertThat(r.dataCalls).isEqualTo(4);
    assertThatThrownBy(reader::finish)
        .isInstanceOf(PgException.class)
        .hasMessageContaining("tar stream ended in the middle of an entry")
        .hasMessageContaining("\"pg_wal/huge\" at offset 0 is missing " + (size - (4 << 20)));
  }

  // ---------------------------------------------------------------------------------------
  // Truncation

  /** Offsets in the golden excerpt where a member (header) begins, plus its end. */
  private static Set<Integer> memberBoundaries() {
    return new HashSet<>(List.of(0, 1024, 1536, 2048, 2560, 11264));
  }

  @Test
  void finishSucceedsExactlyAtMemberBoundaries() {
    byte[] pg14Shape = withoutEndBlocks(golden(BASE_EXCERPT));
    Set<Integer> boundaries = memberBoundaries();
    for (int cut = 0; cut <= pg14Shape.length; cut++) {
      Recorder r = new Recorder();
      TarReader reader = new TarReader(r);
      reader.feed(ByteBuffer.wrap(pg14Shape, 0, cut));
      assertThat(reader.atMemberBoundary())
          .as("cut at %d", cut)
          .isEqualTo(boundaries.contains(cut));
      if (boundaries.contains(cut)) {
        reader.finish();
        assertThat(r.ends).isEqualTo(1);
      } else {
        int at = cut;
        assertThatThrownBy(reader::finish)
            .as("cut at %d", at)
            .isInstanceOfSatisfying(
                PgException.class,
                e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION))
            .hasMessageStartingWith("tar stream ended in the middle of");
      }
    }
  }

  /** How many bytes of the golden excerpt arrive before the end, and what finish says. */
  @ParameterizedTest(name = "{0} bytes")
  @CsvSource(
      delimiter = '|',
      value = {
        // 1024 + 300: into the third header.
        "1324 | tar stream ended in the middle of a header at offset 1024: 300 of 512 bytes",
        // 2560 + 512 + 100: into global/pg_control's data.
        "3172 | tar stream ended in the middle of an entry: \"global/pg_control\" at offset 2560 is"
            + " missing 8092 of 8192 data bytes",
        // 512 + 225 + 10: into backup_label's padding.
        "747  | tar stream ended in the middle of an entry: the padding of \"backup_label\" at"
            + " offset 0 is missing 277 bytes",
      })
  void finishNamesWhereTheStreamWasCut(int length, String message) {
    TarReader reader = new TarReader(new Recorder());
    reader.feed(ByteBuffer.wrap(golden(BASE_EXCERPT), 0, length));

    assertThatThrownBy(reader::finish).hasMessage(message);
  }

  @Test
  void finishRejectsAStreamEndingInsideOrRightAfterAnExtension() {
    byte[] ext = pax('x', paxRecord("path", "p".repeat(200)));
    TarReader inside = new TarReader(new Recorder());
    inside.feed(ByteBuffer.wrap(ext, 0, 600));
    TarReader after = new TarReader(new Recorder());
    after.feed(ByteBuffer.wrap(ext));

    assertThatThrownBy(inside::finish)
        .hasMessageStartingWith("tar stream ended in the middle of an entry: extended header");
    assertThatThrownBy(after::finish).hasMessageContaining("after the extended header at offset 0");
  }

  @Test
  void finishNamesTruncatedPaddingOfAnExtension() {
    // Found by TarReaderFuzzTest#stream: a stream ending in the padding of an extension member
    // threw a NullPointerException when no regular member came before it (and named the wrong
    // member when one did).
    byte[] ext = pax('x', paxRecord("path", "p".repeat(200)));
    TarReader first = new TarReader(new Recorder());
    first.feed(ByteBuffer.wrap(ext, 0, ext.length - 10));
    byte[] afterMember = concat(withoutEndBlocks(golden(TABLESPACE)), ext);
    TarReader later = new TarReader(new Recorder());
    later.feed(ByteBuffer.wrap(afterMember, 0, afterMember.length - 10));
    int at = afterMember.length - ext.length;

    assertThatThrownBy(first::finish)
        .hasMessage(
            "tar stream ended in the middle of an entry: the padding of the extended header at"
                + " offset 0 is missing 10 bytes");
    assertThatThrownBy(later::finish)
        .hasMessage(
            "tar stream ended in the middle of an entry: the padding of the extended header at"
                + " offset "
                + at
                + " is missing 10 bytes");
  }

  @Test
  void acceptsAStreamEndingAfterALoneZeroBlock() {
    byte[] tar = concat(withoutEndBlocks(golden(TABLESPACE)), new byte[512]);

    Recorder r = read(tar, Split.fixed(100));

    assertThat(r.ends).isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------
  // Corruption

  @Test
  void rejectsABadChecksumNamingTheMembersOffset() {
    byte[] tar = golden(BASE_EXCERPT);
    tar[2560 + 3] ^= 0x20;

    assertThatThrownBy(() -> read(tar, Split.oneByteAtATime()))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION))
        .hasMessageContaining("invalid tar header checksum at offset 2560");
  }

  @Test
  void rejectsAHeaderAfterALoneZeroBlock() {
    byte[] tar = concat(new byte[512], golden(TABLESPACE));

    assertThatThrownBy(() -> read(tar, Split.whole()))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("header at offset 512 follows a lone zero block");
  }

  @Test
  void rejectsDataAfterTheEndBlocks() {
    byte[] tar = concat(golden(TABLESPACE), new byte[] {0, 0, 1});

    assertThatThrownBy(() -> read(tar, Split.whole()))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("data after the end of the archive at offset 1538");
  }

  @Test
  void refusesUseAfterAFailure() {
    byte[] tar = golden(BASE_EXCERPT);
    tar[10] ^= 1;
    TarReader reader = new TarReader(new Recorder());
    assertThatThrownBy(() -> reader.feed(ByteBuffer.wrap(tar))).isInstanceOf(PgException.class);

    assertThatThrownBy(() -> reader.feed(ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(reader::finish).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refusesFeedAfterFinish() {
    TarReader reader = new TarReader(new Recorder());
    reader.finish();

    assertThatThrownBy(() -> reader.feed(ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void propagatesListenerExceptionsAndStopsReading() {
    TarReader reader =
        new TarReader(
            new Recorder() {
              @Override
              public void entryStart(TarHeader header) {
                throw new IllegalArgumentException("unsafe name " + header.name());
              }
            });

    assertThatThrownBy(() -> reader.feed(ByteBuffer.wrap(golden(TABLESPACE))))
        .hasMessage("unsafe name PG_15_202209061/");
    assertThatThrownBy(reader::finish).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void readsArchivesFromReadOnlyAndDirectChunks() {
    byte[] tar = golden(BASE_EXCERPT);
    ByteBuffer direct = ByteBuffer.allocateDirect(tar.length).put(tar).flip();
    Recorder fromDirect = new Recorder();
    Recorder fromReadOnly = new Recorder();

    new TarReader(fromDirect).feed(direct);
    new TarReader(fromReadOnly).feed(ByteBuffer.wrap(tar).asReadOnlyBuffer());

    assertThat(fromDirect.members).isEqualTo(read(tar, Split.whole()).members);
    assertThat(fromReadOnly.members).isEqualTo(fromDirect.members);
    assertThat(Arrays.equals(tar, golden(BASE_EXCERPT))).isTrue();
  }
}
