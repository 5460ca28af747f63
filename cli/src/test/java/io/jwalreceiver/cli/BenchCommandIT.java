// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver bench wal} and {@code bench basebackup} on real servers, in short runs: the
 * JSON figures are consistent with each other and with the server, the disk sinks write real files
 * and remove only what they created, and bad input fails with one line.
 */
@Tag("postgres")
class BenchCommandIT {

  static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
  static final long MB = 1024 * 1024;

  @TempDir Path tmp;

  static PostgresServer server(int major) {
    return PostgresServer.shared(major);
  }

  static Map<String, String> env(PostgresServer server) {
    // Trusted for replication and for the plain session (slot lookup, --generate) on every
    // version (the REPLICATION roles need SCRAM for SQL, which 13's md5 passwords cannot do).
    return BackupTestSupport.env(server, PostgresServer.SUPERUSER);
  }

  static CliRun run(PostgresServer server, String... args) {
    return assertTimeoutPreemptively(
        RUN_TIMEOUT,
        () -> CliRun.of(env(server), args),
        () -> "bench did not end: " + String.join(" ", args));
  }

  static Map<String, Object> ok(CliRun r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("error:").doesNotContain("Exception");
    return json(r.out());
  }

  /** {@code bench basebackup --sink disk -D dir <options> --json}: its JSON. */
  static Map<String, Object> basebackupToDisk(PostgresServer server, Path dir, String... options) {
    List<String> args =
        new ArrayList<>(List.of("bench", "basebackup", "--sink", "disk", "-D", dir.toString()));
    args.addAll(Arrays.asList(options));
    args.add("--json");
    return ok(run(server, args.toArray(String[]::new)));
  }

  /** {@code bench wal} of 32 MB it generates, to {@code dir}, with {@code option}: its JSON. */
  static Map<String, Object> walToDisk(PostgresServer server, Path dir, String option) {
    return ok(
        run(
            server,
            "bench",
            "wal",
            "--generate",
            "--bytes",
            "32MB",
            "--sink",
            "disk",
            "-D",
            dir.toString(),
            option,
            "--json"));
  }

  static void fails(CliRun r, String firstLine) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.firstErrorLine()).isEqualTo(firstLine);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(r.out()).isEmpty();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walToDiscardWithGeneratedWal(int major) {
    PostgresServer server = server(major);
    Map<String, Object> j =
        ok(run(server, "bench", "wal", "--generate", "--bytes", "32MB", "--json"));
    assertThat(j.get("benchmark")).isEqualTo("wal");
    assertThat(j.get("sink")).isEqualTo("discard");
    long bytes = num(j, "bytes").longValue();
    assertThat(bytes).isGreaterThanOrEqualTo(32 * MB);
    // The byte count is the distance between the positions reported.
    assertThat(Lsn.parse((String) j.get("end_lsn")).minus(Lsn.parse((String) j.get("start_lsn"))))
        .isEqualTo(bytes);
    assertThat(num(j, "messages").longValue()).isPositive();
    assertThat(num(j, "seconds").doubleValue()).isPositive();
    assertThat(num(j, "mb_per_s").doubleValue()).isPositive();
    assertThat(num(j, "messages_per_s").doubleValue()).isPositive();
    assertThat(num(j, "cpu_seconds").doubleValue()).isPositive();
    assertThat(num(j, "generated_bytes").longValue()).isGreaterThanOrEqualTo(32 * MB);
    assertThat(j.get("ack_latency_ms")).isNull();
    assertThat(j.get("directory")).isNull();
    // The server really had that WAL: its position is past the end we received.
    Lsn serverNow = Lsn.parse(server.currentWalLsn());
    assertThat(serverNow.isBefore(Lsn.parse((String) j.get("end_lsn")))).isFalse();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walToDiskSynchronousReportsLatencyAndRemovesItsFiles(int major) {
    PostgresServer server = server(major);
    Path dir = tmp.resolve("wal-" + major);
    Map<String, Object> j = walToDisk(server, dir, "--synchronous");
    assertThat(j.get("sink")).isEqualTo("disk");
    assertThat(j.get("synchronous")).isEqualTo(true);
    assertThat(num(j, "bytes").longValue()).isGreaterThanOrEqualTo(32 * MB);
    assertThat(num(j, "mb_per_s").doubleValue()).isPositive();
    Map<String, Object> lat = map(j, "ack_latency_ms");
    assertThat(num(lat, "count").longValue()).isPositive();
    double p50 = num(lat, "p50").doubleValue();
    double p99 = num(lat, "p99").doubleValue();
    double p999 = num(lat, "p99_9").doubleValue();
    double max = num(lat, "max").doubleValue();
    assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
    assertThat(p99).isLessThanOrEqualTo(p999);
    assertThat(p999).isLessThanOrEqualTo(max);
    assertThat(j.get("directory")).isEqualTo(dir.toString());
    assertThat(j.get("kept")).isEqualTo(false);
    // The directory did not exist: the bench created it, and removed it.
    assertThat(dir).doesNotExist();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walToDiskWithKeepLeavesSegmentFiles(int major) throws IOException {
    PostgresServer server = server(major);
    Path dir = Files.createDirectory(tmp.resolve("keep-" + major));
    Map<String, Object> j = walToDisk(server, dir, "--keep");
    assertThat(j.get("kept")).isEqualTo(true);
    long bytes = num(j, "bytes").longValue();
    long segments;
    try (Stream<Path> s = Files.list(dir)) {
      segments = s.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")).count();
    }
    // 32 MB of WAL from a segment start: at least one full 16 MB segment completed.
    assertThat(segments).isGreaterThanOrEqualTo(bytes / (16 * MB) - 1).isPositive();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walFromASlotStartsAtItsRestartLsnAndLeavesItAlone(int major) {
    PostgresServer server = server(major);
    String slot = "bench_slot_" + major;
    server.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    try {
      String before =
          server.queryString(
              "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
      server.generateWal(24 * MB);
      Map<String, Object> j =
          ok(run(server, "bench", "wal", "-S", slot, "--bytes", "16MB", "--json"));
      Lsn restart = Lsn.parse(before);
      Lsn start = Lsn.parse((String) j.get("start_lsn"));
      // Streaming starts at the segment holding the slot's restart_lsn.
      assertThat(start.isAfter(restart)).isFalse();
      assertThat(restart.minus(start)).isLessThan(16 * MB);
      assertThat(num(j, "bytes").longValue()).isGreaterThanOrEqualTo(16 * MB);
      // The slot was only read: same restart_lsn, not active.
      assertThat(
              server.queryString(
                  "SELECT restart_lsn || ' ' || active FROM pg_replication_slots"
                      + " WHERE slot_name = '"
                      + slot
                      + "'"))
          .isEqualTo(before + " false");
    } finally {
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walForADurationStopsAfterIt(int major) {
    PostgresServer server = server(major);
    // WAL already flushed in the current segment: the run starts at that segment's beginning, so
    // it has bytes to receive even when the generator's first transaction takes longer than the
    // run on a busy machine (the figure under test is the stop, not the generator's speed).
    server.queryString("SELECT pg_logical_emit_message(true, 'bench-it', repeat('x', 65536))");
    CliRun r = run(server, "bench", "wal", "--generate", "--duration", "2s");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("throughput:").contains("MB/s").contains("generated:");
    server.queryString("SELECT pg_logical_emit_message(true, 'bench-it', repeat('x', 65536))");
    Map<String, Object> j =
        ok(run(server, "bench", "wal", "--generate", "--duration", "2s", "--json"));
    assertThat(num(j, "seconds").doubleValue()).isGreaterThanOrEqualTo(2.0);
    assertThat(num(j, "bytes").longValue()).isPositive();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walErrors(int major) throws IOException {
    PostgresServer server = server(major);
    fails(
        run(server, "bench", "wal", "-S", "no_such_slot"),
        "jwalreceiver: error: replication slot \"no_such_slot\" does not exist");
    refusesANonEmptyDirectory(server, "wal", "--bytes", "1MB");
    CliRun ahead = run(server, "bench", "wal", "--start", "FFFFFF/0", "--bytes", "1MB");
    assertThat(ahead.exitCode()).isEqualTo(1);
    assertThat(ahead.firstErrorLine())
        .startsWith("jwalreceiver: error: ")
        .contains("ahead of the WAL flush position");
    assertThat(ahead.out()).isEmpty();
    refusesAnUnknownSink(server, "wal");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void basebackupToDiscard(int major) {
    PostgresServer server = server(major);
    Map<String, Object> j = ok(run(server, "bench", "basebackup", "--json"));
    assertThat(j.get("benchmark")).isEqualTo("basebackup");
    long bytes = num(j, "bytes").longValue();
    // At least the data directory's PG_VERSION, catalogs and WAL-free base: several MB.
    assertThat(bytes).isGreaterThan(MB);
    assertThat(num(j, "mb_per_s").doubleValue()).isPositive();
    Map<String, Object> stages = map(j, "stages");
    assertThat(num(map(stages, "network"), "seconds").doubleValue()).isPositive();
    assertThat(stages.get("extraction")).isNull();
    assertThat(stages.get("fsync")).isNull();
    assertThat(stages.get("decompression")).isNull();
    assertThat(
            Lsn.parse((String) j.get("end_lsn")).isBefore(Lsn.parse((String) j.get("start_lsn"))))
        .isFalse();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void basebackupToDiskPlainKeptAndRemoved(int major) {
    PostgresServer server = server(major);
    Path kept = tmp.resolve("bb-keep-" + major);
    Map<String, Object> j = basebackupToDisk(server, kept, "--keep", "-X", "fetch");
    assertThat(j.get("wal_method")).isEqualTo("fetch");
    assertThat(kept.resolve("PG_VERSION")).hasContent(major + "\n");
    assertThat(kept.resolve("backup_manifest")).exists();
    assertThat(kept.resolve("global/pg_control")).exists();
    Map<String, Object> stages = map(j, "stages");
    assertThat(num(map(stages, "extraction"), "seconds").doubleValue()).isPositive();
    assertThat(num(map(stages, "fsync"), "seconds").doubleValue()).isPositive();

    Path removed = tmp.resolve("bb-gone-" + major);
    Map<String, Object> k = basebackupToDisk(server, removed, "-F", "t");
    assertThat(k.get("format")).isEqualTo("tar");
    assertThat(num(k, "bytes").longValue()).isGreaterThan(MB);
    assertThat(removed).doesNotExist();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void basebackupServerCompressedTimesDecompression(int major) {
    assumeTrue(major >= 15, "server-side compression needs 15+");
    PostgresServer server = server(major);
    Path dir = tmp.resolve("bb-gzip-" + major);
    Map<String, Object> j = basebackupToDisk(server, dir, "-Z", "server-gzip");
    assertThat(j.get("compression")).isEqualTo("server-gzip");
    Map<String, Object> stages = map(j, "stages");
    assertThat(num(map(stages, "decompression"), "seconds").doubleValue()).isPositive();
    assertThat(num(map(stages, "extraction"), "seconds").doubleValue()).isPositive();
    assertThat(dir).doesNotExist();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void basebackupErrors(int major) throws IOException {
    refusesANonEmptyDirectory(server(major), "basebackup");
    refusesAnUnknownSink(server(major), "basebackup");
  }

  /**
   * {@code bench <kind> --sink disk -D <a directory with a file> <more>} fails as pg_receivewal and
   * pg_basebackup do, and leaves the file alone.
   */
  private void refusesANonEmptyDirectory(PostgresServer server, String kind, String... more)
      throws IOException {
    Path full = Files.createDirectory(tmp.resolve(kind + "-full"));
    Path mine = Files.writeString(full.resolve("mine.txt"), "user data");
    List<String> args =
        new ArrayList<>(List.of("bench", kind, "--sink", "disk", "-D", full.toString()));
    args.addAll(Arrays.asList(more));
    fails(
        run(server, args.toArray(String[]::new)),
        "jwalreceiver: error: directory \"" + full + "\" exists but is not empty");
    assertThat(mine).hasContent("user data");
  }

  /** {@code bench <kind> --sink nowhere} names the sinks there are. */
  private static void refusesAnUnknownSink(PostgresServer server, String kind) {
    fails(
        run(server, "bench", kind, "--sink", "nowhere"),
        "jwalreceiver: error: invalid sink \"nowhere\", must be \"discard\" or \"disk\"");
  }

  // ------------------------------------------------------------------ JSON

  static Number num(Map<String, Object> j, String field) {
    Object v = j.get(field);
    assertThat(v).as(field + " in " + j).isInstanceOf(Number.class);
    return (Number) v;
  }

  static Map<String, Object> map(Map<String, Object> j, String field) {
    Object v = j.get(field);
    assertThat(v).as(field + " in " + j).isInstanceOf(Map.class);
    return Json.object(v);
  }

  /** The report as nested maps; fails unless stdout is exactly one JSON object. */
  static Map<String, Object> json(String text) {
    Object v = Json.parse(text);
    assertThat(v).as(text).isInstanceOf(Map.class);
    return Json.object(v);
  }
}
