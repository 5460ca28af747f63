// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.manifest.ManifestChecksum;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.testkit.GoldenFiles;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The plain-format sink's inline check against the manifest, with the files and manifest of a real
 * PostgreSQL 15 backup (test resources {@code golden/manifest/}): the server's own manifest passes;
 * a manifest entry changed afterwards (checksum or size), a file corrupted in the archive, a file
 * missing or one not in the manifest fail the backup naming the file, and the target is cleaned up
 * as after any failure. The tar-format sink makes the same check on the archive it stores.
 */
class InlineVerificationTest {

  private static final List<String> FILES =
      List.of("backup_label", "PG_VERSION", "global/pg_control");

  @TempDir Path tmp;

  private static byte[] golden(String name) {
    return GoldenFiles.load("manifest/" + name);
  }

  /** base.tar holding {@code files}, with {@code corrupt} (if not null) having a changed byte. */
  private static byte[] baseTar(List<String> files, String corrupt) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out, "base.tar");
    w.writeEntry(TarHeader.directory("global", 0700, 0, 0, 0), ByteBuffer.allocate(0));
    for (String f : files) {
      byte[] content = golden(f);
      if (f.equals(corrupt)) {
        content[content.length / 2] ^= 0x01;
      }
      w.writeEntry(
          TarHeader.regularFile(f, content.length, 0600, 0, 0, 0), ByteBuffer.wrap(content));
    }
    w.finish();
    return out.toByteArray();
  }

  /** The golden manifest with one text replaced and its Manifest-Checksum recomputed. */
  private static byte[] tampered(String from, String to) {
    String m = new String(golden("backup_manifest"), StandardCharsets.UTF_8);
    assertThat(m).contains(from);
    m = m.replace(from, to);
    String body = m.substring(0, m.indexOf("\"Manifest-Checksum\""));
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return (body
            + "\"Manifest-Checksum\": \""
            + ManifestChecksum.hex(ManifestChecksum.sha256(b, 0, b.length))
            + "\"}\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private DirectoryBackupSink sink() {
    return VerifyingSinks.directory(tmp.resolve("backup"));
  }

  private TarFileBackupSink tarSink(String dir) {
    return new TarFileBackupSink(OutputDirectory.prepare(tmp.resolve(dir)), null, false, false)
        .verifying(ChecksumAlgorithm.CRC32C);
  }

  /** Feeds one archive (in small chunks, as the network does) and the manifest. */
  private static void run(BackupSink sink, byte[] tar, byte[] manifest) {
    try {
      sink.archiveStart("base.tar", "", true);
      for (int off = 0; off < tar.length; off += 700) {
        sink.archiveData(ByteBuffer.wrap(tar, off, Math.min(700, tar.length - off)));
      }
      sink.archiveEnd();
      sink.manifestStart();
      for (int off = 0; off < manifest.length; off += 100) {
        sink.manifestData(ByteBuffer.wrap(manifest, off, Math.min(100, manifest.length - off)));
      }
      sink.manifestEnd();
      sink.finish();
    } catch (RuntimeException e) {
      sink.abort();
      throw e;
    }
  }

  @Test
  void theServersManifestMatches() {
    DirectoryBackupSink sink = sink();
    run(sink, baseTar(FILES, null), golden("backup_manifest"));
    assertThat(sink.verifiedFiles()).isEqualTo(3);
    assertThat(tmp.resolve("backup/backup_manifest")).hasBinaryContent(golden("backup_manifest"));
    assertThat(tmp.resolve("backup/global/pg_control"))
        .hasBinaryContent(golden("global/pg_control"));
  }

  @Test
  void tarFormatIsCheckedToo() {
    TarFileBackupSink sink = tarSink("backup");
    byte[] tar = baseTar(FILES, null);
    run(sink, tar, golden("backup_manifest"));
    assertThat(sink.verifiedFiles()).isEqualTo(3);
    // Stored as received.
    assertThat(tmp.resolve("backup/base.tar")).hasBinaryContent(tar);

    assertThatThrownBy(
            () ->
                run(
                    tarSink("corrupt"),
                    baseTar(FILES, "global/pg_control"),
                    golden("backup_manifest")))
        .hasMessage(
            "backup manifest does not match the received data: "
                + "checksum mismatch for file \"global/pg_control\"");
    assertThat(tmp.resolve("corrupt")).doesNotExist();
  }

  /** A manifest entry changed after the server wrote it, and the refusal naming the file. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "\"Checksum\": \"43872087\" | \"Checksum\": \"43872088\" | checksum mismatch for file"
            + " \"global/pg_control\"",
        "\"Size\": 3,              | \"Size\": 4,              | \"PG_VERSION\" has size 3 as"
            + " received but size 4 in the manifest",
      })
  void aTamperedManifestFailsNamingTheFile(String original, String tamperedTo, String problem) {
    byte[] manifest = tampered(original, tamperedTo);
    assertThatThrownBy(() -> run(sink(), baseTar(FILES, null), manifest))
        .isInstanceOf(PgException.class)
        .hasMessage("backup manifest does not match the received data: " + problem);
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void aFileCorruptedInTransitFails() {
    assertThatThrownBy(() -> run(sink(), baseTar(FILES, "backup_label"), golden("backup_manifest")))
        .hasMessageEndingWith("checksum mismatch for file \"backup_label\"");
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void missingAndUnlistedFilesFail() {
    assertThatThrownBy(
            () ->
                run(
                    sink(),
                    baseTar(List.of("backup_label", "PG_VERSION"), null),
                    golden("backup_manifest")))
        .hasMessageEndingWith(
            "\"global/pg_control\" is present in the manifest but was not received");
    byte[] withoutVersion =
        tampered(
            "{ \"Path\": \"PG_VERSION\", \"Size\": 3, \"Last-Modified\": \"2026-11-27 17:35:56 GMT\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"8a744722\" },\n",
            "");
    assertThatThrownBy(() -> run(sink(), baseTar(FILES, null), withoutVersion))
        .isInstanceOf(PgException.class)
        .hasMessageEndingWith("\"PG_VERSION\" was received but is not in the manifest");
  }

  @Test
  void severalMismatchesAreCounted() {
    byte[] manifest = tampered("\"Size\": 3,", "\"Size\": 4,");
    assertThatThrownBy(() -> run(sink(), baseTar(FILES, "global/pg_control"), manifest))
        .isInstanceOfSatisfying(
            PgException.class,
            e ->
                assertThat(e.detail())
                    .isEqualTo("1 more mismatch between the manifest and the received files"));
  }
}
