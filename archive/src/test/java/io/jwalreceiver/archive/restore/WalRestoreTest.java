// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.DirectoryStore;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.SegmentEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link WalRestore} on a local archive directory (store layout and flat). */
class WalRestoreTest {

  private static final int SEGMENT = 1 << 20;
  private static final String NAME = "000000010000000000000003";

  @TempDir Path tmp;

  /** A 1 MiB segment with a valid long page header for {@link #NAME}, random WAL-ish bytes. */
  static byte[] segment(String name, int length) {
    byte[] b = new byte[SEGMENT];
    new Random(name.hashCode()).nextBytes(b);
    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    h.putShort(0, (short) 0xD10D);
    h.putShort(2, (short) 0x0002);
    h.putInt(4, 1);
    long segNo = Long.parseLong(name.substring(16, 24), 16);
    h.putLong(8, segNo * SEGMENT);
    h.putInt(16, 0);
    h.putInt(20, 0);
    h.putLong(24, 7_000_000_000_000_000_001L);
    h.putInt(32, SEGMENT);
    h.putInt(36, 8192);
    return Arrays.copyOf(b, length);
  }

  static byte[] compress(Compression.Algorithm algorithm, byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SegmentEncoder e =
        SegmentEncoder.open(
            Compression.of(algorithm),
            (buffer, position) -> {
              byte[] chunk = new byte[buffer.remaining()];
              buffer.get(chunk);
              out.write(chunk);
            });
    e.write(ByteBuffer.wrap(data));
    e.finish();
    e.release();
    return out.toByteArray();
  }

  private Path archive() throws IOException {
    return Files.createDirectories(tmp.resolve("archive/wal")).getParent();
  }

  private Optional<WalRestore.Restored> restore(Path archive, String name, Path dest)
      throws IOException {
    StoreLocation location = StoreLocation.parse(archive.toString());
    try (ObjectStore store = new DirectoryStore(location)) {
      return new WalRestore(store, ArchiveLayout.of(location))
          .restore(WalFileName.parse(name), dest);
    }
  }

  private Path dest() throws IOException {
    return Files.createDirectories(tmp.resolve("pg_wal")).resolve("RECOVERYXLOG");
  }

  @ParameterizedTest
  @EnumSource(Compression.Algorithm.class)
  void servesASegmentPlainOrDecompressed(Compression.Algorithm algorithm) throws IOException {
    Path archive = archive();
    byte[] segment = segment(NAME, SEGMENT);
    byte[] stored =
        algorithm == Compression.Algorithm.NONE ? segment : compress(algorithm, segment);
    Files.write(archive.resolve("wal/" + NAME + algorithm.extension()), stored);
    Path dest = dest();

    Optional<WalRestore.Restored> r = restore(archive, NAME, dest);

    assertThat(r)
        .contains(new WalRestore.Restored("wal/" + NAME + algorithm.extension(), SEGMENT, false));
    assertThat(Files.readAllBytes(dest)).isEqualTo(segment);
    assertThat(tmp.resolve("pg_wal")).isDirectoryContaining(p -> true);
    try (Stream<Path> files = Files.list(tmp.resolve("pg_wal"))) {
      assertThat(files).containsExactly(dest);
    }
  }

  @Test
  void theUncompressedNameWinsOverACompressedOne() throws IOException {
    Path archive = archive();
    byte[] segment = segment(NAME, SEGMENT);
    Files.write(archive.resolve("wal/" + NAME), segment);
    Files.write(
        archive.resolve("wal/" + NAME + ".gz"), "not even gzip".getBytes(StandardCharsets.UTF_8));
    assertThat(restore(archive, NAME, dest()).orElseThrow().key()).isEqualTo("wal/" + NAME);
  }

  @Test
  void aCompressedPartialIsServedZeroPaddedToTheSegmentSize() throws IOException {
    Path archive = archive();
    byte[] received = segment(NAME, 300_000);
    Files.write(
        archive.resolve("wal/" + NAME + ".lz4.partial"),
        compress(Compression.Algorithm.LZ4, received));
    Path dest = dest();

    WalRestore.Restored r = restore(archive, NAME, dest).orElseThrow();

    assertThat(r.partial()).isTrue();
    byte[] served = Files.readAllBytes(dest);
    assertThat(served).hasSize(SEGMENT);
    assertThat(Arrays.copyOf(served, received.length)).isEqualTo(received);
    assertThat(Arrays.copyOfRange(served, received.length, SEGMENT)).containsOnly((byte) 0);
  }

  @Test
  void aFlatPgReceivewalDirectoryIsReadToo() throws IOException {
    Path flat = Files.createDirectories(tmp.resolve("flat"));
    byte[] segment = segment(NAME, SEGMENT);
    Files.write(flat.resolve(NAME + ".partial"), segment);
    Path dest = dest();
    assertThat(restore(flat, NAME, dest)).isPresent();
    assertThat(Files.readAllBytes(dest)).isEqualTo(segment);
  }

  @Test
  void aZeroFilledPartialHoldsNoWalAndCountsAsMissing() throws IOException {
    Path archive = archive();
    Files.write(archive.resolve("wal/" + NAME + ".partial"), new byte[SEGMENT]);
    Path dest = dest();
    assertThat(restore(archive, NAME, dest)).isEmpty();
    assertThat(dest).doesNotExist();
  }

  @Test
  void aHistoryFileIsServedAsItIs() throws IOException {
    Path archive = archive();
    byte[] history =
        "1\t0/3000000\tno recovery target specified\n".getBytes(StandardCharsets.UTF_8);
    Files.write(
        archive.resolve("wal/00000002.history.gz"), compress(Compression.Algorithm.GZIP, history));
    Path dest = tmp.resolve("RECOVERYHISTORY");
    assertThat(restore(archive, "00000002.history", dest)).isPresent();
    assertThat(Files.readAllBytes(dest)).isEqualTo(history);
  }

  @Test
  void aMissingFileIsEmptyAndWritesNothing() throws IOException {
    Path archive = archive();
    Path dest = dest();
    assertThat(restore(archive, NAME, dest)).isEmpty();
    assertThat(restore(archive, "00000005.history", dest)).isEmpty();
    try (Stream<Path> files = Files.list(tmp.resolve("pg_wal"))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aMissingArchiveDirectoryIsAnErrorNotAMissingFile() throws IOException {
    Path dest = dest();
    assertThatThrownBy(() -> restore(tmp.resolve("no-such-archive"), NAME, dest))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("no-such-archive");
  }

  @Test
  void aTruncatedCompressedSegmentIsRefusedAndTheDestinationLeftAlone() throws IOException {
    Path archive = archive();
    byte[] gz = compress(Compression.Algorithm.GZIP, segment(NAME, SEGMENT));
    Files.write(archive.resolve("wal/" + NAME + ".gz"), Arrays.copyOf(gz, gz.length / 2));
    Path dest = dest();
    Files.writeString(dest, "what was there");

    assertThatThrownBy(() -> restore(archive, NAME, dest))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.DATA_CORRUPTED))
        .hasMessageStartingWith(
            "archived file \"" + archive.resolve("wal/" + NAME + ".gz") + "\" is corrupt: ");
    assertThat(dest).hasContent("what was there");
    try (Stream<Path> files = Files.list(tmp.resolve("pg_wal"))) {
      assertThat(files).containsExactly(dest);
    }
  }

  @Test
  void aShortSegmentIsRefused() throws IOException {
    Path archive = archive();
    Files.write(
        archive.resolve("wal/" + NAME + ".zst"),
        compress(Compression.Algorithm.ZSTD, segment(NAME, SEGMENT - 8192)));
    assertThatThrownBy(() -> restore(archive, NAME, dest()))
        .isInstanceOf(PgException.class)
        .hasMessageEndingWith(
            "is corrupt: it has "
                + (SEGMENT - 8192)
                + " bytes, but the segment size in its header is "
                + SEGMENT);
  }

  @Test
  void aSegmentUnderAnotherNameIsRefused() throws IOException {
    Path archive = archive();
    Files.write(archive.resolve("wal/" + NAME), segment("000000010000000000000004", SEGMENT));
    assertThatThrownBy(() -> restore(archive, NAME, dest()))
        .isInstanceOf(PgException.class)
        .hasMessageEndingWith("its first page is at 400000, not at the start of segment " + NAME);
  }

  @Test
  void garbageIsRefused() throws IOException {
    Path archive = archive();
    byte[] junk = new byte[SEGMENT];
    new Random(1).nextBytes(junk);
    junk[2] = 0;
    Files.write(archive.resolve("wal/" + NAME), junk);
    assertThatThrownBy(() -> restore(archive, NAME, dest()))
        .isInstanceOf(PgException.class)
        .hasMessageEndingWith("it does not start with a long WAL page header");
  }
}
