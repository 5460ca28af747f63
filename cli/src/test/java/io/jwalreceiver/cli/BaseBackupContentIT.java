// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.env;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static io.jwalreceiver.cli.BackupTestSupport.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a backup contains (upstream 010_pg_basebackup.pl Fixture C, items 32–45): files the server
 * must not send, unlogged tables, temporary relation files, modes 0600/0700, {@code pg_wal} with
 * only its status directories, {@code --no-manifest}, {@code --waldir} and tar format.
 */
@Tag("postgres")
class BaseBackupContentIT {

  @TempDir Path tmp;

  private static String s(Path p) {
    return p.toString();
  }

  /**
   * Writes a file as the server (so the server owns it) via COPY, then makes it 0600 like the
   * upstream fixture's files (COPY TO creates 0644).
   */
  private static void serverFile(PostgresServer server, Path file) throws IOException {
    server.execute("COPY (SELECT 'DONOTCOPY') TO '" + file + "'");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void fixtureC(int major) throws IOException {
    try (PostgresServer server = PostgresServer.start(PostgresServer.Options.of(major))) {
      Path pgdata = server.dataDir();
      for (String name :
          List.of(
              "backup_label",
              "tablespace_map",
              "postgresql.auto.conf.tmp",
              "current_logfiles.tmp",
              "global/pg_internal.init.123",
              ".DS_Store")) {
        serverFile(server, pgdata.resolve(name));
      }
      server.execute("CREATE UNLOGGED TABLE base_unlogged (id int)");
      String unlogged = server.queryString("SELECT pg_relation_filepath('base_unlogged')");
      String dbOid =
          server.queryString("SELECT oid::text FROM pg_database WHERE datname = 'postgres'");
      List<String> tempFiles =
          List.of("t999_999", "t9999_999.1", "t999_9999_vm", "t99999_99999_vm.1");
      for (String t : tempFiles) {
        serverFile(server, pgdata.resolve("base").resolve(dbOid).resolve(t));
      }
      // 32
      assertThat(pgdata.resolve(unlogged + "_init")).exists();
      assertThat(pgdata.resolve(unlogged)).exists();
      assertThat(pgdata.resolve("global/pg_internal.init")).exists();

      // The testkit writes pg_hba.conf 0644; initdb (and so upstream's fixture) makes it 0600.
      Files.setPosixFilePermissions(
          pgdata.resolve("pg_hba.conf"), PosixFilePermissions.fromString("rw-------"));

      Map<String, String> env = env(server);
      Path backup = tmp.resolve("backup");
      // 33–35
      assertOk(bb(env, "-D", s(backup), "-X", "none"));
      assertThat(backup.resolve("PG_VERSION")).exists();
      assertThat(backup.resolve("backup_manifest")).exists();
      // 36
      BackupTestSupport.assertModes(backup, p -> true, "rwx------", "rw-------");
      // 37
      if (major >= 17) {
        assertThat(names(backup.resolve("pg_wal"))).containsExactly("archive_status", "summaries");
      } else {
        assertThat(names(backup.resolve("pg_wal"))).containsExactly("archive_status");
      }
      assertThat(names(backup.resolve("pg_wal/archive_status"))).isEmpty();
      // 38
      for (String dir :
          List.of(
              "pg_dynshmem",
              "pg_notify",
              "pg_replslot",
              "pg_serial",
              "pg_snapshots",
              "pg_stat_tmp",
              "pg_subtrans")) {
        assertThat(backup.resolve(dir)).as(dir).isEmptyDirectory();
      }
      // 39
      for (String name :
          List.of(
              "postgresql.auto.conf.tmp",
              "postmaster.opts",
              "postmaster.pid",
              "tablespace_map",
              "current_logfiles.tmp",
              "global/pg_internal.init",
              "global/pg_internal.init.123")) {
        assertThat(backup.resolve(name)).as(name).doesNotExist();
      }
      // 40: .DS_Store is excluded by 15.7+/16.3+/17+ servers; 13 and 14 send it.
      if (major >= 15) {
        assertThat(backup.resolve(".DS_Store")).doesNotExist();
      } else {
        assertThat(backup.resolve(".DS_Store")).exists();
      }
      // 41
      assertThat(backup.resolve(unlogged + "_init")).exists();
      assertThat(backup.resolve(unlogged)).doesNotExist();
      // 42
      for (String t : tempFiles) {
        assertThat(backup.resolve("base").resolve(dbOid).resolve(t)).as(t).doesNotExist();
      }
      // 43
      assertThat(read(backup.resolve("backup_label"))).doesNotContain("DONOTCOPY");

      // 44
      Files.delete(pgdata.resolve("backup_label"));
      Path backup2 = tmp.resolve("backup2");
      Path xlog2 = tmp.resolve("xlog2");
      assertOk(bb(env, "-D", s(backup2), "--no-manifest", "--waldir", s(xlog2)));
      assertThat(backup2.resolve("PG_VERSION")).exists();
      assertThat(backup2.resolve("backup_manifest")).doesNotExist();
      assertThat(xlog2).isDirectory();
      assertThat(Files.isSymbolicLink(backup2.resolve("pg_wal"))).isTrue();
      assertThat(Files.readSymbolicLink(backup2.resolve("pg_wal"))).isEqualTo(xlog2);
      assertThat(BackupTestSupport.hasWalSegment(xlog2)).isTrue();

      // 45
      Path tar = tmp.resolve("tarbackup");
      assertOk(bb(env, "-D", s(tar), "--format", "tar"));
      assertThat(tar.resolve("base.tar")).isRegularFile();
    }
  }
}
