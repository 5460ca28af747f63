// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver status} against a primary with a streaming standby, a slot, and an archive
 * made by our receivewal from which one completed segment was removed.
 */
@Tag("postgres")
class StatusIT {

  static final WalSegmentSize SEGMENT = ReceiveWalIT.SEGMENT;
  static final String STANDBY = "status_standby";
  static final String SLOT = "status_slot";

  @TempDir Path tmp;

  /** receivewal's test environment, as the superuser (who sees every pg_stat_replication field). */
  static Map<String, String> env(PostgresServer server) {
    Map<String, String> env = new HashMap<>(ReceiveWalIT.env(server));
    env.put("PGUSER", PostgresServer.SUPERUSER);
    return env;
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void showsStandbySlotsAndArchiveGap(int major) throws IOException {
    try (PostgresServer primary = PostgresServer.start(ReceiveWalIT.smallSegments(major))) {
      primary.execute("SELECT pg_create_physical_replication_slot('" + SLOT + "', true)");
      try (PostgresServer standby = primary.createStandby(STANDBY)) {
        Path archive = makeArchive(primary);
        List<String> complete = completeSegments(archive);
        assertThat(complete).as("archive %s", complete).hasSizeGreaterThanOrEqualTo(3);
        // Remove one completed segment that has neighbours on both sides.
        String removed = complete.get(1);
        Files.delete(archive.resolve(removed));
        String newest = complete.get(complete.size() - 1);
        String partial = partialSegment(archive);

        // One JSON document with the server and the archive.
        Lsn before = Lsn.parse(primary.currentWalLsn());
        CliRun r =
            CliRun.of(
                env(primary), "status", "-D", archive.toString(), "--json", "-h", primary.host());
        Lsn after = Lsn.parse(primary.currentWalLsn());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        Map<String, Object> doc = Json.object(Json.parse(r.out()));
        Map<String, Object> server = Json.object(doc.get("server"));
        assertThat(server.get("in_recovery")).isEqualTo(false);
        assertThat(server.get("wal_segment_size")).isEqualTo((long) SEGMENT.bytes());
        Map<String, Object> standbyRow = row(server, "standbys", "application_name", STANDBY);
        assertThat(standbyRow.get("state")).isEqualTo("streaming");
        assertThat(standbyRow.get("sync_state")).isEqualTo("async");
        assertThat(standbyRow.get("client_addr")).isEqualTo("127.0.0.1");
        assertThat((String) standbyRow.get("flush_lsn")).isNotNull();
        assertThat((Long) standbyRow.get("flush_behind_bytes")).isNotNull().isNotNegative();

        Map<String, Object> slotRow = row(server, "slots", "slot_name", SLOT);
        String restart =
            primary.queryString(
                "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'");
        assertThat(slotRow.get("slot_type")).isEqualTo("physical");
        assertThat(slotRow.get("active")).isEqualTo(false);
        assertThat(slotRow.get("restart_lsn")).isEqualTo(restart);
        assertThat(slotRow.get("wal_status")).isEqualTo("reserved");
        // Retained: the server's position minus restart_lsn, measured while status ran.
        assertThat((Long) slotRow.get("retained_bytes"))
            .isBetween(before.minus(Lsn.parse(restart)), after.minus(Lsn.parse(restart)));

        Map<String, Object> arch = Json.object(doc.get("archive"));
        assertThat(arch.get("wal_segment_size_from")).isEqualTo("server");
        assertThat(arch.get("newest_complete")).isEqualTo(newest);
        assertThat(arch.get("has_gaps")).isEqualTo(true);
        List<Object> timelines = Json.array(arch.get("timelines"));
        assertThat(timelines).hasSize(1);
        Map<String, Object> tl1 = Json.object(timelines.get(0));
        assertThat(tl1.get("timeline")).isEqualTo(1L);
        assertThat(tl1.get("first")).isEqualTo(complete.get(0));
        assertThat(tl1.get("complete")).isEqualTo((long) complete.size() - 1);
        assertThat(tl1.get("partial")).isEqualTo(List.of(partial));
        assertThat(tl1.get("missing_segments")).isEqualTo(1L);
        assertThat(Json.array(tl1.get("gaps")))
            .containsExactly(Map.of("from", removed, "to", removed, "segments", 1L));

        // The tables say the same.
        CliRun text =
            CliRun.of(env(primary), "status", "-D", archive.toString(), "-h", primary.host());
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out())
            .contains("Server: primary, PostgreSQL ")
            .containsPattern(STANDBY + " +\\| 127\\.0\\.0\\.1 +\\| streaming +\\| async ")
            .containsPattern(SLOT + " +\\| physical +\\| no +\\| " + restart + " +\\| reserved ")
            .contains("newest complete segment: " + newest)
            .contains("gap on timeline 1: " + removed + " missing")
            .containsPattern(
                "(?m)^1 +\\| "
                    + complete.get(0)
                    + " \\| "
                    + partial.substring(0, 24)
                    + " \\| "
                    + (complete.size() - 1)
                    + " +\\| "
                    + newest
                    + " \\| "
                    + partial
                    + " \\|  +\\| 1$");

        // The standby: in recovery, measured against what it received.
        CliRun onStandby = CliRun.of(env(standby), "status", "--json");
        assertThat(onStandby.exitCode()).as(onStandby.err()).isZero();
        Map<String, Object> standbyServer =
            Json.object(Json.object(Json.parse(onStandby.out())).get("server"));
        assertThat(standbyServer.get("in_recovery")).isEqualTo(true);
        assertThat((String) standbyServer.get("wal_lsn")).isNotNull();
        assertThat((String) standbyServer.get("replay_lsn")).isNotNull();
        assertThat(Json.array(standbyServer.get("standbys"))).isEmpty();
      }
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void directoryAloneNeedsNoServer(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(ReceiveWalIT.smallSegments(major));
    Path archive = makeArchive(server);
    List<String> complete = completeSegments(archive);
    // PG* variables name a port nothing listens on: reading the directory must not connect.
    Map<String, String> env = new HashMap<>(env(server));
    env.put("PGPORT", "1");
    CliRun r = CliRun.of(env, "status", "-D", archive.toString(), "--json");
    assertThat(r.exitCode()).as(r.err()).isZero();
    Map<String, Object> doc = Json.object(Json.parse(r.out()));
    assertThat(doc).doesNotContainKey("server");
    Map<String, Object> arch = Json.object(doc.get("archive"));
    // The size comes from the (uncompressed) files.
    assertThat(arch.get("wal_segment_size")).isEqualTo((long) SEGMENT.bytes());
    assertThat(arch.get("wal_segment_size_from")).isEqualTo("files");
    assertThat(arch.get("newest_complete")).isEqualTo(complete.get(complete.size() - 1));
    assertThat(arch.get("has_gaps")).isEqualTo(false);

    // With a connection option it connects, and fails on the closed port.
    CliRun failing = CliRun.of(env, "status", "-D", archive.toString(), "-p", "1");
    assertThat(failing.exitCode()).isEqualTo(1);
    assertThat(failing.firstErrorLine()).startsWith("jwalreceiver: error: ");
  }

  /** Two receivewal runs with WAL between them: several completed segments and a .partial. */
  private Path makeArchive(PostgresServer server) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("archive"));
    Map<String, String> env = ReceiveWalIT.env(server);
    ReceiveWalIT.ensureTable(server);
    String end1 = ReceiveWalIT.nextEndPosition(server);
    BackupTestSupport.assertOk(
        ReceiveWalIT.run(env, "receivewal", "-D", dir.toString(), "--endpos", end1, "--no-loop"));
    server.generateWal(3L * SEGMENT.bytes() + SEGMENT.bytes() / 2);
    String end2 = ReceiveWalIT.nextEndPosition(server);
    BackupTestSupport.assertOk(
        ReceiveWalIT.run(env, "receivewal", "-D", dir.toString(), "--endpos", end2, "--no-loop"));
    return dir;
  }

  private static List<String> completeSegments(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(SegmentName::isSegmentFileName)
          .sorted()
          .toList();
    }
  }

  private static String partialSegment(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> partials =
          files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".partial")).toList();
      assertThat(partials).hasSize(1);
      return partials.get(0);
    }
  }

  /** The row of the JSON array {@code server.<list>} whose {@code key} is {@code value}. */
  private static Map<String, Object> row(
      Map<String, Object> server, String list, String key, String value) {
    return Json.array(server.get(list)).stream()
        .map(Json::object)
        .filter(s -> value.equals(s.get(key)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + value + " in " + list + ": " + server));
  }
}
