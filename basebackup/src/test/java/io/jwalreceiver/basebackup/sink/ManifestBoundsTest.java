// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A manifest the server never ends, or that holds one endless string, is refused while it arrives —
 * with the bound the received files justify, or the parser's string bound — instead of being
 * collected in memory until it ends (an OutOfMemoryError, before); the target is cleaned.
 */
class ManifestBoundsTest {

  /** Far past any bound, so that a sink without one is seen to accept it all. */
  private static final long GIVE_UP = 64L << 20;

  @TempDir Path tmp;

  private static byte[] baseTar() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out, "base.tar");
    byte[] v = "15\n".getBytes(StandardCharsets.UTF_8);
    w.writeEntry(TarHeader.regularFile("PG_VERSION", v.length, 0600, 0, 0, 0), ByteBuffer.wrap(v));
    w.finish();
    return out.toByteArray();
  }

  /** Sends base.tar, then {@code head} and {@code repeated} until the sink fails or GIVE_UP. */
  private static long endless(BackupSink sink, String head, String repeated) {
    long sent = 0;
    try {
      sink.archiveStart("base.tar", "", true);
      sink.archiveData(ByteBuffer.wrap(baseTar()));
      sink.archiveEnd();
      sink.manifestStart();
      sink.manifestData(ByteBuffer.wrap(head.getBytes(StandardCharsets.UTF_8)));
      byte[] chunk =
          repeated.repeat(Math.max(1, 8192 / repeated.length())).getBytes(StandardCharsets.UTF_8);
      while (sent < GIVE_UP) {
        sink.manifestData(ByteBuffer.wrap(chunk));
        sent += chunk.length;
      }
      return sent;
    } catch (RuntimeException e) {
      sink.abort();
      throw e;
    }
  }

  private DirectoryBackupSink sink() {
    return VerifyingSinks.directory(tmp.resolve("backup"));
  }

  @Test
  void aManifestThatNeverEndsIsRefusedAtTheBoundItsFilesJustify() {
    long bound = InlineVerifier.MANIFEST_BASE + InlineVerifier.MANIFEST_PER_FILE;
    assertThatThrownBy(
            () ->
                endless(
                    sink(),
                    "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n" + "\"Files\": [\n",
                    "{ \"Path\": \"x\", \"Size\": 0 },\n"))
        .isInstanceOf(PgException.class)
        // The parser reads entries as they come: a repeated path is seen at once.
        .hasMessage("duplicate path name in backup manifest: \"x\"");
    assertThatThrownBy(
            () ->
                endless(
                    sink(),
                    "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n" + "\"Files\": [\n",
                    " \n"))
        .isInstanceOf(PgException.class)
        .hasMessage("could not parse backup manifest: manifest is larger than " + bound + " bytes");
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void anEndlessStringIsRefusedAtTheParsersBound() {
    assertThatThrownBy(
            () ->
                endless(
                    sink(),
                    "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n"
                        + "\"Files\": [ { \"Path\": \"",
                    "a"))
        .isInstanceOf(PgException.class)
        .hasMessageStartingWith("could not parse backup manifest: String value length")
        .hasMessageNotContaining("\n");
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void aManifestStoredUncheckedHasABoundToo() {
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    ManifestFile file = new ManifestFile(target, new Syncer(false), 1000);
    file.start();
    file.data(ByteBuffer.allocate(1000));
    assertThatThrownBy(() -> file.data(ByteBuffer.allocate(1)))
        .hasMessage("could not parse backup manifest: manifest is larger than 1000 bytes");
    file.closeQuietly();
  }
}
