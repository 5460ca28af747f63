// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.env;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static io.jwalreceiver.cli.BackupTestSupport.serverOwnedDir;
import static io.jwalreceiver.cli.BackupTestSupport.untar;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Upstream 010_pg_basebackup.pl items not covered elsewhere: 52 (a file name too long for tar),
 * Fixture D's 56–57 and 61–66 (group access, a symlinked {@code pg_replslot}, unlogged and
 * temporary relation files in a relocated tablespace, a restore of the tar format through {@code
 * tablespace_map}, {@code =} in a tablespace path, a tablespace path too long for a tar link) and
 * 102 (the WAL streamer's walsender terminated mid-backup).
 */
@Tag("postgres")
class BaseBackupFixtureDIT {

  @TempDir Path tmp;

  private static String s(Path p) {
    return p.toString();
  }

  /** Writes a file as the server (so the server owns it), as the upstream fixture's files. */
  private static void serverFile(PostgresServer server, Path file) {
    server.execute("COPY (SELECT 'DONOTCOPY') TO '" + file + "'");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void fixtureD(int major) throws IOException {
    // Fixture D: group access (initdb -g gives the 0750/0640 upstream's chmod sets), pg_replslot a
    // symbolic link to a directory outside the data directory, a tablespace at a short path.
    try (PostgresServer server =
        PostgresServer.start(
            PostgresServer.Options.of(major).withInitdbArgs("--allow-group-access"))) {
      Path pgdata = server.dataDir();
      server.stop();
      Path slots = serverOwnedDir(tmp.resolve("replslot-elsewhere"));
      Files.delete(pgdata.resolve("pg_replslot"));
      Files.createSymbolicLink(pgdata.resolve("pg_replslot"), slots);
      PostgresServer.handOver(pgdata);
      // As upstream: chmod -R to 0750/0640 (handOver made the top 0700; the testkit writes its
      // configuration files 0644).
      try (Stream<Path> all = Files.walk(pgdata)) {
        for (Path p : all.filter(p -> !Files.isSymbolicLink(p)).toList()) {
          Files.setPosixFilePermissions(
              p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-x---" : "rw-r-----"));
        }
      }
      server.start();

      Map<String, String> env = env(server);
      Path tsDir = serverOwnedDir(tmp.resolve("ts").resolve("tblspc1"));
      server.execute("CREATE TABLESPACE tblspc1 LOCATION '" + tsDir + "'");
      server.execute(
          "CREATE TABLE test1 (a int) TABLESPACE tblspc1; INSERT INTO test1 VALUES (1234)");
      String tsOid =
          server.queryString("SELECT oid::text FROM pg_tablespace WHERE spcname = 'tblspc1'");

      // 52: a name over 100 bytes cannot be a tar member; the server refuses, the file is ours
      // to remove afterwards.
      Path longName = pgdata.resolve("superlongname_" + "x".repeat(100));
      serverFile(server, longName);
      CliRun tooLong = bb(env, "-D", s(tmp.resolve("tarbackup_l1")), "--format", "tar");
      assertThat(tooLong.exitCode()).as(tooLong.err()).isEqualTo(1);
      assertThat(tooLong.err()).contains("file name too long for tar format");
      Files.delete(longName);

      // 56 (14+ as upstream): tar backup, then the source loses the row; a restore from base.tar,
      // pg_wal.tar and the tablespace's tar placed through tablespace_map in a new directory
      // still has it.
      Path tar = tmp.resolve("tarbackup2");
      assertOk(bb(env, "-D", s(tar), "--format", "tar"));
      assertThat(names(tar)).contains("base.tar", "pg_wal.tar", tsOid + ".tar");
      server.execute("TRUNCATE test1");
      if (major >= 14) {
        Path restored = tmp.resolve("restored");
        Path restoredTs = tmp.resolve("restored-ts");
        Files.createDirectories(restored.resolve("pg_wal"));
        Files.createDirectories(restoredTs);
        untar(tar.resolve("base.tar"), restored);
        untar(tar.resolve("pg_wal.tar"), restored.resolve("pg_wal"));
        untar(tar.resolve(tsOid + ".tar"), restoredTs);
        Files.writeString(
            restored.resolve("tablespace_map"),
            tsOid + " " + restoredTs + "\n",
            StandardCharsets.UTF_8);
        PostgresServer.handOver(restoredTs);
        try (PostgresServer copy = PostgresServer.startFromDataDir(restored)) {
          assertThat(copy.queryString("SELECT a::text FROM test1")).isEqualTo("1234");
          assertThat(Files.readSymbolicLink(restored.resolve("pg_tblspc").resolve(tsOid)))
              .isEqualTo(restoredTs);
        }
      }

      // 57: an unlogged table in the tablespace and fake temporary relation files beside it.
      server.execute(
          "CREATE UNLOGGED TABLE tblspc1_unlogged (id int) TABLESPACE tblspc1;"
              + "INSERT INTO tblspc1_unlogged VALUES (1)");
      String unlogged = server.queryString("SELECT pg_relation_filepath('tblspc1_unlogged')");
      Path unloggedInTs = pgdata.resolve(unlogged).toRealPath();
      Path tsDbDir = unloggedInTs.getParent();
      String tsRelative = s(tsDir.toRealPath().relativize(unloggedInTs));
      List<String> tempFiles = List.of("t888_888", "t888888_888888_vm.1");
      for (String t : tempFiles) {
        serverFile(server, tsDbDir.resolve(t));
      }
      assertThat(tsDir.resolve(tsRelative + "_init")).exists();
      assertThat(tsDir.resolve(tsRelative)).exists();

      Path backup = tmp.resolve("backup1");
      Path mapped = tmp.resolve("tbackup").resolve("tblspc1");
      assertOk(bb(env, "-D", s(backup), "-Fp", "-T", tsDir + "=" + mapped));
      // 61: group access follows the source: directories 0750, files 0640.
      BackupTestSupport.assertModes(
          backup, p -> !Files.isSymbolicLink(p), "rwxr-x---", "rw-r-----");
      // Beyond upstream: the relocated tablespace's directory we created has the cluster's mode.
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mapped)))
          .isEqualTo("rwxr-x---");
      // 62: the relocated tablespace has the unlogged table's init fork, not its main fork.
      assertThat(mapped.resolve(tsRelative + "_init")).exists();
      assertThat(mapped.resolve(tsRelative)).doesNotExist();
      // 63: no temporary relation files.
      for (String t : tempFiles) {
        assertThat(mapped.resolve(tsDir.toRealPath().relativize(tsDbDir)).resolve(t))
            .as(t)
            .doesNotExist();
      }
      // 64: the symbolic link became a real directory.
      assertThat(backup.resolve("pg_replslot")).isDirectory();
      assertThat(Files.isSymbolicLink(backup.resolve("pg_replslot"))).isFalse();

      // 65: '=' in a tablespace path, escaped as \= in -T.
      for (String t : tempFiles) {
        Files.delete(tsDbDir.resolve(t)); // the server would not drop a tablespace holding them
      }
      server.execute("DROP TABLE test1; DROP TABLE tblspc1_unlogged");
      server.execute("DROP TABLESPACE tblspc1");
      Path eqDir = serverOwnedDir(tmp.resolve("ts").resolve("tbl=spc2"));
      server.execute("CREATE TABLESPACE tblspc2 LOCATION '" + eqDir + "'");
      Path eqMapped = tmp.resolve("tbackup").resolve("tbl=spc2");
      assertOk(
          bb(
              env,
              "-D",
              s(tmp.resolve("backup3")),
              "-Fp",
              "-T",
              s(eqDir).replace("=", "\\=") + "=" + s(eqMapped).replace("=", "\\=")));
      assertThat(eqMapped).isDirectory();
      server.execute("DROP TABLESPACE tblspc2");

      // 66: a tablespace path longer than a tar link can hold; tar format records it in
      // tablespace_map instead of a link member.
      Path longTs = serverOwnedDir(tmp.resolve("ts").resolve("l".repeat(100)).resolve("tblspc3"));
      assertThat(s(longTs).length()).isGreaterThan(99);
      server.execute("CREATE TABLESPACE tblspc3 LOCATION '" + longTs + "'");
      Path tar3 = tmp.resolve("tarbackup_l3");
      assertOk(bb(env, "-D", s(tar3), "--format", "tar"));
      assertThat(tar3.resolve("base.tar")).isRegularFile();
      server.execute("DROP TABLESPACE tblspc3");
    }
  }

  /**
   * 102 (15+ as upstream): the walsender of the WAL-streaming connection is terminated while a
   * rate-limited backup runs; the backup fails with pg_basebackup's message.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walStreamerTerminated(int major) {
    PgVersions.assumeAtLeast(major, 15);
    try (PostgresServer server = PostgresServer.start(PostgresServer.Options.of(major))) {
      server.execute("CREATE TABLE t AS SELECT a FROM generate_series(1, 10000) a");
      Map<String, String> env = new HashMap<>(env(server));
      env.put("PGAPPNAME", "010_pg_basebackup.pl");
      Path target = tmp.resolve("sigchld");
      CompletableFuture<CliRun> run =
          CompletableFuture.supplyAsync(
              () ->
                  bb(
                      env,
                      "--wal-method=stream",
                      "-D",
                      s(target),
                      "--max-rate",
                      "32",
                      "-d",
                      "dbname=postgres"));
      try {
        Waits.await(
            Duration.ofSeconds(60),
            () ->
                "t"
                    .equals(
                        server.queryString(
                            "SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity"
                                + " WHERE application_name = '010_pg_basebackup.pl'"
                                + " AND wait_event = 'WalSenderMain' AND backend_type = 'walsender'"
                                + " AND query ~ 'START_REPLICATION'")),
            "the WAL streamer's walsender");
      } catch (AssertionError e) {
        throw new AssertionError(
            e.getMessage()
                + "; walsenders: "
                + server.queryString(
                    "SELECT string_agg(format('%s|%s|%s', application_name, wait_event, query), '; ')"
                        + " FROM pg_stat_activity WHERE backend_type = 'walsender'"),
            e);
      }
      CliRun r = run.join();
      assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
      assertThat(r.err()).contains("background process terminated unexpectedly");
      assertThat(target).doesNotExist();
    }
  }
}
