// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Archives a hostile server could send to make the plain-format extractor write outside its target
 * through symbolic links it planted: each is refused with one 08P01 error, nothing outside the
 * target changes (content and mode), and the target is cleaned up as after any failure. Link
 * members a real server sends (tablespaces) are still extracted.
 */
class HostileArchiveTest {

  @TempDir Path tmp;
  private Path victimDir;
  private Path victimFile;

  @BeforeEach
  void victims() throws Exception {
    victimDir = Files.createDirectories(tmp.resolve("victim"));
    Files.setPosixFilePermissions(victimDir, PosixFilePermissions.fromString("rwx------"));
    victimFile = victimDir.resolve("file");
    Files.writeString(victimFile, "precious");
    Files.setPosixFilePermissions(victimFile, PosixFilePermissions.fromString("rw-------"));
  }

  private static byte[] tar(Consumer<TarWriter> members) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out, "base.tar");
    members.accept(w);
    w.finish();
    return out.toByteArray();
  }

  private static void file(TarWriter w, String name, String content, int mode) {
    byte[] b = content.getBytes(StandardCharsets.UTF_8);
    w.writeEntry(TarHeader.regularFile(name, b.length, mode, 0, 0, 0), ByteBuffer.wrap(b));
  }

  private static void link(TarWriter w, String name, String target) {
    // TarHeader.symlink adds a slash (the server's links are directories); these have none.
    w.writeEntry(
        new TarHeader(name, 0777, 0, 0, 0, 0, TarHeader.SYMLINK, target), ByteBuffer.allocate(0));
  }

  private DirectoryBackupSink sink(String recoveryConf) {
    return new DirectoryBackupSink(
        OutputDirectory.prepare(tmp.resolve("backup")), List.of(), recoveryConf, false, false);
  }

  private static void run(BackupSink sink, byte[] tar) {
    try {
      sink.archiveStart("base.tar", "", true);
      sink.archiveData(ByteBuffer.wrap(tar));
      sink.archiveEnd();
      sink.finish();
    } catch (RuntimeException e) {
      sink.abort();
      throw e;
    }
  }

  private static void dir(TarWriter w, String name) {
    w.writeEntry(TarHeader.directory(name, 0700, 0, 0, 0), ByteBuffer.allocate(0));
  }

  /** The members of a hostile archive, given the directory it attacks (holding {@code file}). */
  @FunctionalInterface
  interface Members {
    void write(TarWriter w, Path victimDir);
  }

  /**
   * What a hostile archive tries, the recovery configuration written after it (if any), and the
   * refusal; {@code {backup}} in the message stands for the target directory.
   */
  static Stream<Arguments> refusedArchives() {
    String overLink =
        "refusing to extract archive member \"abs\" over symbolic link \"{backup}/abs\"";
    return Stream.of(
        arguments(
            "a relative link out of the target",
            (Members)
                (w, victim) -> {
                  link(w, "rel", "../victim");
                  file(w, "rel/new", "planted", 0600);
                },
            null,
            "link target has unsafe path name: \"../victim\""),
        arguments(
            "a file through an absolute link",
            (Members)
                (w, victim) -> {
                  link(w, "abs", victim.toString());
                  file(w, "abs/file", "overwritten", 0666);
                },
            null,
            "refusing to extract archive member \"abs/file\" through symbolic link"
                + " \"{backup}/abs\""),
        arguments(
            "a file over an absolute link of the same name",
            (Members)
                (w, victim) -> {
                  link(w, "abs", victim.resolve("file").toString());
                  file(w, "abs", "overwritten", 0666);
                },
            null,
            overLink),
        arguments(
            "a directory over an absolute link",
            (Members)
                (w, victim) -> {
                  link(w, "abs", victim.toString());
                  w.writeEntry(TarHeader.directory("abs", 0777, 0, 0, 0), ByteBuffer.allocate(0));
                },
            null,
            "refusing to extract archive member \"abs/\" over symbolic link \"{backup}/abs\""),
        arguments(
            "recovery configuration appended through a link",
            (Members)
                (w, victim) -> link(w, "postgresql.auto.conf", victim.resolve("file").toString()),
            "primary_conninfo = 'x'\n",
            "refusing to write recovery configuration through symbolic link"
                + " \"{backup}/postgresql.auto.conf\""),
        arguments(
            "a link in pg_wal where the WAL streamer writes",
            (Members)
                (w, victim) -> {
                  dir(w, "pg_wal");
                  link(w, "pg_wal/00000002.history", victim.resolve("file").toString());
                },
            null,
            "refusing to extract archive member \"pg_wal/00000002.history\": a symbolic link in"
                + " pg_wal"),
        arguments(
            "a link over a link",
            (Members)
                (w, victim) -> {
                  link(w, "abs", "somewhere");
                  link(w, "abs", victim.toString());
                },
            null,
            overLink));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedArchives")
  void isRefusedLeavingTheVictimAlone(
      String attack, Members members, String recoveryConf, String message) throws Exception {
    byte[] tar = tar(w -> members.write(w, victimDir));
    String expected = message.replace("{backup}", tmp.resolve("backup").toString());
    assertThatThrownBy(() -> run(sink(recoveryConf), tar))
        .isInstanceOfSatisfying(
            PgException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
              assertThat(e.getMessage()).isEqualTo(expected);
            });
    assertThat(Files.readString(victimFile)).isEqualTo("precious");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victimFile)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victimDir)))
        .isEqualTo("rwx------");
    try (var s = Files.list(victimDir)) {
      assertThat(s).containsExactly(victimFile);
    }
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void anInPlaceTablespaceMayNotLeaveTheTarget() throws Exception {
    DirectoryBackupSink sink = sink(null);
    assertThatThrownBy(
            () -> {
              try {
                sink.archiveStart("16384.tar", "pg_tblspc/../../victim", true);
              } catch (RuntimeException e) {
                sink.abort();
                throw e;
              }
            })
        .hasMessage(
            "refusing tablespace location \"pg_tblspc/../../victim\" outside the target"
                + " directory");
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void anInPlaceTablespaceIsNotExtractedThroughALinkOfBaseTar() throws Exception {
    DirectoryBackupSink sink = sink(null);
    byte[] base =
        tar(
            w -> {
              dir(w, "pg_tblspc");
              link(w, "pg_tblspc/16384", victimDir.toString());
            });
    byte[] space = tar(w -> file(w, "file", "overwritten", 0666));
    assertThatThrownBy(
            () -> {
              try {
                sink.archiveStart("base.tar", "", true);
                sink.archiveData(ByteBuffer.wrap(base));
                sink.archiveEnd();
                sink.archiveStart("16384.tar", "pg_tblspc/16384", true);
                sink.archiveData(ByteBuffer.wrap(space));
                sink.archiveEnd();
              } catch (RuntimeException e) {
                sink.abort();
                throw e;
              }
            })
        .hasMessage(
            "refusing to extract archive member \"pg_tblspc/16384\" over symbolic link \""
                + tmp.resolve("backup/pg_tblspc/16384")
                + "\"");
    assertThat(Files.readString(victimFile)).isEqualTo("precious");
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void tablespaceLinksAndSafeRelativeLinksAreStillExtracted() throws Exception {
    Path space = tmp.resolve("space");
    byte[] tar =
        tar(
            w -> {
              dir(w, "pg_tblspc");
              w.writeEntry(
                  TarHeader.symlink("pg_tblspc/16384", space.toString(), 0777, 0, 0, 0),
                  ByteBuffer.allocate(0));
              link(w, "inside", "pg_tblspc/./x/..");
              file(w, "PG_VERSION", "15\n", 0600);
            });
    run(sink(null), tar);
    assertThat(Files.readSymbolicLink(tmp.resolve("backup/pg_tblspc/16384"))).isEqualTo(space);
    assertThat(Files.readSymbolicLink(tmp.resolve("backup/inside")).toString())
        .isEqualTo("pg_tblspc/./x/..");
    assertThat(tmp.resolve("backup/PG_VERSION")).hasContent("15\n");
  }

  @Test
  void theWalDirectoryLinkWeMadeIsWrittenThrough() throws Exception {
    OutputDirectory target = OutputDirectory.prepare(tmp.resolve("backup"));
    Path walDir = Files.createDirectories(tmp.resolve("waldir"));
    Files.createSymbolicLink(target.path().resolve("pg_wal"), walDir);
    byte[] tar =
        tar(
            w -> {
              dir(w, "pg_wal");
              dir(w, "pg_wal/archive_status");
              file(w, "pg_wal/000000010000000000000001", "wal", 0600);
            });
    run(new DirectoryBackupSink(target, List.of(), null, false, false), tar);
    assertThat(walDir.resolve("000000010000000000000001")).hasContent("wal");
    assertThat(walDir.resolve("archive_status")).isDirectory();
  }
}
