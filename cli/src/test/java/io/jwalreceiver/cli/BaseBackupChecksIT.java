// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.env;
import static io.jwalreceiver.cli.BackupTestSupport.s;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver basebackup} on 13–18: the inline check of every received file against the
 * manifest (reported under {@code -v}), a missing {@code -S} slot failing before any data is
 * transferred, and {@code -P} counting as pg_basebackup does with server-side compression.
 */
@Tag("postgres")
class BaseBackupChecksIT {

  @TempDir Path tmp;

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void plainBackupsPassTheInlineManifestCheck(int major) {
    Map<String, String> env = env(PostgresServer.shared(major));
    CliRun crc = bb(env, "-D", s(tmp, "crc"), "-X", "fetch", "-v");
    assertOk(crc);
    assertThat(crc.err())
        .containsPattern(
            "checked [1-9][0-9]+ files against the backup manifest as "
                + "they were received: sizes and CRC32C checksums match");

    CliRun sha = bb(env, "-D", s(tmp, "sha"), "-X", "none", "-v", "--manifest-checksums", "sha256");
    assertOk(sha);
    assertThat(sha.err()).contains("sizes and SHA256 checksums match");

    CliRun none = bb(env, "-D", s(tmp, "none"), "-X", "none", "-v", "--manifest-checksums", "none");
    assertOk(none);
    assertThat(none.err()).contains("the backup manifest as they were received: sizes match");

    // Tar format: the archives are parsed for the check as they are stored (here also gzipped).
    CliRun tar = bb(env, "-D", s(tmp, "tar"), "-F", "t", "-X", "stream", "-z", "-v");
    assertOk(tar);
    assertThat(tar.err()).contains("sizes and CRC32C checksums match");

    CliRun noManifest = bb(env, "-D", s(tmp, "nomanifest"), "-X", "none", "-v", "--no-manifest");
    assertOk(noManifest);
    assertThat(noManifest.err()).doesNotContain("against the backup manifest");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void aMissingSlotFailsBeforeTheDataIsTransferred(int major) {
    Map<String, String> env = env(PostgresServer.shared(major));
    CliRun r = bb(env, "-D", s(tmp, "noslot"), "-X", "stream", "-S", "no_such_slot", "-P");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.err())
        .contains("replication slot \"no_such_slot\" does not exist")
        .doesNotContain("Exception")
        // No progress line: the streamer's failure stopped the backup before any archive data.
        .doesNotContainPattern("\\d+/\\d+ kB \\(\\d+%\\)");
    assertThat(tmp.resolve("noslot")).doesNotExist();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void progressWithServerCompressionCountsWhatTheServerSent(int major) {
    PgVersions.assumeAtLeast(major, 15);
    Map<String, String> env = env(PostgresServer.shared(major));
    // A nearly empty cluster compresses about tenfold: counting the compressed bytes received
    // would end near 10 %; pg_basebackup shows the server's count of what it sent.
    CliRun r = bb(env, "-D", s(tmp, "gz"), "-X", "none", "-Z", "server-gzip", "-P");
    assertOk(r);
    assertThat(BackupTestSupport.lastProgressPercent(r.err())).isGreaterThanOrEqualTo(90);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void progressCountsTheTablespacesReceivedWhole(int major) {
    CliRun r = bb(env(PostgresServer.shared(major)), "-D", s(tmp, "progress"), "-X", "none", "-P");
    assertOk(r);
    List<String> lines = r.err().lines().filter(l -> l.contains(" kB (")).toList();
    // As pg_basebackup: 0/1 while the only tablespace is on its way, 1/1 once it is complete.
    assertThat(lines).hasSizeGreaterThanOrEqualTo(2);
    assertThat(lines.get(0)).endsWith(", 0/1 tablespace");
    assertThat(lines.get(lines.size() - 1)).endsWith(", 1/1 tablespace").contains("(100%)");
  }
}
