// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The restore side against a real S3 API server and real PostgreSQL servers: a point-in-time
 * recovery that uses only what is in the object store ({@code restore-backup}, then {@code
 * restore-wal} as the recovering server's {@code restore_command}, run from the shaded jar by the
 * server's user), and {@code restore-wal}'s exit codes as recovery needs them.
 */
@Tag("postgres")
class RestoreIT {

  private static final int SEGMENT = 1 << 20;
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(90);
  private static final String SLOT = "restore_it";
  private static final Path JAR = Path.of("target", "jwalreceiver.jar");

  @TempDir Path tmp;

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void recoversToAnLsnUsingOnlyTheObjectStore(int major) throws Exception {
    S3Server s3 = S3Server.shared();
    String bucket = s3.newBucket();
    String location = "s3://" + bucket + "/pitr";
    Map<String, String> aws = s3.environment();
    Path walDir = Files.createDirectory(tmp.resolve("receivewal"));
    String target;
    String partialSegment;
    String backupId;
    byte[] serverPartialHead;
    try (PostgresServer server =
        PostgresServer.start(PostgresServer.Options.of(major).withInitdbArgs("--wal-segsize=1"))) {
      Map<String, String> env = withAws(ClientArgs.socketEnv(server), aws);
      server.execute("SELECT pg_create_physical_replication_slot('" + SLOT + "', true)");
      server.execute("CREATE TABLE batches (batch integer, n integer)");
      // The archive begins before the backup does; both go to the store through our own
      // --target options, so the store holds exactly what they upload.
      assertOk(receivewal(env, walDir, nextEndPosition(server), "--target", location));
      backupId = backupToStore(env, location, "-X", "none");
      insertBatch(server, 1);
      insertBatch(server, 2);
      target = server.queryString("SELECT pg_current_wal_insert_lsn()");
      insertBatch(server, 3);
      insertBatch(server, 4);
      server.switchWal();
      server.generateWal(200_000);
      String end = server.queryString("SELECT pg_current_wal_insert_lsn()");
      partialSegment = server.queryString("SELECT pg_walfile_name('" + end + "')");
      server.execute("INSERT INTO batches VALUES (5, 0)");
      // lz4: the oracle's restore_command decompresses every segment after the backup's first.
      assertOk(receivewal(env, walDir, end, "--compress", "lz4", "--target", location));
      assertThat(walDir.resolve(partialSegment + ".lz4.partial")).isRegularFile();
      serverPartialHead =
          Arrays.copyOf(
              Files.readAllBytes(server.dataDir().resolve("pg_wal").resolve(partialSegment)),
              64 * 1024);
      try (Stream<Path> files = Files.list(walDir)) {
        assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".lz4"));
      }
    }

    // The backup, from the store only, into an empty directory; an occupied one is refused.
    Path occupied = Files.createDirectories(tmp.resolve("occupied"));
    Files.writeString(occupied.resolve("keep"), "mine");
    CliRun refused =
        CliRun.of(aws, "restore-backup", "--archive", location, "-D", occupied.toString());
    refused.assertErrorOnly(
        "jwalreceiver: error: directory \"" + occupied + "\" exists but is not empty");
    assertThat(occupied.resolve("keep")).hasContent("mine");
    try (Stream<Path> files = Files.list(occupied)) {
      assertThat(files).hasSize(1);
    }

    Path restored = tmp.resolve("restored");
    CliRun r = CliRun.of(aws, "restore-backup", "--archive", location, "-D", restored.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).startsWith("restored backup " + backupId + " into \"" + restored + "\"");
    try (ObjectStore store = Stores.open(StoreLocation.parse(location), aws);
        InputStream manifest =
            store.open(ArchiveLayout.STORE.backupKey(backupId, ArchiveLayout.MANIFEST))) {
      assertThat(restored.resolve("backup_manifest")).hasBinaryContent(manifest.readAllBytes());
    }
    assertThat(restored.resolve("PG_VERSION")).hasContent(Integer.toString(major));

    // Recovery to the LSN after batch 2, WAL from the store through restore-wal.
    Files.writeString(restored.resolve("recovery.signal"), "");
    Files.writeString(
        restored.resolve("postgresql.auto.conf"),
        "restore_command = '"
            + restoreCommand(aws, location)
            + "'\nrecovery_target_lsn = '"
            + target
            + "'\nrecovery_target_action = 'promote'\n",
        StandardOpenOption.APPEND);
    PostgresServer.handOver(restored);
    try (PostgresServer recovered =
        PostgresServer.startFromDataDir(restored, PostgresServer.Options.of(major))) {
      Waits.await(
          RECOVERY_TIMEOUT,
          () -> !recovered.isInRecovery(),
          () -> "promotion after recovery to " + target + ": " + recovered.logTail(30));
      assertThat(
              recovered.queryString(
                  "SELECT string_agg(batch || ':' || c, ',' ORDER BY batch) FROM"
                      + " (SELECT batch, count(*) AS c FROM batches GROUP BY batch) b"))
          .as("the batches committed before %s, and none after", target)
          .isEqualTo("1:100,2:100");
      assertThat(recovered.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())"))
          .as("promoted: a new timeline")
          .startsWith("00000002");
      String log = Files.readString(recovered.logFile());
      assertThat(log)
          .contains("recovery stopping after WAL location (LSN) \"" + target + "\"")
          .contains("restored log file \"00000001")
          .doesNotContain("SLF4J");

      // A real history file, served as it is.
      byte[] history = Files.readAllBytes(restored.resolve("pg_wal/00000002.history"));
      try (ObjectStore store = Stores.open(StoreLocation.parse(location), aws)) {
        store.put(ArchiveLayout.STORE.walKey("00000002.history"), history);
      }
      Path historyCopy = tmp.resolve("history");
      assertOk(restoreWal(aws, location, "00000002.history", historyCopy));
      assertThat(historyCopy).hasBinaryContent(history);
    }

    // Fail closed: the same backup with a store that cannot be reached stops the server (exit
    // 126 is fatal for restore_command) instead of ending recovery early and promoting.
    Path stuck = tmp.resolve("stuck");
    assertOk(CliRun.of(aws, "restore-backup", "--archive", location, "-D", stuck.toString()));
    Files.writeString(stuck.resolve("recovery.signal"), "");
    Map<String, String> down = new HashMap<>(aws);
    down.put("AWS_ENDPOINT_URL", "http://127.0.0.1:" + closedPort());
    Files.writeString(
        stuck.resolve("postgresql.auto.conf"),
        "restore_command = '" + restoreCommand(down, location) + "'\n",
        StandardOpenOption.APPEND);
    PostgresServer.handOver(stuck);
    assertThatThrownBy(
            () -> PostgresServer.startFromDataDir(stuck, PostgresServer.Options.of(major)).close())
        .hasMessageContaining("FATAL:  could not restore file")
        // PostgreSQL's wording of exit status 126 (wait_result_to_str).
        .hasMessageContaining("from archive: command not executable");
    assertThat(stuck.resolve("pg_wal/00000002.history")).doesNotExist();

    // The .lz4.partial receivewal left, from its own (flat) directory: the server's bytes, padded.
    Path served = tmp.resolve("served");
    assertOk(restoreWal(Map.of(), walDir.toString(), partialSegment, served));
    byte[] servedBytes = Files.readAllBytes(served);
    assertThat(servedBytes).hasSize(SEGMENT);
    assertThat(Arrays.copyOf(servedBytes, serverPartialHead.length)).isEqualTo(serverPartialHead);
    assertThat(Arrays.copyOfRange(servedBytes, SEGMENT - 1024, SEGMENT)).containsOnly((byte) 0);
  }

  /**
   * A self-contained backup ({@code -X stream}, client lz4: {@code base.tar.lz4}, {@code
   * <oid>.tar.lz4}, and {@code pg_wal.tar}, which pg_basebackup compresses only with gzip) with a
   * tablespace: refused while the tablespace's recorded place is occupied (and the data directory
   * removed again, the tablespace untouched), then restored with {@code -T} elsewhere and started
   * as it is. On 13, 15 and 18 (the point-in-time recovery above runs on every version).
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SPREAD)
  void restoresACompressedBackupWithItsWalAndARelocatedTablespace(int major) throws Exception {
    S3Server s3 = S3Server.shared();
    String location = "s3://" + s3.newBucket() + "/tablespace";
    Map<String, String> aws = s3.environment();
    Path tsDir = BackupTestSupport.serverOwnedDir(tmp.resolve("ts").resolve("tblspc"));
    String oid;
    try (PostgresServer server = PostgresServer.start(PostgresServer.Options.of(major))) {
      server.execute("CREATE TABLESPACE restore_ts LOCATION '" + tsDir + "'");
      server.execute(
          "CREATE TABLE ts_table (id integer) TABLESPACE restore_ts;"
              + "INSERT INTO ts_table SELECT generate_series(1, 1234)");
      oid = server.queryString("SELECT oid::text FROM pg_tablespace WHERE spcname = 'restore_ts'");
      String id = backupToStore(withAws(ClientArgs.socketEnv(server), aws), location, "-Z", "lz4");
      server.execute("INSERT INTO ts_table VALUES (-1)");
      String prefix = ArchiveLayout.STORE.backupPrefix(id);
      try (ObjectStore store = Stores.open(StoreLocation.parse(location), aws)) {
        assertThat(store.list(prefix))
            .extracting(o -> o.key().substring(prefix.length()))
            .containsExactlyInAnyOrder(
                "backup_manifest", "base.tar.lz4", oid + ".tar.lz4", "pg_wal.tar");
      }
    }
    Path restored = tmp.resolve("restored");

    CliRun occupied =
        CliRun.of(aws, "restore-backup", "--archive", location, "-D", restored.toString());
    occupied.assertErrorOnly(
        "jwalreceiver: error: directory \"" + tsDir + "\" exists but is not empty");
    assertThat(restored).doesNotExist();
    try (Stream<Path> files = Files.list(tsDir)) {
      assertThat(files).singleElement().asString().contains("PG_" + major + "_");
    }

    Path mapped = tmp.resolve("mapped").resolve("tblspc");
    CliRun r =
        CliRun.of(
            aws,
            "restore-backup",
            "--archive",
            location,
            "--backup",
            "latest",
            "-D",
            restored.toString(),
            "-T",
            tsDir + "=" + mapped);
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).endsWith("verified against its manifest" + System.lineSeparator());
    assertThat(Files.readSymbolicLink(restored.resolve("pg_tblspc").resolve(oid)))
        .isEqualTo(mapped);
    try (Stream<Path> files = Files.list(restored.resolve("pg_wal"))) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.length() == 24);
    }
    PostgresServer.handOver(restored);
    PostgresServer.handOver(mapped);
    try (PostgresServer started =
        PostgresServer.startFromDataDir(restored, PostgresServer.Options.of(major))) {
      Waits.await(RECOVERY_TIMEOUT, () -> !started.isInRecovery(), () -> "start of " + restored);
      assertThat(started.queryString("SELECT count(*) || ':' || min(id) FROM ts_table"))
          .isEqualTo("1234:1");
    }
  }

  /** Exit 1 and one line for a file the archive does not have; nothing written. */
  @Test
  void aMissingFileExitsOneQuietly() throws IOException {
    S3Server s3 = S3Server.shared();
    String location = "s3://" + s3.newBucket() + "/empty";
    Path dest = tmp.resolve("RECOVERYXLOG");
    CliRun r = restoreWal(s3.environment(), location, "000000010000000000000003", dest);
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "jwalreceiver: \"000000010000000000000003\" is not in the archive "
                + location
                + System.lineSeparator());
    assertThat(r.out()).isEmpty();
    assertThat(dest).doesNotExist();
  }

  /**
   * What must stop a recovering server rather than end its recovery: a corrupt object, a missing
   * bucket, an unreachable store, a name that is a path. Exit 126 (PostgreSQL: fatal), nothing
   * written.
   */
  @Test
  void failuresOtherThanMissingAreFatalForRecovery() throws Exception {
    S3Server s3 = S3Server.shared();
    String location = "s3://" + s3.newBucket() + "/corrupt";
    String name = "000000010000000000000003";
    try (ObjectStore store = Stores.open(StoreLocation.parse(location), s3.environment())) {
      // A gzip stream cut short: what a torn upload by another tool would leave.
      java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
      try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
        out.write(new byte[SEGMENT]);
      }
      byte[] cut = Arrays.copyOf(gz.toByteArray(), gz.size() / 2);
      store.put(ArchiveLayout.STORE.walKey(name + ".gz"), cut);
    }
    Path dest = tmp.resolve("RECOVERYXLOG");

    CliRun corrupt = restoreWal(s3.environment(), location, name, dest);
    assertFatal(
        corrupt,
        "jwalreceiver: error: archived file \"" + location + "/wal/" + name + ".gz\" is corrupt: ");

    CliRun noBucket = restoreWal(s3.environment(), "s3://no-such-bucket-restore-it/x", name, dest);
    assertFatal(noBucket, "jwalreceiver: error: could not restore \"" + name + "\" from ");

    Map<String, String> unreachable = new HashMap<>(s3.environment());
    unreachable.put("AWS_ENDPOINT_URL", "http://127.0.0.1:" + closedPort());
    CliRun down = restoreWal(unreachable, location, name, dest);
    assertFatal(
        down,
        "jwalreceiver: error: could not restore \""
            + name
            + "\" from "
            + location
            + " (tried 3 times): ");

    CliRun path = restoreWal(s3.environment(), location, "../" + name, dest);
    assertFatal(path, "jwalreceiver: error: invalid WAL file name \"../" + name + "\"");

    CliRun noArchive = CliRun.of(Map.of(), "restore-wal", name, dest.toString());
    assertFatal(noArchive, "jwalreceiver: error: usage: restore-wal WALFILE DESTPATH --archive");

    assertThat(dest).doesNotExist();
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files).isEmpty();
    }
  }

  private static void assertFatal(CliRun r, String errorStart) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(RestoreWalCommand.FATAL);
    assertThat(r.firstErrorLine()).startsWith(errorStart);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).doesNotContain("Exception:");
  }

  // ------------------------------------------------------------------------------ staging

  // ------------------------------------------------------------------------------ helpers

  /**
   * {@code restore_command}: the shaded jar, copied where the server's user can read it, run by
   * this JVM's java with the store's AWS environment inline.
   */
  private String restoreCommand(Map<String, String> aws, String location) throws IOException {
    Path jarDir = Files.createDirectories(tmp.resolve("jar"));
    Path jar = jarDir.resolve("jwalreceiver.jar");
    if (!Files.exists(jar)) {
      Files.copy(JAR, jar);
      PostgresServer.handOver(jarDir);
    }
    StringBuilder command = new StringBuilder();
    aws.forEach((k, v) -> command.append(k).append('=').append(v).append(' '));
    command
        .append(Path.of(System.getProperty("java.home"), "bin", "java"))
        .append(" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar ")
        .append(jar.toAbsolutePath())
        .append(" restore-wal %f %p --archive ")
        .append(location);
    return command.toString();
  }

  /** A loopback port nothing listens on (just closed). */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void insertBatch(PostgresServer server, int batch) {
    server.execute("INSERT INTO batches SELECT " + batch + ", n FROM generate_series(1, 100) AS n");
  }

  private static String nextEndPosition(PostgresServer server) {
    server.switchWal();
    String end = server.queryString("SELECT pg_current_wal_insert_lsn()");
    server.execute("INSERT INTO batches VALUES (0, 0)");
    server.execute("DELETE FROM batches");
    return end;
  }

  /**
   * {@code basebackup -t LOCATION} (tar format into the store, {@code -c fast}); returns the
   * backup's id, the last element of the location it prints.
   */
  private static String backupToStore(Map<String, String> env, String location, String... more) {
    String[] args =
        Stream.concat(Stream.of("basebackup", "-t", location, "-c", "fast"), Arrays.stream(more))
            .toArray(String[]::new);
    CliRun r =
        assertTimeoutPreemptively(
            RUN_TIMEOUT,
            () -> CliRun.of(env, args),
            () -> "did not end: " + String.join(" ", args));
    assertOk(r);
    String printed = r.out().strip();
    assertThat(printed).startsWith(location + "/basebackups/");
    String id = printed.substring(printed.lastIndexOf('/') + 1);
    assertThat(ArchiveLayout.isBackupId(id)).as(printed).isTrue();
    return id;
  }

  private static Map<String, String> withAws(Map<String, String> env, Map<String, String> aws) {
    Map<String, String> merged = new HashMap<>(env);
    merged.putAll(aws);
    return merged;
  }

  private static CliRun receivewal(
      Map<String, String> env, Path dir, String endpos, String... more) {
    String[] args =
        Stream.concat(
                Stream.of(
                    "receivewal",
                    "-D",
                    dir.toString(),
                    "-S",
                    SLOT,
                    "--endpos",
                    endpos,
                    "--no-loop"),
                Arrays.stream(more))
            .toArray(String[]::new);
    return assertTimeoutPreemptively(
        RUN_TIMEOUT, () -> CliRun.of(env, args), () -> "did not end: " + String.join(" ", args));
  }

  private static CliRun restoreWal(
      Map<String, String> env, String location, String name, Path dest) {
    return CliRun.of(env, "restore-wal", name, dest.toString(), "--archive", location);
  }

  private static void assertOk(CliRun r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("error:").doesNotContain("Exception");
  }
}
