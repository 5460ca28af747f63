// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.Ports;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.ReplicationSlots;
import io.jwalreceiver.testkit.Tools;
import io.jwalreceiver.testkit.Waits;
import io.jwalreceiver.testkit.WalArchiveListing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver receivewal} end to end: the upstream 020_pg_receivewal.pl scenarios that do
 * not involve compression (pg-tools-features §3.3), end position, restart without a gap, timeline
 * following, and the oracles pg_waldump and pg_receivewal (PostgreSQL 15 binaries).
 */
@Tag("postgres")
class ReceiveWalIT {

  static final WalSegmentSize SEGMENT = new WalSegmentSize(1 << 20);
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);
  static final Path PG15_BIN = Path.of("/usr/lib/postgresql/15/bin");

  @TempDir Path tmp;

  /** READ_REPLICATION_SLOT (start from the slot) needs a 15+ server. */
  static List<Integer> versionsFrom15() {
    return PgVersions.selected().stream().filter(v -> v >= 15).toList();
  }

  /** The PostgreSQL 15 client tools are the oracles; they are run against a 15 server only. */
  static List<Integer> version15() {
    return PgVersions.selected().stream().filter(v -> v == 15).toList();
  }

  static PostgresServer.Options smallSegments(int major) {
    return PostgresServer.Options.of(major).withInitdbArgs("--wal-segsize=1");
  }

  static PostgresServer server(int major) {
    return PostgresServer.shared(smallSegments(major));
  }

  static Map<String, String> env(PostgresServer server) {
    return BackupTestSupport.env(server);
  }

  /** One CLI run that must end by itself within {@link #RUN_TIMEOUT}. */
  static CliRun run(Map<String, String> env, String... args) {
    return assertTimeoutPreemptively(
        RUN_TIMEOUT,
        () -> CliRun.of(env, args),
        () -> "receivewal did not end: " + String.join(" ", args));
  }

  /** {@code receivewal -D dir <more>} against {@code server}, as the replication user. */
  static CliRun receivewal(PostgresServer server, Path dir, String... more) {
    List<String> args = new ArrayList<>(List.of("receivewal", "-D", dir.toString()));
    args.addAll(Arrays.asList(more));
    return run(env(server), args.toArray(String[]::new));
  }

  /** {@link BackupTestSupport#assertFails}, with exactly {@code firstLine} as the first line. */
  static void assertFails(CliRun r, String firstLine) {
    BackupTestSupport.assertFails(r, firstLine);
    assertThat(r.firstErrorLine()).isEqualTo(firstLine);
  }

  /**
   * Upstream 129's options: a slot that does not exist, up to {@code end}, into {@code dir} (after
   * {@code receivewal} for us, as they are for pg_receivewal).
   */
  static String[] absentSlotOptions(Path dir, String end) {
    return new String[] {
      "-D",
      dir.toString(),
      "--slot",
      "nonexistentslot",
      "--no-loop",
      "--no-sync",
      "--verbose",
      "--endpos",
      end
    };
  }

  Path newDir(String name) throws IOException {
    return Files.createDirectory(
        tmp.resolve(name),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  /** Switch WAL, E = the insert position, write a little more WAL: pg_receivewal's test setup. */
  static String nextEndPosition(PostgresServer server) {
    server.switchWal();
    String end = server.queryString("SELECT pg_current_wal_insert_lsn()");
    server.execute("INSERT INTO test_table VALUES (1)");
    return end;
  }

  static void ensureTable(PostgresServer server) {
    server.execute("CREATE TABLE IF NOT EXISTS test_table (x integer)");
  }

  /**
   * Upstream's setup of one end-position run: the shared {@link #server} with the table, the
   * directory to receive into, and the end position E ({@link #nextEndPosition}).
   */
  record EndRun(PostgresServer server, Path dir, String end) {
    static EndRun of(int major, Path dir) {
      PostgresServer server = serverWithTable(major);
      return new EndRun(server, dir, nextEndPosition(server));
    }

    /** {@link ReceiveWalIT#env} of the server. */
    Map<String, String> env() {
      return ReceiveWalIT.env(server);
    }
  }

  /** {@link #server} with the table {@link #nextEndPosition} writes to. */
  static PostgresServer serverWithTable(int major) {
    PostgresServer server = server(major);
    ensureTable(server);
    return server;
  }

  /**
   * {@link #server} with the table, for a test that also runs PostgreSQL 15's {@code tool}: skipped
   * when that tool is not installed.
   */
  static PostgresServer serverAndPg15Tool(int major, String tool) {
    assumeTrue(Files.isExecutable(PG15_BIN.resolve(tool)), tool + " 15 installed");
    return serverWithTable(major);
  }

  /** What runs while a physical slot (reserving WAL) exists. */
  interface WithSlot<T> {
    T run() throws IOException;
  }

  /**
   * Creates the physical slot {@code slot} (reserving WAL now), runs {@code body}, then waits for
   * the slot to be released and drops it.
   */
  static <T> T withSlot(PostgresServer server, String slot, WithSlot<T> body) throws IOException {
    server.queryString("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    try {
      return body.run();
    } finally {
      awaitSlotInactive(server, slot);
      dropSlot(server, slot);
    }
  }

  static void dropSlot(PostgresServer server, String slot) {
    ReplicationSlots.dropIfInactive(server, slot);
  }

  static void awaitSlotInactive(PostgresServer server, String slot) {
    long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
    while ("t"
        .equals(
            server.queryString(
                "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))) {
      assertThat(System.nanoTime()).as("slot %s still active", slot).isLessThan(deadline);
      Waits.sleep(50);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Upstream 107-113: options, no server needed
  // ------------------------------------------------------------------------------------------

  @Test
  void helpFitsIn95Columns() {
    assertThat(CliRun.help("receivewal").out()).isNotBlank();
  }

  @Test
  void versionPrintsToStdout() {
    assertThat(CliRun.version("receivewal").err()).isEmpty();
  }

  @Test
  void rejectsAnUnknownOption() {
    CliRun r = CliRun.of(Map.of(), "receivewal", "--not-a-valid-option");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).isNotEmpty();
  }

  @Test
  void validatesOptionsInPgReceivewalsWords() throws IOException {
    String dir = newDir("archive_wal").toString();
    assertFails(
        CliRun.of(Map.of(), "receivewal"), "jwalreceiver: error: no target directory specified");
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "--create-slot", "--drop-slot"),
        "jwalreceiver: error: cannot use --create-slot together with --drop-slot");
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "--create-slot"),
        "jwalreceiver: error: --create-slot needs a slot to be specified using --slot");
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "--synchronous", "--no-sync"),
        "jwalreceiver: error: cannot use --synchronous together with --no-sync");
  }

  // ------------------------------------------------------------------------------------------
  // 9. Error cases
  // ------------------------------------------------------------------------------------------

  @Test
  void rejectsAnEndPositionThatDoesNotParse() throws IOException {
    String dir = newDir("archive_wal").toString();
    CliRun r = CliRun.of(Map.of(), "receivewal", "-D", dir, "--endpos", "bogus");
    assertFails(r, "jwalreceiver: error: could not parse end position \"bogus\"");
    assertThat(r.exitCode()).isEqualTo(1);
  }

  @Test
  void rejectsAMissingDirectory() {
    Path missing = tmp.resolve("no_such_dir");
    CliRun r = CliRun.of(Map.of(), "receivewal", "-D", missing.toString(), "--no-loop");
    assertFails(
        r,
        "jwalreceiver: error: could not open directory \""
            + missing
            + "\": No such file or directory");
    assertThat(r.exitCode()).isEqualTo(1);
  }

  @Test
  void connectionRefusedWithoutLoopFailsOnce() throws IOException {
    Path dir = newDir("archive_wal");
    int port = Ports.unused();
    CliRun r =
        run(
            Map.of("PGSSLMODE", "disable"),
            "receivewal",
            "-D",
            dir.toString(),
            "--no-loop",
            "-h",
            "127.0.0.1",
            "-p",
            Integer.toString(port));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.firstErrorLine())
        .startsWith("jwalreceiver: error: ")
        .contains("port " + port + " failed: Connection refused");
    assertThat(r.err().lines().filter(l -> l.contains("error:")).count()).isEqualTo(1);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("waiting");
    assertThat(dir).isEmptyDirectory();
  }

  // ------------------------------------------------------------------------------------------
  // Upstream 115-116: --create-slot / --drop-slot
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void createsAndDropsASlotWithoutReservingWal(int major) {
    PostgresServer server = server(major);
    try {
      CliRun created = run(env(server), "receivewal", "--slot", "test", "--create-slot");
      assertOk(created);
      assertThat(
              server.queryString(
                  "SELECT slot_type || ' ' || coalesce(restart_lsn::text, 'NULL')"
                      + " FROM pg_replication_slots WHERE slot_name = 'test'"))
          .isEqualTo("physical NULL");
      CliRun dropped = run(env(server), "receivewal", "--slot", "test", "--drop-slot");
      assertOk(dropped);
      assertThat(
              server.queryString(
                  "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'test'"))
          .isEqualTo("0");
    } finally {
      dropSlot(server, "test");
    }
  }

  // ------------------------------------------------------------------------------------------
  // 2. --endpos (upstream 117, 118, 128)
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void stopsAfterTheEndPosition(int major) throws IOException {
    EndRun setup = EndRun.of(major, newDir("archive_wal"));
    PostgresServer server = setup.server();
    Path dir = setup.dir();
    String end = setup.end();
    CliRun r = receivewal(server, dir, "--verbose", "--endpos", end, "--synchronous", "--no-loop");
    assertOk(r);
    assertThat(r.err()).contains("jwalreceiver: starting log streaming at ");

    Lsn e = Lsn.parse(end);
    WalArchiveListing archive = WalArchiveListing.of(dir);
    assertThat(archive.others()).isEmpty();
    assertThat(archive.partials()).hasSize(1);
    // The partial is the segment holding E, and holds the server's WAL up to E (inclusive:
    // pg_receivewal stops once it has received more than E).
    SegmentName endSegment = SegmentName.of(TimelineId.FIRST, e, SEGMENT);
    assertThat(archive.partials()).containsExactly(endSegment.fileName() + ".partial");
    int upTo = SEGMENT.offset(e) + 1;
    assertPrefixMatchesServer(
        server, dir.resolve(archive.partials().get(0)), endSegment.fileName(), upTo);

    // Upstream 128: directories 0700, files 0600.
    assertModes(dir);
  }

  // ------------------------------------------------------------------------------------------
  // 3. A restart resumes without a gap (upstream 127 without compression)
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void resumesFromThePartialSegmentWithoutAGap(int major) throws IOException {
    PostgresServer server = serverWithTable(major);
    String slot = "restart_slot";
    withSlot(
        server,
        slot,
        () -> {
          Path dir = newDir("archive_wal");
          String end1 = nextEndPosition(server);
          assertOk(receivewal(server, dir, "-S", slot, "--endpos", end1, "--no-loop"));
          WalArchiveListing first = WalArchiveListing.of(dir);
          assertThat(first.partials()).hasSize(1);
          String partial1 = first.partials().get(0);
          awaitSlotInactive(server, slot);

          server.generateWal(2L * SEGMENT.bytes() + SEGMENT.bytes() / 2);
          String end2 = nextEndPosition(server);
          CliRun second = receivewal(server, dir, "-S", slot, "--endpos", end2, "--no-loop", "-v");
          assertOk(second);
          assertThat(second.err())
              .contains(
                  "starting log streaming at "
                      + SegmentName.parse(partial1.substring(0, 24), SEGMENT).startLsn()
                      + " (timeline 1)");

          WalArchiveListing archive = WalArchiveListing.of(dir);
          assertThat(archive.others()).isEmpty();
          assertThat(archive.partials()).hasSize(1);
          assertThat(archive.complete()).contains(partial1.substring(0, 24));
          assertThat(archive.partials().get(0)).isNotEqualTo(partial1);
          archive.assertContiguous(name -> SegmentName.parse(name, SEGMENT).segmentNumber());
          assertThat(archive.complete().size()).isGreaterThanOrEqualTo(3);
          Path pgWal = server.dataDir().resolve("pg_wal");
          for (String name : archive.complete()) {
            if (Files.exists(pgWal.resolve(name))) {
              assertThat(Files.mismatch(dir.resolve(name), pgWal.resolve(name)))
                  .as(name)
                  .isEqualTo(-1L);
            }
          }
          assertModes(dir);
          return null;
        });
  }

  // ------------------------------------------------------------------------------------------
  // Upstream 129-130: a slot that does not exist; starting at the slot's restart_lsn
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesASlotThatDoesNotExist(int major) throws IOException {
    EndRun setup = EndRun.of(major, newDir("slot_wal"));
    Path dir = setup.dir();
    List<String> args = new ArrayList<>(List.of("receivewal"));
    args.addAll(Arrays.asList(absentSlotOptions(dir, setup.end())));
    CliRun r = run(env(setup.server()), args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    if (major >= 15) {
      assertThat(r.err())
          .contains("jwalreceiver: error: replication slot \"nonexistentslot\" does not exist\n");
      assertThat(dir).isEmptyDirectory();
    } else {
      // 13/14 have no READ_REPLICATION_SLOT: START_REPLICATION fails on the server.
      assertThat(
              r.err()
                  .lines()
                  .filter(
                      l ->
                          l.startsWith("jwalreceiver: error: ")
                              && !l.equals("jwalreceiver: error: disconnected")))
          .as(r.err())
          .singleElement(STRING)
          .matches(
              "jwalreceiver: error: .*ERROR:  replication slot \"nonexistentslot\""
                  + " does not exist");
    }
    assertThat(r.err()).doesNotContain("Exception");
  }

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource("versionsFrom15")
  void startsAtTheSlotsRestartLsnInAnEmptyDirectory(int major) throws IOException {
    PostgresServer server = serverWithTable(major);
    String slot = "archive_slot";
    server.execute("CHECKPOINT");
    withSlot(
        server,
        slot,
        () -> {
          String f =
              server.queryString(
                  "SELECT pg_walfile_name(restart_lsn) FROM pg_replication_slots WHERE slot_name = '"
                      + slot
                      + "'");
          server.execute("INSERT INTO test_table VALUES (1)");
          String end = nextEndPosition(server);
          Path dir = newDir("slot_wal");
          assertOk(
              receivewal(
                  server,
                  dir,
                  "--slot",
                  slot,
                  "--no-loop",
                  "--no-sync",
                  "--verbose",
                  "--endpos",
                  end));
          assertThat(dir.resolve(f)).exists();
          assertThat(Files.size(dir.resolve(f))).isEqualTo(SEGMENT.bytes());
          return null;
        });
  }

  // ------------------------------------------------------------------------------------------
  // 4. Timeline switch (upstream 131-134)
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource("versionsFrom15")
  void followsTheTimelineSwitchOfAPromotedStandby(int major) throws IOException {
    try (PostgresServer primary = PostgresServer.start(smallSegments(major));
        PostgresServer standby = primary.createStandby()) {
      try (ReplicationConnection c =
          ReplicationConnection.open(BackupTestSupport.replicationConfig(standby))) {
        c.createPhysicalSlot("archive_slot", false, true);
      }
      // More than a segment: the slot's segment ends before the promotion point.
      primary.generateWal(SEGMENT.bytes() + SEGMENT.bytes() / 2);
      standby.awaitReplay(primary.currentWalLsn(), RUN_TIMEOUT);
      String b =
          SegmentName.of(
                  TimelineId.FIRST,
                  Lsn.parse(
                      standby.queryString(
                          "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'archive_slot'")),
                  SEGMENT)
              .fileName();
      standby.promote();
      String a = standby.queryString("SELECT pg_walfile_name(pg_current_wal_insert_lsn())");
      standby.execute("CREATE TABLE test_table (x integer)");
      String end = nextEndPosition(standby);

      Path dir = newDir("timeline_wal");
      CliRun r =
          receivewal(
              standby,
              dir,
              "--verbose",
              "--endpos",
              end,
              "--slot",
              "archive_slot",
              "--no-sync",
              "--no-loop");
      assertOk(r);
      assertThat(dir.resolve(b))
          .as("old-timeline segment %s in %s", b, WalArchiveListing.of(dir))
          .exists();
      assertThat(dir.resolve(a)).as("new-timeline segment " + a).exists();
      assertThat(dir.resolve("00000002.history")).exists();
      assertThat(r.err()).contains("jwalreceiver: switched to timeline 2 at ");
    }
  }

  // ------------------------------------------------------------------------------------------
  // 5. pg_waldump reads what we archived
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource("version15")
  void pgWaldumpReadsTheArchive(int major) throws Exception {
    PostgresServer server = serverAndPg15Tool(major, "pg_waldump");
    Path dir = newDir("archive_wal");
    String slot = "waldump_slot";
    // The slot keeps the start back, so that the run archives complete segments.
    WalArchiveListing archive =
        withSlot(
            server,
            slot,
            () -> {
              server.generateWal(2L * SEGMENT.bytes() + SEGMENT.bytes() / 2);
              String end = nextEndPosition(server);
              assertOk(receivewal(server, dir, "-S", slot, "--endpos", end, "--no-loop"));
              return WalArchiveListing.of(dir);
            });
    assertThat(archive.complete()).hasSizeGreaterThanOrEqualTo(2);
    Tools.Result dump =
        Tools.run(
            List.of(
                PG15_BIN.resolve("pg_waldump").toString(),
                "-p",
                dir.toString(),
                archive.complete().get(0),
                archive.complete().get(archive.complete().size() - 1)));
    assertThat(dump.exitCode()).as(dump.stderr()).isZero();
    assertThat(dump.stdout()).contains("jwalreceiver-filler");
  }

  // ------------------------------------------------------------------------------------------
  // 6. Byte-identical with pg_receivewal
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource("version15")
  void writesTheSameSegmentsAsPgReceivewal(int major) throws Exception {
    PostgresServer server = serverAndPg15Tool(major, "pg_receivewal");
    server.queryString(
        "SELECT pg_create_physical_replication_slot('slot_a', true),"
            + " pg_create_physical_replication_slot('slot_b', true)");
    try {
      assertThat(
              server.queryString(
                  "SELECT count(DISTINCT pg_walfile_name(restart_lsn))"
                      + " FROM pg_replication_slots WHERE slot_name IN ('slot_a', 'slot_b')"))
          .as("both slots start in the same segment")
          .isEqualTo("1");
      server.generateWal(3L * SEGMENT.bytes());
      String end = nextEndPosition(server);
      Path dirA = newDir("dir_a");
      Path dirB = newDir("dir_b");

      Tools.Result theirs =
          Tools.run(
              ClientArgs.socket(
                  server,
                  PG15_BIN.resolve("pg_receivewal").toString(),
                  "-D",
                  dirA.toString(),
                  "-S",
                  "slot_a",
                  "--endpos",
                  end,
                  "--no-loop"));
      assertThat(theirs.exitCode()).as(theirs.stderr()).isZero();
      assertOk(receivewal(server, dirB, "-S", "slot_b", "--endpos", end, "--no-loop"));

      WalArchiveListing a = WalArchiveListing.of(dirA);
      WalArchiveListing b = WalArchiveListing.of(dirB);
      assertThat(a.complete()).hasSizeGreaterThanOrEqualTo(3);
      assertThat(b.complete()).isEqualTo(a.complete());
      assertThat(b.partials()).isEqualTo(a.partials());
      assertThat(b.others()).isEqualTo(a.others());
      for (String name : a.complete()) {
        assertThat(Files.mismatch(dirA.resolve(name), dirB.resolve(name))).as(name).isEqualTo(-1L);
      }
      // Both stopped once past E: the partials agree at least up to E.
      Lsn e = Lsn.parse(end);
      byte[] pa = Files.readAllBytes(dirA.resolve(a.partials().get(0)));
      byte[] pb = Files.readAllBytes(dirB.resolve(b.partials().get(0)));
      int upTo = SEGMENT.offset(e) + 1;
      assertThat(Arrays.copyOf(pb, upTo)).isEqualTo(Arrays.copyOf(pa, upTo));
      assertThat(pb.length).isEqualTo(pa.length);
    } finally {
      awaitSlotInactive(server, "slot_a");
      awaitSlotInactive(server, "slot_b");
      dropSlot(server, "slot_a");
      dropSlot(server, "slot_b");
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers
  // ------------------------------------------------------------------------------------------

  static void assertPrefixMatchesServer(PostgresServer server, Path ours, String name, int bytes)
      throws IOException {
    byte[] o = Files.readAllBytes(ours);
    byte[] t = Files.readAllBytes(server.dataDir().resolve("pg_wal").resolve(name));
    assertThat(Arrays.copyOf(o, bytes))
        .as("first %d bytes of %s", bytes, ours.getFileName())
        .isEqualTo(Arrays.copyOf(t, bytes));
  }

  /** Upstream 128: every directory 0700, every file 0600. */
  static void assertModes(Path dir) {
    BackupTestSupport.assertModes(dir, p -> true, "rwx------", "rw-------");
  }
}
