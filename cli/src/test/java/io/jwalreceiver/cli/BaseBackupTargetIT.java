// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertFails;
import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.env;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver basebackup -t/--target} on 13–18: pg_basebackup's option rules, {@code
 * blackhole} and {@code server:DIR} on 15+ (upstream 010_pg_basebackup.pl scenarios 74–81, 85), the
 * error against 13/14.
 */
@Tag("postgres")
class BaseBackupTargetIT {

  /** Our own servers: the test grants pg_write_server_files to the replication role. */
  @RegisterExtension
  static final BackupTestSupport.OwnServers SERVERS = new BackupTestSupport.OwnServers();

  @TempDir Path tmp;

  static PostgresServer server(int major) {
    return SERVERS.get(major);
  }

  private static String s(Path p) {
    return p.toString();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void optionRulesAsPgBasebackup(int major) {
    Map<String, String> env = env(server(major));
    Path dir = tmp.resolve("blackhole");
    // 74, 75: the default -X stream and an explicit one.
    assertFails(
        bb(env, "--target", "blackhole"),
        "WAL cannot be streamed when a backup target is specified");
    assertFails(
        bb(env, "--target", "blackhole", "-X", "stream"),
        "WAL cannot be streamed when a backup target is specified");
    // 77, 85 and 78.
    assertFails(
        bb(env, "--target", "blackhole", "-X", "none", "-D", s(dir)),
        "cannot specify both output directory and backup target");
    assertFails(
        bb(env, "--target", "blackhole", "-X", "none", "--format", "tar"),
        "cannot specify both format and backup target");
    assertFails(
        bb(env, "-t", "server:" + tmp.resolve("x"), "-X", "none", "-R"),
        "recovery configuration cannot be written when a backup target is used");
    assertFails(
        bb(env, "-t", "blackhole", "-X", "none", "--waldir", s(tmp.resolve("w"))),
        "WAL directory location cannot be specified along with a backup target");
    assertFails(
        bb(env, "-t", "blackhole", "-X", "none", "-Z", "client-gzip"),
        "client-side compression is not possible when a backup target is specified");
    assertThat(dir).doesNotExist();
    // "client" is the same as no target: the directory is required again.
    assertFails(
        bb(env, "-t", "client", "-X", "none"), "must specify output directory or backup target");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void blackholeAndServerTargets(int major) {
    PostgresServer server = server(major);
    Map<String, String> env = env(server);
    Path cwdMarker = tmp.resolve("unused");
    if (major < 15) {
      assertFails(
          bb(env, "--target", "blackhole", "-X", "none"),
          "backup targets are not supported by this server version");
      return;
    }
    // 76: the server names the target it does not know.
    CliRun bogus = bb(env, "--target", "bogus", "-X", "none");
    assertFails(bogus, "could not initiate base backup: ERROR:  unrecognized target: \"bogus\"");

    // 79: the server reads everything and keeps nothing; nothing is written here.
    CliRun blackhole = bb(env, "--target", "blackhole", "-X", "none", "-P", "-v");
    assertOk(blackhole);
    assertThat(blackhole.out()).isEmpty();
    assertThat(blackhole.err()).contains("base backup completed");
    // -P counts what the server reports having sent (no data reaches us), as pg_basebackup.
    assertThat(BackupTestSupport.lastProgressPercent(blackhole.err())).isGreaterThanOrEqualTo(90);
    assertThat(tmp).isEmptyDirectory();
    assertThat(cwdMarker).doesNotExist();

    // 80, 81: the server writes base.tar and the manifest into a directory of its own; the role
    // needs pg_write_server_files, and without it the server's refusal is passed through.
    Path parent = BackupTestSupport.serverOwnedDir(tmp.resolve("server-side"));
    Path onServer = parent.resolve("backuponserver");
    CliRun denied = bb(env, "--target", "server:" + onServer, "-X", "none");
    assertFails(denied, "could not initiate base backup: ERROR:  ");
    assertThat(denied.err()).contains("pg_write_server_files");
    assertThat(onServer).doesNotExist();
    // "server" without a directory: the server's error.
    assertFails(
        bb(env, "--target", "server", "-X", "none"), "could not initiate base backup: ERROR:  ");

    server.execute("GRANT pg_write_server_files TO " + PostgresServer.REPL_TRUST);
    try {
      assertOk(bb(env, "--target", "server:" + onServer, "-X", "fetch"));
      assertThat(names(onServer)).containsExactlyInAnyOrder("base.tar", "backup_manifest");
      // With -Z and a target the server compresses (pg_basebackup's default location then).
      Path compressed = parent.resolve("compressed");
      assertOk(bb(env, "--target", "server:" + compressed, "-X", "none", "-Z", "gzip"));
      assertThat(names(compressed)).containsExactlyInAnyOrder("base.tar.gz", "backup_manifest");
    } finally {
      server.execute("REVOKE pg_write_server_files FROM " + PostgresServer.REPL_TRUST);
    }
  }
}
