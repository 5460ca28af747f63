// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.WalArchiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code status} beside a running archiver, reached through a host list: it names the server the
 * list chose, and for the archiver's active slot the client streaming through it (address and
 * application_name), next to the archive's timelines.
 */
@Tag("postgres")
class StatusArchiverIT {

  private static final String SLOT = "status_archiver";
  private static final String APP = "status_archiver_app";

  @TempDir Path tmp;

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void namesTheChosenServerAndTheArchiversConnection(int major) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    try (PostgresServer primary = PostgresServer.start(ReceiveWalIT.smallSegments(major));
        PostgresServer standby = primary.createStandby()) {
      primary.execute("SELECT pg_create_physical_replication_slot('" + SLOT + "', true)");
      WalReceiver archiver =
          WalArchiver.builder(
                  BackupTestSupport.replicationConfig(primary).toBuilder()
                      .applicationName(APP)
                      .build())
              .slot(SLOT)
              .target(dir)
              .statusInterval(Duration.ofSeconds(1))
              .build();
      Thread thread = new Thread(archiver::run, "status-archiver");
      thread.start();
      try {
        String active =
            "SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r"
                + " ON r.pid = s.active_pid WHERE s.slot_name = '"
                + SLOT
                + "'";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"1".equals(primary.queryString(active)) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        // The standby first: target_session_attrs=read-write passes over it to the primary.
        String hosts =
            "host="
                + standby.host()
                + ","
                + primary.host()
                + " port="
                + standby.port()
                + ","
                + primary.port()
                + " target_session_attrs=read-write";
        Map<String, String> env = StatusIT.env(primary);
        CliRun text = CliRun.of(env, "status", "-d", hosts, "-D", dir.toString());
        assertThat(text.exitCode()).as(text.err()).isZero();
        String server = primary.host() + ":" + primary.port();
        assertThat(text.out())
            .contains("Server: primary, PostgreSQL ")
            .contains(", connected to " + server + "\n")
            .containsPattern(
                SLOT
                    + " +\\| physical +\\| yes \\(pid \\d+\\) .*\\| 127\\.0\\.0\\.1 \\("
                    + APP
                    + "\\)")
            .containsPattern("(?m)^1 +\\| 0000000100000000000000");

        CliRun json = CliRun.of(env, "status", "-d", hosts, "--json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        Map<String, Object> doc = Json.object(Json.object(Json.parse(json.out())).get("server"));
        assertThat(doc.get("server")).isEqualTo(server);
        List<Object> slots = Json.array(doc.get("slots"));
        assertThat(slots)
            .map(Json::object)
            .filteredOn(s -> SLOT.equals(s.get("slot_name")))
            .singleElement()
            .satisfies(
                s -> {
                  assertThat(s.get("active")).isEqualTo(true);
                  assertThat(s.get("client_addr")).isEqualTo("127.0.0.1");
                  assertThat(s.get("application_name")).isEqualTo(APP);
                });
      } finally {
        archiver.requestStop();
        thread.join(30_000);
      }
    }
  }
}
