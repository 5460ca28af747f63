// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code receivewal --target s3://…} against a real server and a real S3 API server: every
 * completed segment reaches {@code wal/} with the bytes receivewal wrote (and, uncompressed, the
 * server's own {@code pg_wal} bytes); without {@code --keep-local} only the newest completed
 * segment stays local; a second run uploads nothing twice and leaves no gap.
 */
@Tag("postgres")
class ReceiveWalUploadIT {

  private static final int SEGMENT = 1 << 20;
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);
  private static final String SLOT = "upload_it_keep";
  private static final Pattern UPLOADED = Pattern.compile("uploaded ([0-9A-F.a-z]+) to ");

  @TempDir Path tmp;

  /** The slot's start position comes from READ_REPLICATION_SLOT: 15 and later. */
  static List<Integer> highestVersion() {
    return List.of(PgVersions.highest());
  }

  // ---- the command line (no server needed) -------------------------------------------------

  @Test
  void refusesABadLocationAndKeepLocalAlone() throws IOException {
    String dir = Files.createDirectory(tmp.resolve("wal")).toString();
    CliRun r = CliRun.of(Map.of(), "receivewal", "-D", dir, "--target", "ftp://host/x");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.firstErrorLine())
        .isEqualTo(
            "jwalreceiver: error: unsupported archive location \"ftp://host/x\": use"
                + " s3://bucket/prefix or a directory");
    r = CliRun.of(Map.of(), "receivewal", "-D", dir, "--keep-local");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.firstErrorLine()).isEqualTo("jwalreceiver: error: --keep-local needs --target");
    r = CliRun.of(Map.of(), "receivewal", "-D", dir, "--target", dir);
    assertThat(r.firstErrorLine())
        .isEqualTo("jwalreceiver: error: --target must not be the -D directory");
    assertThat(CliRun.help("receivewal").out()).contains("--target=LOCATION", "--keep-local");
  }

  // ---- against a server ----------------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("highestVersion")
  void uploadsCompletedSegmentsInOrderAndResumesWithoutGapsOrRepeats(int major) throws Exception {
    S3Server s3 = S3Server.shared();
    try (PostgresServer server = startServer(major);
        ObjectStore store = store(s3, "s3://" + s3.newBucket() + "/archive/one")) {
      Path dir = Files.createDirectory(tmp.resolve("spool"));
      Path pgWal = server.dataDir().resolve("pg_wal");
      Map<String, String> env = env(server, s3);

      CliRun first =
          receive(env, dir, segmentsAhead(server, 3), "--target", store.location().text(), "-v");
      assertOk(first);
      List<String> firstUploads = uploads(first);
      assertThat(firstUploads).hasSizeGreaterThanOrEqualTo(3);
      Map<String, StoredObject> objects = objects(store);
      assertThat(objects.keySet()).containsExactlyElementsOf(firstUploads);
      // Only the newest completed segment (the resume point) and the live .partial stay.
      List<String> completed = completedNames(dir);
      assertThat(completed).containsExactly(firstUploads.get(firstUploads.size() - 1));
      assertThat(localNames(dir)).anyMatch(n -> n.endsWith(".partial"));

      CliRun second =
          receive(env, dir, segmentsAhead(server, 3), "--target", store.location().text(), "-v");
      assertOk(second);
      List<String> secondUploads = uploads(second);
      assertThat(secondUploads)
          .hasSizeGreaterThanOrEqualTo(3)
          .doesNotContainAnyElementsOf(firstUploads);
      objects = objects(store);
      List<String> all = new ArrayList<>(firstUploads);
      all.addAll(secondUploads);
      assertThat(objects.keySet()).containsExactlyElementsOf(all);
      assertContiguous(all);
      for (String name : all) {
        byte[] ours = read(store, name);
        assertThat(ours)
            .as(name)
            .hasSize(SEGMENT)
            .isEqualTo(Files.readAllBytes(pgWal.resolve(name)));
      }
      assertThat(completedNames(dir)).containsExactly(all.get(all.size() - 1));
      server.execute("SELECT pg_drop_replication_slot('" + SLOT + "')");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("highestVersion")
  void keepLocalLeavesTheSpoolAndTheObjectsAreItsCompressedFiles(int major) throws Exception {
    S3Server s3 = S3Server.shared();
    try (PostgresServer server = startServer(major);
        ObjectStore store = store(s3, "s3://" + s3.newBucket())) {
      Path dir = Files.createDirectory(tmp.resolve("spool"));
      Path pgWal = server.dataDir().resolve("pg_wal");

      CliRun r =
          receive(
              env(server, s3),
              dir,
              segmentsAhead(server, 3),
              "--target",
              store.location().text(),
              "--keep-local",
              "--compress",
              "zstd");
      assertOk(r);
      List<String> completed = completedNames(dir);
      assertThat(completed).hasSizeGreaterThanOrEqualTo(3).allMatch(n -> n.endsWith(".zst"));
      assertThat(objects(store).keySet()).containsExactlyElementsOf(completed);
      for (String name : completed) {
        byte[] object = read(store, name);
        assertThat(object).as(name).isEqualTo(Files.readAllBytes(dir.resolve(name)));
        try (InputStream in =
            new ZstdInputStreamNoFinalizer(new java.io.ByteArrayInputStream(object))) {
          assertThat(in.readAllBytes())
              .as(name)
              .isEqualTo(Files.readAllBytes(pgWal.resolve(name.substring(0, 24))));
        }
      }
      server.execute("SELECT pg_drop_replication_slot('" + SLOT + "')");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("highestVersion")
  void ackAfterUploadKeepsTheSlotBehindTheUploadedSegments(int major) throws Exception {
    S3Server s3 = S3Server.shared();
    try (PostgresServer server = startServer(major);
        ObjectStore store = store(s3, "s3://" + s3.newBucket() + "/ack")) {
      Path dir = Files.createDirectory(tmp.resolve("spool"));
      String end = segmentsAhead(server, 3);

      CliRun r =
          receive(
              env(server, s3),
              dir,
              end,
              "--target",
              store.location().text(),
              "--ack-after-upload",
              "-s",
              "1");
      assertOk(r);
      List<String> stored = new ArrayList<>(objects(store).keySet());
      assertThat(stored).hasSizeGreaterThanOrEqualTo(3);
      String newest = stored.get(stored.size() - 1);
      long uploadedEnd =
          (Long.parseLong(newest.substring(8, 16), 16) << 32)
              + (Long.parseLong(newest.substring(16, 24), 16) + 1) * SEGMENT;
      long slot =
          lsn(
              server.queryString(
                  "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'"));
      // Without the option the slot would be at the end position, inside the live .partial.
      assertThat(Long.compareUnsigned(lsn(end), uploadedEnd)).isPositive();
      assertThat(Long.compareUnsigned(slot, uploadedEnd))
          .as("slot at %X, newest upload ends at %X", slot, uploadedEnd)
          .isLessThanOrEqualTo(0);
      assertThat(
              CliRun.of(Map.of(), "receivewal", "-D", dir.toString(), "--ack-after-upload")
                  .firstErrorLine())
          .isEqualTo("jwalreceiver: error: --ack-after-upload needs --target");
      server.execute("SELECT pg_drop_replication_slot('" + SLOT + "')");
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static long lsn(String text) {
    int slash = text.indexOf('/');
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }

  /**
   * 1 MiB segments, a slot that reserves WAL and a table. receivewal starts at the slot's restart
   * point (15+: READ_REPLICATION_SLOT), and the slot keeps every segment in pg_wal, so the server's
   * files are the oracle.
   */
  private static PostgresServer startServer(int major) {
    PostgresServer server =
        PostgresServer.start(PostgresServer.Options.of(major).withInitdbArgs("--wal-segsize=1"));
    try {
      server.execute("SELECT pg_create_physical_replication_slot('" + SLOT + "', true)");
      server.execute("CREATE TABLE t (x integer)");
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private static ObjectStore store(S3Server s3, String location) {
    return Stores.open(StoreLocation.parse(location), s3.environment());
  }

  private static Map<String, String> env(PostgresServer server, S3Server s3) {
    Map<String, String> env = new HashMap<>(ClientArgs.socketEnv(server));
    env.putAll(s3.environment());
    return env;
  }

  /** Writes and switches {@code n} times; the end position is in the segment after the last. */
  private static String segmentsAhead(PostgresServer server, int n) {
    for (int i = 0; i < n; i++) {
      server.execute("INSERT INTO t SELECT generate_series(1, 100)");
      server.switchWal();
    }
    String end = server.queryString("SELECT pg_current_wal_insert_lsn()");
    server.execute("INSERT INTO t VALUES (1)");
    return end;
  }

  private static CliRun receive(Map<String, String> env, Path dir, String endpos, String... more) {
    String[] args =
        Stream.concat(
                Stream.of(
                    "receivewal",
                    "-D",
                    dir.toString(),
                    "--slot",
                    SLOT,
                    "--endpos",
                    endpos,
                    "--no-loop"),
                Arrays.stream(more))
            .toArray(String[]::new);
    return assertTimeoutPreemptively(
        RUN_TIMEOUT, () -> CliRun.of(env, args), () -> "did not end: " + String.join(" ", args));
  }

  private static void assertOk(CliRun r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err())
        .doesNotContain("error:")
        .doesNotContain("warning:")
        .doesNotContain("Exception");
  }

  /** The files a verbose run reported uploaded, in order. */
  private static List<String> uploads(CliRun r) {
    List<String> names = new ArrayList<>();
    Matcher m = UPLOADED.matcher(r.err());
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** The WAL objects by file name, in key order. */
  private static Map<String, StoredObject> objects(ObjectStore store) throws IOException {
    Map<String, StoredObject> objects = new java.util.LinkedHashMap<>();
    for (StoredObject o : store.list("wal/")) {
      objects.put(o.key().substring("wal/".length()), o);
    }
    return objects;
  }

  private static byte[] read(ObjectStore store, String name) throws IOException {
    try (InputStream in = store.open("wal/" + name)) {
      return in.readAllBytes();
    }
  }

  private static List<String> localNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Completed segment files: 24 hex digits, then at most a compression extension. */
  private static List<String> completedNames(Path dir) throws IOException {
    return localNames(dir).stream()
        .filter(n -> n.matches("[0-9A-F]{24}(\\.gz|\\.lz4|\\.zst)?"))
        .toList();
  }

  /** One timeline, 1 MiB segments: each name's number is the previous one's plus one. */
  private static void assertContiguous(List<String> names) {
    for (int i = 1; i < names.size(); i++) {
      long previous = Long.parseLong(names.get(i - 1).substring(8, 24), 16);
      long current = Long.parseLong(names.get(i).substring(8, 24), 16);
      long expected =
          (previous & 0xFFF) == 0xFFF ? (previous & ~0xFFFL) + 0x1_0000_0000L : previous + 1;
      assertThat(current).as("segment after %s", names.get(i - 1)).isEqualTo(expected);
    }
  }
}
