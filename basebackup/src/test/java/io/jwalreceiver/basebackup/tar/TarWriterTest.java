// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static io.jwalreceiver.basebackup.tar.TarFixtures.BASE_EXCERPT;
import static io.jwalreceiver.basebackup.tar.TarFixtures.TABLESPACE;
import static io.jwalreceiver.basebackup.tar.TarFixtures.golden;
import static io.jwalreceiver.basebackup.tar.TarFixtures.read;
import static io.jwalreceiver.basebackup.tar.TarFixtures.withoutEndBlocks;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.tar.TarFixtures.Recorder;
import io.jwalreceiver.basebackup.tar.TarFixtures.Split;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

class TarWriterTest {

  private static byte[] fileData(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** What commons-compress reads back: entries and their content. */
  private record Read(TarArchiveEntry entry, byte[] data) {}

  private static List<Read> commonsCompressRead(byte[] tar) throws IOException {
    List<Read> entries = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.add(new Read(e, in.readAllBytes()));
      }
    }
    return entries;
  }

  /** A channel that takes at most {@code max} bytes per write, like a pipe under pressure. */
  private static final class TrickleChannel implements WritableByteChannel {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final int max;

    TrickleChannel(int max) {
      this.max = max;
    }

    @Override
    public int write(ByteBuffer src) {
      int n = Math.min(max, src.remaining());
      for (int i = 0; i < n; i++) {
        bytes.write(src.get());
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  // ---------------------------------------------------------------------------------------

  @Test
  void rewritingAServerArchiveReproducesItByteForByte() {
    byte[] golden = golden(BASE_EXCERPT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter writer = new TarWriter(out, "base.tar");
    TarReader reader =
        new TarReader(
            new TarListener() {
              @Override
              public void entryStart(TarHeader header) {
                writer.startEntry(header);
              }

              @Override
              public void entryData(ByteBuffer data) {
                writer.writeData(data);
              }

              @Override
              public void entryEnd(TarHeader header) {
                writer.endEntry();
              }

              @Override
              public void end() {
                writer.finish();
              }
            });

    for (ByteBuffer chunk : Split.random(5, 700).apply(withoutEndBlocks(golden))) {
      reader.feed(chunk);
    }
    reader.finish();

    assertThat(out.toByteArray()).isEqualTo(golden);
    assertThat(writer.position()).isEqualTo(golden.length);
  }

  @Test
  void finishAppendsTheEndBlocksAServerWithoutThemOmitted() {
    byte[] golden = golden(TABLESPACE);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter writer = new TarWriter(out, "16384.tar");

    writer.writeArchiveBytes(ByteBuffer.wrap(withoutEndBlocks(golden)));
    writer.finish();

    assertThat(out.toByteArray()).isEqualTo(golden);
  }

  @Test
  void writesEntriesCommonsCompressReadsBack() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter writer = new TarWriter(out, "base.tar");
    int[] sizes = {0, 1, 511, 512, 513, 10_000};
    for (int size : sizes) {
      writer.writeEntry(
          TarHeader.regularFile("f" + size, size, 0600, 26, 27, 1_700_000_000L),
          ByteBuffer.wrap(fileData(size, size)));
    }
    writer.startEntry(TarHeader.directory("pg_wal", 0700, 26, 27, 1_700_000_000L));
    writer.endEntry();
    writer.startEntry(TarHeader.symlink("pg_tblspc/16384", "/srv/ts", 0777, 26, 27, 5));
    writer.endEntry();
    writer.finish();

    List<Read> entries = commonsCompressRead(out.toByteArray());

    assertThat(entries).hasSize(sizes.length + 2);
    for (int i = 0; i < sizes.length; i++) {
      TarArchiveEntry e = entries.get(i).entry();
      assertThat(e.getName()).isEqualTo("f" + sizes[i]);
      assertThat(e.getMode() & 07777).isEqualTo(0600);
      assertThat(e.getLongUserId()).isEqualTo(26);
      assertThat(e.getLongGroupId()).isEqualTo(27);
      assertThat(e.getUserName()).isEqualTo("postgres");
      assertThat(e.getLastModifiedTime().to(TimeUnit.SECONDS)).isEqualTo(1_700_000_000L);
      assertThat(entries.get(i).data()).isEqualTo(fileData(sizes[i], sizes[i]));
    }
    assertThat(entries.get(sizes.length).entry().isDirectory()).isTrue();
    assertThat(entries.get(sizes.length).entry().getName()).isEqualTo("pg_wal/");
    TarArchiveEntry link = entries.get(sizes.length + 1).entry();
    assertThat(link.isSymbolicLink()).isTrue();
    assertThat(link.getName()).isEqualTo("pg_tblspc/16384/");
    assertThat(link.getLinkName()).isEqualTo("/srv/ts");
    assertThat(out.size() % 512).isZero();
  }

  @Test
  void writesPaxHeadersForLongNamesThatBothReadersUnderstand() throws IOException {
    String name = "pg_tblspc/16384/PG_15_202209061/" + "n\u00e9sted/".repeat(20) + "16385";
    String target = "/srv/" + "t".repeat(150);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter writer = new TarWriter(out, "base.tar");
    writer.writeEntry(
        TarHeader.regularFile(name, 3, 0600, 1, 1, 1), ByteBuffer.wrap(new byte[] {1, 2, 3}));
    writer.startEntry(TarHeader.symlink("pg_tblspc/1", target, 0777, 1, 1, 1));
    writer.endEntry();
    writer.finish();
    byte[] tar = out.toByteArray();

    List<Read> cc = commonsCompressRead(tar);
    Recorder ours = read(tar, Split.oneByteAtATime());

    assertThat(cc).extracting(r -> r.entry().getName()).containsExactly(name, "pg_tblspc/1/");
    assertThat(cc.get(0).data()).containsExactly(1, 2, 3);
    assertThat(cc.get(1).entry().getLinkName()).isEqualTo(target);
    assertThat(ours.names()).containsExactly(name, "pg_tblspc/1/");
    assertThat(ours.members.get(1).header().linkname()).isEqualTo(target);
  }

  @Test
  void appendsMembersAfterAServerArchiveLikeRecoveryInjection() throws IOException {
    byte[] pg14Shape = withoutEndBlocks(golden(BASE_EXCERPT));
    byte[] conf = "primary_conninfo = 'host=primary port=5432'\n".getBytes(UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter writer = new TarWriter(out, "base.tar");

    writer.writeArchiveBytes(ByteBuffer.wrap(pg14Shape));
    writer.writeEntry(
        TarHeader.regularFile("standby.signal", 0, 0600, 101, 104, 1), ByteBuffer.allocate(0));
    writer.writeEntry(
        TarHeader.regularFile("postgresql.auto.conf", conf.length, 0600, 101, 104, 1),
        ByteBuffer.wrap(conf));
    writer.finish();

    List<Read> cc = commonsCompressRead(out.toByteArray());
    assertThat(cc)
        .extracting(r -> r.entry().getName())
        .endsWith("global/pg_control", "standby.signal", "postgresql.auto.conf");
    assertThat(cc.get(cc.size() - 1).data()).isEqualTo(conf);
  }

  @Test
  void loopsOverPartialChannelWrites() {
    byte[] golden = golden(TABLESPACE);
    TrickleChannel channel = new TrickleChannel(7);
    TarWriter writer = new TarWriter(channel, "16384.tar");

    writer.writeEntry(TarHeader.parse(ByteBuffer.wrap(golden), 0), ByteBuffer.allocate(0));
    writer.finish();

    assertThat(channel.bytes.toByteArray()).isEqualTo(golden);
  }

  @Test
  void endOfArchiveIsTwoReadOnlyZeroBlocks() {
    ByteBuffer end = TarWriter.endOfArchive();

    assertThat(end.isReadOnly()).isTrue();
    assertThat(end.remaining()).isEqualTo(1024);
    while (end.hasRemaining()) {
      assertThat(end.get()).isZero();
    }
    assertThat(TarWriter.endOfArchive().remaining()).as("a fresh view each time").isEqualTo(1024);
  }

  // ---------------------------------------------------------------------------------------
  // Misuse and failures

  @Test
  void rejectsDataBeyondTheDeclaredSize() {
    TarWriter writer = new TarWriter(new ByteArrayOutputStream(), "t");
    writer.startEntry(TarHeader.regularFile("f", 2, 0600, 0, 0, 0));

    assertThatThrownBy(() -> writer.writeData(ByteBuffer.allocate(3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exceed it by 1");
  }

  @Test
  void rejectsEndingAnEntryWithMissingData() {
    TarWriter writer = new TarWriter(new ByteArrayOutputStream(), "t");
    writer.startEntry(TarHeader.regularFile("f", 2, 0600, 0, 0, 0));
    writer.writeData(ByteBuffer.allocate(1));

    assertThatThrownBy(writer::endEntry)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("missing 1 data bytes");
    assertThatThrownBy(writer::finish).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void rejectsAWholeEntryWhoseDataDoesNotMatchItsSize() {
    TarWriter writer = new TarWriter(new ByteArrayOutputStream(), "t");

    assertThatThrownBy(
            () ->
                writer.writeEntry(
                    TarHeader.regularFile("f", 5, 0600, 0, 0, 0), ByteBuffer.allocate(4)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(writer.position()).isZero();
  }

  @Test
  void rejectsMembersOffABlockBoundaryAndAfterFinish() {
    TarWriter writer = new TarWriter(new ByteArrayOutputStream(), "t");
    writer.writeArchiveBytes(ByteBuffer.allocate(100));

    assertThatThrownBy(() -> writer.startEntry(TarHeader.directory("d", 0700, 0, 0, 0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not on a 512-byte boundary");

    writer.writeArchiveBytes(ByteBuffer.allocate(412));
    writer.finish();
    assertThatThrownBy(writer::finish).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> writer.writeArchiveBytes(ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void reportsAFullDiskAs53100AndOtherWriteErrorsAs58030() {
    OutputStream full =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new FileSystemException("base.tar", null, "No space left on device");
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            write(0);
          }
        };
    OutputStream broken =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("Broken pipe");
          }
        };

    assertThatThrownBy(() -> new TarWriter(full, "base.tar").finish())
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.DISK_FULL))
        .hasMessage("could not write to file \"base.tar\": No space left on device");
    assertThatThrownBy(() -> new TarWriter(broken, "-").finish())
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.IO_ERROR))
        .hasMessage("could not write to file \"-\": Broken pipe")
        .hasCauseInstanceOf(IOException.class);
  }
}
