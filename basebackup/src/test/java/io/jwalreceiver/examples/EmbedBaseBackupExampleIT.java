// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.basebackup.BackupProgress;
import io.jwalreceiver.basebackup.BackupResult;
import io.jwalreceiver.basebackup.BaseBackup;
import io.jwalreceiver.basebackup.BaseBackupRequest;
import io.jwalreceiver.basebackup.Destination;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's example of embedding a base backup: a request built from pg_basebackup's defaults, a
 * directory as its destination, one run, the result. Compiled and run against a real server so that
 * the example cannot rot.
 */
@Tag("postgres")
class EmbedBaseBackupExampleIT {

  static List<Integer> versions() {
    return PgVersions.selected();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("versions")
  void takesABaseBackupIntoADirectory(int major, @TempDir Path tmp) {
    PostgresServer server = PostgresServer.shared(major);
    String host = server.host();
    int port = server.port();
    Path dataDir = tmp.resolve("backup");

    // README-BEGIN basebackup
    ConnectionConfig config = ConnectionConfig.of(host, port, "repl_trust");
    // Every field starts at pg_basebackup's default (plain format, WAL streamed alongside,
    // manifest, fsync at the end); only the destination is required.
    BaseBackupRequest request =
        BaseBackupRequest.builder()
            .destination(new Destination.Directory(dataDir)) // new or empty
            .fastCheckpoint(true) // -c fast
            .build();
    BackupProgress progress = new BackupProgress() {}; // -v / -P messages: override to print
    BackupResult result =
        new BaseBackup(
                config,
                request,
                progress,
                notice -> System.err.println(notice.severity() + ": " + notice.message()))
            .run(); // throws PgException on failure, after removing what it created
    System.out.println(
        "backed up "
            + result.start()
            + " .. "
            + result.end()
            + " on timeline "
            + result.endTimeline());
    // README-END basebackup

    assertThat(dataDir.resolve("PG_VERSION")).exists();
    assertThat(dataDir.resolve("backup_manifest")).exists();
    assertThat(dataDir.resolve("pg_wal")).isNotEmptyDirectory();
    assertThat(result.end().isAfter(result.start())).isTrue();
  }
}
