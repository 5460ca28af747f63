// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertFails;
import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.env;
import static io.jwalreceiver.cli.BackupTestSupport.listing;
import static io.jwalreceiver.cli.BackupTestSupport.read;
import static io.jwalreceiver.cli.BackupTestSupport.s;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.NavigableSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver basebackup -i/--incremental} on 13–18: UPLOAD_MANIFEST then BASE_BACKUP
 * INCREMENTAL against a 17+ server with {@code summarize_wal = on}; pg_basebackup's errors for
 * older servers, a missing manifest, a server without WAL summarization and a manifest of another
 * cluster (upstream scenario 104). No pg_combinebackup is at hand (the Maven Central server
 * binaries have only initdb, pg_ctl and postgres; the system has PostgreSQL 15), so the incremental
 * backup is checked for its structure and by our verifybackup.
 */
@Tag("postgres")
class BaseBackupIncrementalIT {

  @TempDir Path tmp;

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void errorsAsPgBasebackup(int major) {
    PostgresServer shared = PostgresServer.shared(major);
    Map<String, String> env = env(shared);
    Path missing = tmp.resolve("no-such-manifest");
    if (major < 17) {
      assertFails(
          bb(env, "-D", s(tmp, "old"), "-i", missing.toString()),
          "server does not support incremental backup");
      assertThat(tmp.resolve("old")).doesNotExist();
      return;
    }
    assertFails(
        bb(env, "-D", s(tmp, "missing"), "-i", missing.toString()),
        "could not open file \"" + missing + "\": No such file or directory");
    assertThat(tmp.resolve("missing")).doesNotExist();

    // A manifest of this cluster, but the server does not summarize WAL.
    assertOk(bb(env, "-D", s(tmp, "full"), "-X", "none"));
    assertFails(
        bb(env, "-D", s(tmp, "incr"), "-X", "none", "-i", s(tmp, "full") + "/backup_manifest"),
        "could not initiate base backup: ERROR:  incremental backups cannot be taken unless WAL "
            + "summarization is enabled");
    assertThat(tmp.resolve("incr")).doesNotExist();

    // 104: the manifest of another cluster.
    try (PostgresServer other =
        PostgresServer.start(PostgresServer.Options.of(major).withSetting("summarize_wal", "on"))) {
      CliRun r =
          bb(
              env(other),
              "-D",
              s(tmp, "diff_sysid"),
              "-X",
              "none",
              "-i",
              s(tmp, "full") + "/backup_manifest");
      assertFails(r, "could not upload manifest: ERROR:  ");
      assertThat(r.firstErrorLine())
          .containsPattern(
              "system identifier in backup manifest is \\d+, but database system identifier is \\d+");
      assertThat(tmp.resolve("diff_sysid")).doesNotExist();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void incrementalBackupAfterNewRows(int major) {
    PgVersions.assumeAtLeast(major, 17);
    try (PostgresServer server =
        PostgresServer.start(PostgresServer.Options.of(major).withSetting("summarize_wal", "on"))) {
      Map<String, String> env = env(server);
      server.execute(
          "CREATE TABLE inc_kept (id int); INSERT INTO inc_kept SELECT generate_series(1, 10000)");
      assertOk(bb(env, "-D", s(tmp, "full"), "-X", "stream"));

      server.execute(
          "CREATE TABLE inc_new (id int); INSERT INTO inc_new SELECT generate_series(1, 1000);"
              + "INSERT INTO inc_kept VALUES (10001)");
      CliRun incr =
          bb(
              env,
              "-D",
              s(tmp, "incr"),
              "-X",
              "stream",
              "-v",
              "-i",
              s(tmp, "full") + "/backup_manifest");
      assertOk(incr);
      assertThat(incr.err()).contains("sizes and CRC32C checksums match");

      Path backup = tmp.resolve("incr");
      String label = read(backup.resolve("backup_label"));
      assertThat(label)
          .containsPattern("(?m)^INCREMENTAL FROM LSN: [0-9A-F]+/[0-9A-F]+$")
          .containsPattern("(?m)^INCREMENTAL FROM TLI: 1$");
      NavigableSet<String> files = listing(backup);
      assertThat(files).anyMatch(f -> f.matches("base/\\d+/INCREMENTAL\\.\\d+"));
      // The new table did not exist in the full backup: sent whole.
      String newRel = server.queryString("SELECT pg_relation_filepath('inc_new')");
      assertThat(files).contains(newRel);
      // An unchanged relation (a catalog index the inserts did not touch) is sent as a stub.
      assertThat(files.stream().filter(f -> f.contains("/INCREMENTAL.")).count()).isGreaterThan(10);
      assertThat(read(backup.resolve("backup_manifest")))
          .startsWith("{ \"PostgreSQL-Backup-Manifest-Version\": 2,")
          .contains("/INCREMENTAL.");

      // Our verifybackup checks it like any plain backup (pg_verifybackup 17 does the same: the
      // INCREMENTAL files are listed in the manifest).
      CliRun verify = CliRun.of(Map.of(), "verifybackup", backup.toString());
      assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
    }
  }
}
