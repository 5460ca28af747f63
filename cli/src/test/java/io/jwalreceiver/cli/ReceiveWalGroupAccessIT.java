// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pg_receivewal creates its files 0640 when the cluster allows group access (initdb -g, {@code
 * data_directory_mode} 0750), 0600 otherwise (the 0600 case is upstream item 128 in {@link
 * ReceiveWalIT}).
 */
@Tag("postgres")
class ReceiveWalGroupAccessIT {

  @Test
  void createsGroupReadableFilesForAGroupAccessCluster(@TempDir Path tmp) throws Exception {
    int major = PgVersions.highest();
    try (PostgresServer server =
        PostgresServer.start(
            PostgresServer.Options.of(major)
                .withInitdbArgs("--allow-group-access", "--wal-segsize=1"))) {
      assumeTrue(
          "0750".equals(server.queryString("SHOW data_directory_mode")),
          "the fixture keeps the data directory 0700, so the server reports no group access");
      ReceiveWalIT.ensureTable(server);
      String end = ReceiveWalIT.nextEndPosition(server);
      Path dir = Files.createDirectory(tmp.resolve("wal"));
      CliRun r =
          ReceiveWalIT.run(
              ReceiveWalIT.env(server),
              "receivewal",
              "-D",
              dir.toString(),
              "--endpos",
              end,
              "--no-loop");
      BackupTestSupport.assertOk(r);
      try (Stream<Path> files = Files.list(dir)) {
        List<Path> all = files.toList();
        assertThat(all).isNotEmpty();
        for (Path f : all) {
          assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
              .as("mode of %s", f.getFileName())
              .isEqualTo("rw-r-----");
        }
      }
    }
  }
}
