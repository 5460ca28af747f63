// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.DirectoryStore;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.basebackup.Destination;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StoreBackupSink}'s keys and order on a {@link DirectoryStore}: every archive visible when
 * it ends, the manifest only after {@link StoreBackupSink#finish}; an abort leaves no object.
 */
class StoreBackupSinkTest {

  private static final Instant START = Instant.parse("2026-12-06T23:05:01Z");
  private static final String ID = "20261206T230501Z";

  @TempDir Path dir;

  private ObjectStore store() {
    return new DirectoryStore(StoreLocation.parse(dir.toString()));
  }

  private static List<String> keys(ObjectStore store) throws IOException {
    return store.list("").stream().map(StoredObject::key).toList();
  }

  /** A terminated tar archive of one member. */
  private static ByteBuffer tar(String member, String content) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    TarWriter w = new TarWriter(out, "test.tar");
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    w.startEntry(
        io.jwalreceiver.basebackup.tar.TarHeader.regularFile(member, bytes.length, 0600, 0, 0, 0));
    w.writeData(ByteBuffer.wrap(bytes));
    w.endEntry();
    w.finish();
    return ByteBuffer.wrap(out.toByteArray());
  }

  private static void archive(StoreBackupSink sink, String name, String path, ByteBuffer data) {
    sink.archiveStart(name, path, true);
    sink.archiveData(data);
    sink.archiveEnd();
  }

  @Test
  void archivesWhenTheyEndManifestLast() throws IOException {
    try (ObjectStore store = store()) {
      String id = StoreBackupSink.newBackupId(store, START);
      assertThat(id).isEqualTo(ID);
      StoreBackupSink sink = new StoreBackupSink(store, id, null, Compression.NONE, 0);
      assertThat(sink.location()).isEqualTo(dir.resolve("basebackups/" + ID).toString());
      ByteBuffer ts = tar("PG_15_202209061/1/16384", "tablespace data");
      byte[] tsBytes = new byte[ts.remaining()];
      ts.duplicate().get(tsBytes);
      archive(sink, "16385.tar", "/srv/ts", ts);
      assertThat(keys(store)).containsExactly("basebackups/" + ID + "/16385.tar");
      archive(sink, "base.tar", "", tar("PG_VERSION", "15\n"));
      sink.manifestStart();
      sink.manifestData(ByteBuffer.wrap("{\"PostgreSQL-Backup-Manifest-Version\": 1}".getBytes()));
      sink.manifestEnd();
      archive(
          sink,
          Destination.External.WAL_ARCHIVE,
          Destination.External.WAL_ARCHIVE_PATH,
          tar("000000010000000000000002", "wal"));
      // The manifest is not there before finish().
      assertThat(keys(store))
          .containsExactly(
              "basebackups/" + ID + "/16385.tar",
              "basebackups/" + ID + "/base.tar",
              "basebackups/" + ID + "/pg_wal.tar");
      sink.finish();
      assertThat(keys(store)).contains("basebackups/" + ID + "/" + ArchiveLayout.MANIFEST);
      try (InputStream in = store.open("basebackups/" + ID + "/16385.tar")) {
        assertThat(in.readAllBytes()).isEqualTo(tsBytes);
      }
      // Finished: an abort (a late stop signal) removes nothing.
      sink.abort();
      assertThat(keys(store)).hasSize(4);
      // The same second again: refused, not mixed into the first backup.
      assertThatThrownBy(() -> StoreBackupSink.newBackupId(store, START))
          .isInstanceOf(PgException.class)
          .hasMessageContaining("already exists");
    }
  }

  @Test
  void compressionSuffixesAndWalOnlyWithGzip() {
    Compression lz4 = Compression.of(Compression.Algorithm.LZ4);
    Compression gzip = Compression.of(Compression.Algorithm.GZIP);
    String wal = Destination.External.WAL_ARCHIVE;
    String walPath = Destination.External.WAL_ARCHIVE_PATH;
    assertThat(StoreBackupSink.storedName("base.tar", "", lz4)).isEqualTo("base.tar.lz4");
    assertThat(StoreBackupSink.storedName(wal, walPath, lz4)).isEqualTo("pg_wal.tar");
    assertThat(StoreBackupSink.storedName(wal, walPath, gzip)).isEqualTo("pg_wal.tar.gz");
    assertThat(StoreBackupSink.storedName("16385.tar", "/ts", gzip)).isEqualTo("16385.tar.gz");
  }

  @Test
  void abortDeletesWhatWasCommittedAndRefusesMore() throws IOException {
    try (ObjectStore store = store()) {
      StoreBackupSink sink = new StoreBackupSink(store, ID, null, Compression.NONE, 0);
      archive(sink, "16385.tar", "/srv/ts", tar("a", "b"));
      sink.archiveStart("base.tar", "", true);
      sink.archiveData(tar("PG_VERSION", "15\n"));
      sink.manifestStart();
      assertThat(keys(store)).hasSize(1);
      sink.abort();
      assertThat(keys(store)).isEmpty();
      assertThat(sink.leftovers()).isEmpty();
      assertThatThrownBy(sink::finish).isInstanceOf(PgException.class);
    }
  }

  @Test
  void refusesArchiveNamesThatLeaveTheBackupAndABackupWithoutManifest() throws IOException {
    try (ObjectStore store = store()) {
      StoreBackupSink sink = new StoreBackupSink(store, ID, null, Compression.NONE, 0);
      for (String name : List.of("../x.tar", "a/b.tar", ".tar", "")) {
        assertThatThrownBy(() -> sink.archiveStart(name, "", true))
            .isInstanceOf(PgException.class)
            .hasMessageContaining("invalid archive name");
      }
      archive(sink, "base.tar", "", tar("PG_VERSION", "15\n"));
      assertThatThrownBy(sink::finish)
          .isInstanceOf(PgException.class)
          .hasMessageContaining("no backup manifest");
    }
  }
}
