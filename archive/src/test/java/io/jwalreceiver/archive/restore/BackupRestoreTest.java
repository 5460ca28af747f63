// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.DirectoryStore;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BackupRestore}'s choices and refusals on a local archive: which backup, an occupied data
 * directory, and archives whose members try to write outside the target (the extraction is
 * basebackup's, with its guard). The happy path on a real backup is RestoreIT's.
 */
class BackupRestoreTest {

  @TempDir Path tmp;
  private Path archive;
  private Path victim;

  @BeforeEach
  void setUp() throws IOException {
    archive = Files.createDirectories(tmp.resolve("archive/basebackups"));
    Files.createDirectories(tmp.resolve("archive/wal"));
    victim = Files.createDirectories(tmp.resolve("victim"));
    Files.writeString(victim.resolve("file"), "precious");
  }

  private static byte[] tar(Consumer<TarWriter> members) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out, "base.tar");
    members.accept(w);
    w.finish();
    return out.toByteArray();
  }

  private static void file(TarWriter w, String name, String content) {
    byte[] b = content.getBytes(StandardCharsets.UTF_8);
    w.writeEntry(TarHeader.regularFile(name, b.length, 0600, 0, 0, 0), ByteBuffer.wrap(b));
  }

  private static void link(TarWriter w, String name, String target) {
    w.writeEntry(
        new TarHeader(name, 0777, 0, 0, 0, 0, TarHeader.SYMLINK, target), ByteBuffer.allocate(0));
  }

  private void backup(String id, String name, byte[] content, boolean complete) throws IOException {
    Path dir = Files.createDirectories(archive.resolve(id));
    Files.write(dir.resolve(name), content);
    if (complete) {
      Files.writeString(dir.resolve(ArchiveLayout.MANIFEST), "{}");
    }
  }

  private <T> T withStore(StoreCall<T> call) throws IOException {
    StoreLocation location = StoreLocation.parse(tmp.resolve("archive").toString());
    try (ObjectStore store = new DirectoryStore(location)) {
      return call.run(new BackupRestore(store, ArchiveLayout.of(location)));
    }
  }

  @FunctionalInterface
  interface StoreCall<T> {
    T run(BackupRestore restore) throws IOException;
  }

  private void restore(String id, Path dataDir) throws IOException {
    List<String> errors = new ArrayList<>();
    withStore(r -> r.restore(r.choose(id), dataDir, List.of(), errors::add));
  }

  @Test
  void latestIsTheNewestCompleteBackup() throws IOException {
    backup("20261201T000000Z", "base.tar", tar(w -> {}), true);
    backup("20261202T000000Z", "base.tar", tar(w -> {}), true);
    backup("20261203T000000Z", "base.tar", tar(w -> {}), false);
    String latest = withStore(r -> r.choose(BackupRestore.LATEST).id());
    assertThat(latest).isEqualTo("20261202T000000Z");
    List<String> ids = withStore(r -> r.backups().stream().map(BackupRestore.Backup::id).toList());
    assertThat(ids).containsExactly("20261201T000000Z", "20261202T000000Z", "20261203T000000Z");
    assertThatThrownBy(() -> withStore(r -> r.choose("20261203T000000Z")))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "backup \"20261203T000000Z\" is not complete: it has no backup_manifest"
                + " (interrupted, or still being written)");
    assertThatThrownBy(() -> withStore(r -> r.choose("20261204T000000Z")))
        .isInstanceOf(PgException.class)
        .hasMessageStartingWith("backup \"20261204T000000Z\" not found in ");
    assertThatThrownBy(() -> withStore(r -> r.choose("../x")))
        .isInstanceOf(PgException.class)
        .hasMessage("invalid backup id \"../x\": expected yyyyMMddTHHmmssZ or \"latest\"");
  }

  @Test
  void anOccupiedDataDirectoryIsRefusedAndLeftAlone() throws IOException {
    backup("20261201T000000Z", "base.tar", tar(w -> file(w, "PG_VERSION", "15\n")), true);
    Path dataDir = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(dataDir.resolve("keep"), "mine");
    assertThatThrownBy(() -> restore("latest", dataDir))
        .isInstanceOf(PgException.class)
        .hasMessage("directory \"" + dataDir + "\" exists but is not empty");
    assertThat(dataDir.resolve("keep")).hasContent("mine");
    assertThat(dataDir.resolve("PG_VERSION")).doesNotExist();
  }

  @Test
  void aMemberClimbingOutOfTheTargetIsRefusedAndTheTargetRemoved() throws IOException {
    backup(
        "20261201T000000Z",
        "base.tar",
        tar(
            w -> {
              file(w, "PG_VERSION", "15\n");
              file(w, "../victim/file", "overwritten");
            }),
        true);
    Path dataDir = tmp.resolve("data");
    assertThatThrownBy(() -> restore("latest", dataDir))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "refusing to extract archive member \"../victim/file\" outside the target directory");
    assertThat(victim.resolve("file")).hasContent("precious");
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void aFileThroughALinkTheArchivePlantedIsRefused() throws IOException {
    backup(
        "20261201T000000Z",
        "base.tar.gz",
        gzip(
            tar(
                w -> {
                  link(w, "abs", victim.toString());
                  file(w, "abs/file", "overwritten");
                })),
        true);
    Path dataDir = Files.createDirectories(tmp.resolve("data"));
    assertThatThrownBy(() -> restore("latest", dataDir))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "refusing to extract archive member \"abs/file\" through symbolic link \""
                + dataDir.resolve("abs")
                + "\"");
    assertThat(victim.resolve("file")).hasContent("precious");
    // It was empty and ours to fill: emptied again, kept.
    assertThat(dataDir).isEmptyDirectory();
  }

  @Test
  void aWalArchiveMemberClimbingOutIsRefused() throws IOException {
    backup("20261201T000000Z", "base.tar", tar(w -> file(w, "PG_VERSION", "15\n")), true);
    Files.write(
        archive.resolve("20261201T000000Z/pg_wal.tar"),
        tar(w -> file(w, "../../victim/file", "overwritten")));
    Path dataDir = tmp.resolve("data");
    assertThatThrownBy(() -> restore("latest", dataDir))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "refusing to extract archive member \"../../victim/file\" outside the target"
                + " directory");
    assertThat(victim.resolve("file")).hasContent("precious");
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void anUnknownObjectInTheBackupIsRefusedBeforeAnythingIsWritten() throws IOException {
    backup("20261201T000000Z", "base.tar", tar(w -> {}), true);
    Files.writeString(archive.resolve("20261201T000000Z/evil.sh"), "rm -rf /");
    Path dataDir = tmp.resolve("data");
    assertThatThrownBy(() -> restore("latest", dataDir))
        .isInstanceOf(PgException.class)
        .hasMessage("backup \"20261201T000000Z\" has an unexpected object \"evil.sh\"");
    assertThat(dataDir).doesNotExist();
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
