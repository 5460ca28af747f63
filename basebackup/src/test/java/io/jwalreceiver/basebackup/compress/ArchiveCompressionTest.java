// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static io.jwalreceiver.basebackup.compress.CompressionFixtures.compressible;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.decode;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.encode;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.random;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.toolAccepts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.compress.CompressionFixtures.Collector;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.Compression.Algorithm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Client-side archive compression (tar written through {@link ArchiveEncoder}) and on-the-fly
 * decompression of server-compressed archives ({@link ArchiveDecompressor}), against the JDK,
 * lz4-java, zstd-jni, commons-compress and the command-line tools.
 */
class ArchiveCompressionTest {

  @TempDir Path tmp;

  /** A small data directory as a tar: PG_VERSION, a relation file, a directory. */
  private static Map<String, byte[]> files() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8));
    files.put("base/5/16384", compressible(1_500_000, 1));
    files.put("base/5/16385", random(300_000, 2));
    files.put("global/pg_control", random(8192, 3));
    return files;
  }

  private static void writeTar(
      java.nio.channels.WritableByteChannel out, Map<String, byte[]> files) {
    TarWriter w = new TarWriter(out, "base.tar");
    w.startEntry(TarHeader.directory("base/", 0700, 0, 0, 0));
    w.endEntry();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      w.writeEntry(
          TarHeader.regularFile(f.getKey(), f.getValue().length, 0600, 0, 0, 0),
          ByteBuffer.wrap(f.getValue()));
    }
    w.finish();
  }

  private static byte[] tar(Map<String, byte[]> files) {
    Collector c = new Collector();
    writeTar(c, files);
    return c.toByteArray();
  }

  private static void assertTarHolds(byte[] tar, Map<String, byte[]> files) throws IOException {
    Map<String, byte[]> read = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.isFile()) {
          read.put(e.getName(), in.readAllBytes());
        }
      }
    }
    assertThat(read.keySet()).containsExactlyElementsOf(files.keySet());
    files.forEach((k, v) -> assertThat(read.get(k)).as(k).isEqualTo(v));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "gzip",
        "gzip:1",
        "lz4",
        "lz4:1",
        "lz4:9",
        "zstd",
        "zstd:level=1,long",
        "zstd:workers=2",
        "zstd:-5"
      })
  void tarWrittenThroughTheEncoderRoundTrips(String spec) throws Exception {
    Compression c = Compression.parse(spec);
    Map<String, byte[]> files = files();
    Collector out = new Collector();
    try (ArchiveEncoder e = ArchiveEncoder.open(c, out, 2)) {
      writeTar(e, files);
      e.finish();
    }
    byte[] compressed = out.toByteArray();
    byte[] tar = decode(c.algorithm(), compressed);
    assertThat(tar).isEqualTo(tar(files));
    assertTarHolds(tar, files);
    Path file = tmp.resolve("base.tar" + c.extension());
    Files.write(file, compressed);
    String tool =
        c.algorithm() == Algorithm.GZIP ? "gzip" : c.algorithm() == Algorithm.LZ4 ? "lz4" : "zstd";
    if (!toolAccepts(tool, file)) {
      System.err.println(tool + " not installed; skipped the " + tool + " -t check");
    }
  }

  @Test
  void encoderRefusesNone() {
    assertThatThrownBy(() -> ArchiveEncoder.open(Compression.NONE, new Collector(), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void archiveNamesSayHowTheyAreCompressed() {
    assertThat(ArchiveDecompressor.algorithmOf("base.tar")).isEqualTo(Algorithm.NONE);
    assertThat(ArchiveDecompressor.algorithmOf("16384.tar.gz")).isEqualTo(Algorithm.GZIP);
    assertThat(ArchiveDecompressor.algorithmOf("base.tar.lz4")).isEqualTo(Algorithm.LZ4);
    assertThat(ArchiveDecompressor.algorithmOf("base.tar.zst")).isEqualTo(Algorithm.ZSTD);
    assertThat(ArchiveDecompressor.algorithmOf(".tar")).isNull();
    assertThat(ArchiveDecompressor.algorithmOf("base.zip")).isNull();
    assertThat(ArchiveDecompressor.algorithmOf("base.tar.bz2")).isNull();
  }

  // ---- decompression ------------------------------------------------------------------------

  /** Feeds {@code compressed} in random chunks; returns what the downstream received. */
  private static byte[] decompress(Algorithm a, byte[] compressed, long seed) {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    AtomicReference<Thread> thread = new AtomicReference<>();
    ArchiveDecompressor d =
        new ArchiveDecompressor(
            a,
            "base.tar" + ext(a),
            b -> {
              thread.set(Thread.currentThread());
              byte[] copy = new byte[b.remaining()];
              b.get(copy);
              got.writeBytes(copy);
            });
    Random r = new Random(seed);
    int off = 0;
    while (off < compressed.length) {
      int n = Math.min(compressed.length - off, 1 + r.nextInt(r.nextBoolean() ? 50 : 200_000));
      ByteBuffer b = ByteBuffer.wrap(compressed, off, n);
      d.feed(b);
      assertThat(b.hasRemaining()).isFalse();
      off += n;
    }
    d.finish();
    assertThat(thread.get()).isNotEqualTo(Thread.currentThread());
    return got.toByteArray();
  }

  private static String ext(Algorithm a) {
    return a == Algorithm.GZIP ? ".gz" : a == Algorithm.LZ4 ? ".lz4" : ".zst";
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "gzip:9", "lz4", "lz4:12", "zstd", "zstd:level=1,long"})
  void decompressesWhatTheEncodersWrite(String spec) throws IOException {
    Compression c = Compression.parse(spec);
    byte[] tar = tar(files());
    for (int seed = 0; seed < 3; seed++) {
      assertThat(decompress(c.algorithm(), encode(c, 1, tar, seed), seed)).isEqualTo(tar);
    }
  }

  @Test
  void decompressesTheJdksGzipAndEmptyArchives() throws IOException {
    byte[] tar = tar(files());
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write(tar);
    }
    assertThat(decompress(Algorithm.GZIP, gz.toByteArray(), 1)).isEqualTo(tar);
    for (Algorithm a : new Algorithm[] {Algorithm.GZIP, Algorithm.LZ4, Algorithm.ZSTD}) {
      byte[] empty = encode(Compression.of(a), 1, new byte[0], 1);
      assertThat(decompress(a, empty, 1)).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "lz4", "zstd"})
  void truncatedOrCorruptStreamsFailWithTheArchiveName(String spec) throws IOException {
    Compression c = Compression.parse(spec);
    byte[] full = encode(c, 1, tar(files()), 1);
    byte[] truncated = java.util.Arrays.copyOf(full, full.length / 2);
    assertThatThrownBy(() -> decompress(c.algorithm(), truncated, 1))
        .isInstanceOf(PgException.class)
        .hasMessageStartingWith("could not decompress archive \"base.tar" + c.extension() + "\"");
    byte[] garbage = random(100_000, 9);
    assertThatThrownBy(() -> decompress(c.algorithm(), garbage, 1))
        .isInstanceOf(PgException.class)
        .hasMessageStartingWith("could not decompress archive");
  }

  @Test
  void downstreamFailuresAreRethrownAsThrown() throws IOException {
    PgException diskFull = new PgException(SqlState.DISK_FULL, "could not write to file \"x\"");
    byte[] gz = encode(Compression.of(Algorithm.GZIP), 1, compressible(5_000_000, 4), 1);
    ArchiveDecompressor d =
        new ArchiveDecompressor(
            Algorithm.GZIP,
            "base.tar.gz",
            b -> {
              throw diskFull;
            });
    assertThatThrownBy(
            () -> {
              for (int off = 0; off < gz.length; off += 8192) {
                d.feed(ByteBuffer.wrap(gz, off, Math.min(8192, gz.length - off)));
              }
              d.finish();
            })
        .isSameAs(diskFull);
  }

  @Test
  void abortStopsAWorkerThatIsWaitingForData() {
    ArchiveDecompressor d = new ArchiveDecompressor(Algorithm.ZSTD, "base.tar.zst", b -> {});
    d.feed(ByteBuffer.wrap(new byte[] {0x28, (byte) 0xb5}));
    d.abort();
    d.abort();
    assertThat(
            Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("decompress-base.tar.zst") && t.isAlive())
                .count())
        .isZero();
  }
}
