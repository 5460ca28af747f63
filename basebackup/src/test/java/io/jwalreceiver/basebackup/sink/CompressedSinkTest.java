// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.PgException;
import io.jwalreceiver.basebackup.compress.ArchiveEncoder;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.Compression.Algorithm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The sinks with client-side compression (tar) and server-compressed archives (plain, tar -R). */
class CompressedSinkTest {

  private static final String RECOVERY = "primary_conninfo = 'port=5432'\n";

  @TempDir Path tmp;

  private static byte[] relation() {
    byte[] b = new byte[700_000];
    Random r = new Random(5);
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (r.nextInt(8) == 0 ? r.nextInt() : i / 4096);
    }
    return b;
  }

  /** A server's base.tar: PG_VERSION, a relation, postgresql.auto.conf, end blocks. */
  private static byte[] baseTar() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(Channels.newChannel(out), "base.tar");
    w.startEntry(TarHeader.directory("base", 0700, 0, 0, 0));
    w.endEntry();
    w.startEntry(TarHeader.directory("base/5", 0700, 0, 0, 0));
    w.endEntry();
    entry(w, "PG_VERSION", "15\n".getBytes(StandardCharsets.US_ASCII));
    entry(w, "base/5/16384", relation());
    entry(w, "postgresql.auto.conf", "# server\n".getBytes(StandardCharsets.US_ASCII));
    w.finish();
    return out.toByteArray();
  }

  private static void entry(TarWriter w, String name, byte[] data) {
    w.writeEntry(TarHeader.regularFile(name, data.length, 0600, 0, 0, 0), ByteBuffer.wrap(data));
  }

  private static byte[] compress(Algorithm a, byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArchiveEncoder e = ArchiveEncoder.open(Compression.of(a), Channels.newChannel(out), 2)) {
      e.write(ByteBuffer.wrap(data));
      e.finish();
    }
    return out.toByteArray();
  }

  private static byte[] decompress(Algorithm a, byte[] data) throws IOException {
    InputStream in = new ByteArrayInputStream(data);
    InputStream d =
        a == Algorithm.GZIP
            ? new GZIPInputStream(in)
            : a == Algorithm.LZ4 ? new LZ4FrameInputStream(in) : new ZstdInputStreamNoFinalizer(in);
    try (d) {
      return d.readAllBytes();
    }
  }

  private static Map<String, byte[]> members(byte[] tar) throws IOException {
    Map<String, byte[]> m = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        m.put(e.getName(), e.isFile() ? in.readAllBytes() : new byte[0]);
      }
    }
    return m;
  }

  /** Streams {@code archive} into the sink in 16 KiB chunks, as CopyData would arrive. */
  private static void stream(BackupSink sink, String name, byte[] archive) {
    sink.archiveStart(name, "", true);
    for (int off = 0; off < archive.length; off += 16384) {
      sink.archiveData(ByteBuffer.wrap(archive, off, Math.min(16384, archive.length - off)));
    }
    sink.archiveEnd();
    byte[] manifest = "{}".getBytes(StandardCharsets.US_ASCII);
    sink.manifestStart();
    sink.manifestData(ByteBuffer.wrap(manifest));
    sink.manifestEnd();
    sink.finish();
  }

  private static Algorithm algorithm(String name) {
    return Algorithm.valueOf(name);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GZIP", "LZ4", "ZSTD"})
  void tarSinkCompressesEachArchive(String name) throws IOException {
    Algorithm a = algorithm(name);
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    byte[] tar = baseTar();
    stream(
        new TarFileBackupSink(target, null, false, false, Compression.of(a), 2), "base.tar", tar);
    String file = "base.tar" + Compression.of(a).extension();
    try (Stream<Path> s = Files.list(target.path())) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(file, "backup_manifest");
    }
    assertThat(decompress(a, Files.readAllBytes(target.path().resolve(file)))).isEqualTo(tar);
  }

  @Test
  void tarSinkInjectsRecoverySettingsBeforeCompressing() throws IOException {
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    stream(
        new TarFileBackupSink(target, RECOVERY, true, false, Compression.of(Algorithm.GZIP), 2),
        "base.tar",
        baseTar());
    Map<String, byte[]> m =
        members(
            decompress(Algorithm.GZIP, Files.readAllBytes(target.path().resolve("base.tar.gz"))));
    assertThat(m).containsKeys("PG_VERSION", "base/5/16384", "standby.signal");
    assertThat(new String(m.get("postgresql.auto.conf"), StandardCharsets.UTF_8))
        .isEqualTo("# server\n" + RECOVERY);
    assertThat(m.get("base/5/16384")).isEqualTo(relation());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GZIP", "LZ4", "ZSTD"})
  void tarSinkRewritesServerCompressedBaseForRecoverySettings(String name) throws IOException {
    Algorithm a = algorithm(name);
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    String archive = "base.tar" + Compression.of(a).extension();
    stream(new TarFileBackupSink(target, RECOVERY, false, false), archive, compress(a, baseTar()));
    Map<String, byte[]> m =
        members(decompress(a, Files.readAllBytes(target.path().resolve(archive))));
    assertThat(m).containsKeys("PG_VERSION", "standby.signal");
    assertThat(new String(m.get("postgresql.auto.conf"), StandardCharsets.UTF_8))
        .endsWith(RECOVERY);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GZIP", "LZ4", "ZSTD"})
  void directorySinkExtractsServerCompressedArchives(String name) throws IOException {
    Algorithm a = algorithm(name);
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    stream(
        new DirectoryBackupSink(target, List.of(), RECOVERY, true, false),
        "base.tar" + Compression.of(a).extension(),
        compress(a, baseTar()));
    assertThat(target.path().resolve("PG_VERSION")).hasContent("15");
    assertThat(Files.readAllBytes(target.path().resolve("base/5/16384"))).isEqualTo(relation());
    assertThat(target.path().resolve("standby.signal")).exists();
    assertThat(target.path().resolve("postgresql.auto.conf")).hasContent("# server\n" + RECOVERY);
    assertThat(target.path().resolve("backup_manifest")).exists();
  }

  @Test
  void directorySinkReportsCorruptArchivesAndCleansUp() {
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    DirectoryBackupSink sink = new DirectoryBackupSink(target, List.of(), null, false, false);
    byte[] garbage = new byte[200_000];
    new Random(1).nextBytes(garbage);
    assertThatThrownBy(() -> stream(sink, "base.tar.gz", garbage))
        .isInstanceOf(PgException.class)
        .hasMessageStartingWith("could not decompress archive \"base.tar.gz\"");
    sink.abort();
    assertThat(target.path()).doesNotExist();
  }

  @Test
  void sinksRefuseArchivesThatAreNotTar() {
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    DirectoryBackupSink sink = new DirectoryBackupSink(target, List.of(), null, false, false);
    assertThatThrownBy(() -> sink.archiveStart("base.zip", "", true))
        .isInstanceOf(PgException.class)
        .hasMessage("cannot parse archive \"base.zip\"");
    sink.abort();
  }
}
