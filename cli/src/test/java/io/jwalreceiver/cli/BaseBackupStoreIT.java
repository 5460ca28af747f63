// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertFails;
import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.hasWalSegment;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static io.jwalreceiver.cli.BackupTestSupport.read;
import static io.jwalreceiver.cli.BackupTestSupport.s;
import static io.jwalreceiver.cli.BackupTestSupport.untar;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code basebackup -t s3://bucket/prefix} against a real S3 server ({@link S3Server}): the
 * archives and the manifest land under {@code basebackups/<id>/}, the same files a {@code -F t}
 * backup to disk has; downloaded and extracted they pass pg_verifybackup 15; a backup that fails
 * part-way leaves nothing of its id in the store.
 */
@Tag("postgres")
class BaseBackupStoreIT {

  private static final Path JAR = Path.of("target", "jwalreceiver.jar");

  @TempDir Path tmp;

  /** S3Proxy answers its first requests slowly: not inside a timed backup. */
  @BeforeAll
  static void warmUp() throws IOException {
    backupKeys(S3Server.shared().newBucket());
  }

  /** The server's replication environment and the S3 server's AWS_* variables. */
  private static Map<String, String> env(PostgresServer server) {
    Map<String, String> env = new HashMap<>(BackupTestSupport.env(server));
    env.putAll(S3Server.shared().environment());
    return env;
  }

  private static ObjectStore store(String bucket) {
    return Stores.open(
        StoreLocation.parse("s3://" + bucket + "/pfx"), S3Server.shared().environment());
  }

  /** The keys under {@code basebackups/}, relative to it. */
  private static List<String> backupKeys(String bucket) throws IOException {
    try (ObjectStore store = store(bucket)) {
      return store.list("basebackups/").stream()
          .map(StoredObject::key)
          .map(k -> k.substring("basebackups/".length()))
          .toList();
    }
  }

  /** Downloads the objects of one backup into {@code dir}, by file name. */
  private static void download(String bucket, String id, Path dir) throws IOException {
    Files.createDirectories(dir);
    try (ObjectStore store = store(bucket)) {
      for (StoredObject o : store.list(ArchiveLayout.STORE.backupPrefix(id))) {
        String name = o.key().substring(o.key().lastIndexOf('/') + 1);
        try (InputStream in = store.open(o.key())) {
          Files.copy(in, dir.resolve(name));
        }
      }
    }
  }

  /** The backup id from the location printed on standard output. */
  private static String backupId(CliRun r, String bucket) {
    String out = r.out().strip();
    assertThat(out).startsWith("s3://" + bucket + "/pfx/basebackups/");
    String id = out.substring(out.lastIndexOf('/') + 1);
    assertThat(ArchiveLayout.isBackupId(id)).as(out).isTrue();
    return id;
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void streamedBackupInStorePassesPgVerifybackup(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    String bucket = S3Server.shared().newBucket();
    CliRun r = bb(env(server), "-t", "s3://" + bucket + "/pfx", "-X", "stream");
    assertOk(r);
    String id = backupId(r, bucket);
    assertThat(backupKeys(bucket))
        .containsExactly(id + "/backup_manifest", id + "/base.tar", id + "/pg_wal.tar");

    // The same files as a -F t backup to disk.
    Path disk = tmp.resolve("disk");
    assertOk(bb(env(server), "-D", disk.toString(), "-F", "t", "-X", "stream"));
    Path objects = tmp.resolve("objects");
    download(bucket, id, objects);
    assertThat(names(objects)).isEqualTo(names(disk));

    Path extracted = extract(objects, "");
    assertThat(hasWalSegment(extracted.resolve("pg_wal"))).isTrue();
    assertThat(read(extracted.resolve("PG_VERSION")).strip()).isEqualTo(Integer.toString(major));
    BaseBackupIT.verifyBackup(major, extracted);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void gzipWithStreamedWalPassesPgVerifybackup(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    String bucket = S3Server.shared().newBucket();
    CliRun r = bb(env(server), "-t", "s3://" + bucket + "/pfx", "-Z", "gzip:1");
    assertOk(r);
    String id = backupId(r, bucket);
    // pg_wal.tar is compressed with gzip (only), as -F t does it.
    assertThat(backupKeys(bucket))
        .containsExactly(id + "/backup_manifest", id + "/base.tar.gz", id + "/pg_wal.tar.gz");
    Path objects = tmp.resolve("objects");
    download(bucket, id, objects);
    assertThat(gzipMagic(objects.resolve("base.tar.gz"))).isTrue();
    Path extracted = extract(objects, ".gz");
    BaseBackupIT.verifyBackup(major, extracted);
  }

  @Test
  void lz4WithRecoveryConfAndFetchedWal() throws IOException {
    int major = PgVersions.selected().contains(15) ? 15 : PgVersions.selected().get(0);
    PostgresServer server = PostgresServer.shared(major);
    String bucket = S3Server.shared().newBucket();
    CliRun r = bb(env(server), "-t", "s3://" + bucket + "/pfx", "-Z", "lz4", "-X", "fetch", "-R");
    assertOk(r);
    String id = backupId(r, bucket);
    assertThat(backupKeys(bucket)).containsExactly(id + "/backup_manifest", id + "/base.tar.lz4");
    Path objects = tmp.resolve("objects");
    download(bucket, id, objects);
    Tools.Result d =
        Tools.run(List.of("lz4", "-d", "-q", s(objects, "base.tar.lz4"), s(objects, "base.tar")));
    assertThat(d.exitCode()).as(d.all()).isZero();
    Path extracted = tmp.resolve("extracted");
    Files.createDirectories(extracted);
    untar(objects.resolve("base.tar"), extracted);
    assertThat(extracted.resolve("standby.signal")).exists();
    assertThat(read(extracted.resolve("postgresql.auto.conf"))).contains("primary_conninfo");
    // -X fetch: the WAL is in base.tar.
    assertThat(hasWalSegment(extracted.resolve("pg_wal"))).isTrue();
  }

  /**
   * A server of this class's own with more data than the 64 MB heap of {@link
   * #largerThanTheHeapInA64MbJvm} and a tablespace: its archive, sent before base.tar, is committed
   * long before base.tar ends at 32 kB/s, so a stop there has committed objects to delete.
   */
  private static synchronized PostgresServer fixture() {
    if (fixture == null) {
      int major = PgVersions.selected().contains(15) ? 15 : PgVersions.selected().get(0);
      PostgresServer server = PostgresServer.start(major);
      Path tsDir = BackupTestSupport.serverOwnedDir(classTmp.resolve("ts").resolve("tblspc1"));
      server.execute("CREATE TABLESPACE ts1 LOCATION '" + tsDir + "'");
      server.execute(
          "CREATE TABLE ts_table TABLESPACE ts1 AS SELECT g FROM generate_series(1, 1000) g");
      // About 100 MB that does not compress away: md5 text.
      server.execute(
          "CREATE TABLE big AS SELECT g, md5(g::text) || md5((g + 1)::text) AS t"
              + " FROM generate_series(1, 1000000) g");
      fixture = server;
    }
    return fixture;
  }

  private static @Nullable PostgresServer fixture;

  @TempDir static Path classTmp;

  @AfterAll
  static void stopFixture() {
    if (fixture != null) {
      fixture.close();
      fixture = null;
    }
  }

  /** Waits until the store has one committed object of the backup (the tablespace's archive). */
  private static void awaitFirstObject(String bucket, BooleanSupplier running) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (backupKeys(bucket).isEmpty() && System.nanoTime() < deadline && running.getAsBoolean()) {
      Thread.sleep(100);
    }
    assertThat(backupKeys(bucket)).singleElement().asString().endsWith(".tar");
    assertThat(running.getAsBoolean()).as("still copying base.tar").isTrue();
  }

  /**
   * The walsender ends while base.tar is streamed, after the tablespace's archive was committed:
   * the command fails and nothing of the backup stays in the store.
   */
  @Test
  void failureMidBackupLeavesNothing() throws Exception {
    PostgresServer server = fixture();
    String bucket = S3Server.shared().newBucket();
    Map<String, String> env = env(server);
    env.put("PGAPPNAME", "bbstore-failure");
    // 32 kB/s: the tablespace (sent first) is stored within seconds, base.tar takes minutes.
    CompletableFuture<CliRun> run =
        CompletableFuture.supplyAsync(
            () -> bb(env, "-t", "s3://" + bucket + "/pfx", "-X", "fetch", "-r", "32k"));
    awaitFirstObject(bucket, () -> !run.isDone());
    server.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE application_name = 'bbstore-failure'");
    CliRun r = run.get(60, TimeUnit.SECONDS);
    assertThat(r.exitCode()).as(r.err()).isNotZero();
    assertThat(r.err()).contains("terminating connection");
    assertThat(r.out()).isEmpty();
    assertThat(backupKeys(bucket)).isEmpty();
  }

  /**
   * The store goes away while base.tar is streamed (after the tablespace's archive was committed),
   * then the walsender ends: the clean-up cannot delete that object and the command says so; no
   * manifest was written, so what stays is not a backup. (At 32 kB/s the next part upload, which
   * would notice the store's absence by itself, is minutes away: a part is 16 MiB.)
   */
  @Test
  void storeGoneAtTheFailureNamesWhatItLeft() throws Exception {
    String bucket = S3Server.shared().newBucket();
    PostgresServer server = fixture();
    Map<String, String> env = env(server);
    env.put("PGAPPNAME", "bbstore-store-gone");
    CompletableFuture<CliRun> run =
        CompletableFuture.supplyAsync(
            () -> bb(env, "-t", "s3://" + bucket + "/pfx", "-X", "fetch", "-r", "32k"));
    awaitFirstObject(bucket, () -> !run.isDone());
    String left = backupKeys(bucket).get(0);
    CliRun r;
    S3Server.shared().stop();
    try {
      server.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE application_name = 'bbstore-store-gone'");
      r = run.get(120, TimeUnit.SECONDS);
    } finally {
      S3Server.shared().restart();
    }
    assertThat(r.exitCode()).as(r.err()).isNotZero();
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("could not delete the objects this backup stored; remove them: ")
        .contains("s3://" + bucket + "/pfx/basebackups/" + left);
    assertThat(backupKeys(bucket)).containsExactly(left);
  }

  /** {@code java -jar jwalreceiver.jar basebackup …} with the test environment. */
  private ProcessBuilder jar(Map<String, String> env, List<String> jvm, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvm);
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of("basebackup", "--no-sync", "-c", "fast"));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(tmp, "jar", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return pb;
  }

  /**
   * SIGTERM while base.tar is streamed (the tablespace's archive committed): the JVM's shutdown
   * hook aborts the upload and deletes what was committed; the staged WAL's directory is gone too.
   */
  @Test
  void stopSignalMidBackupLeavesNothing() throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    String bucket = S3Server.shared().newBucket();
    Path spool = Files.createDirectories(tmp.resolve("spool"));
    Process p =
        jar(
                env(fixture()),
                List.of("-Djava.io.tmpdir=" + spool),
                "-t",
                "s3://" + bucket + "/pfx",
                "-X",
                "stream",
                "-r",
                "32k")
            .start();
    try {
      awaitFirstObject(bucket, p::isAlive);
      assertThat(names(spool)).singleElement().asString().startsWith("jwalreceiver-wal-");
      new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isNotZero();
      assertThat(backupKeys(bucket)).isEmpty();
      assertThat(names(spool)).isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * A backup several times the heap of a {@code -Xmx64m} JVM: the archives are streamed into their
   * objects part by part, never held whole.
   */
  @Test
  void largerThanTheHeapInA64MbJvm() throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    String bucket = S3Server.shared().newBucket();
    Process p =
        jar(
                env(fixture()),
                List.of("-Xmx64m", "-XX:+UseSerialGC"),
                "-t",
                "s3://" + bucket + "/pfx",
                "-X",
                "stream")
            .start();
    try {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the run ends").isTrue();
      assertThat(p.exitValue()).isZero();
    } finally {
      p.destroyForcibly();
    }
    try (ObjectStore store = store(bucket)) {
      List<StoredObject> objects = store.list("basebackups/");
      List<String> names =
          objects.stream().map(o -> o.key().substring(o.key().lastIndexOf('/') + 1)).toList();
      assertThat(names).hasSize(4).contains("base.tar", "pg_wal.tar", "backup_manifest");
      assertThat(names).filteredOn(n -> n.matches("\\d+\\.tar")).hasSize(1);
      long base =
          objects.stream()
              .filter(o -> o.key().endsWith("/base.tar"))
              .findFirst()
              .orElseThrow()
              .size();
      assertThat(base).as("base.tar is larger than the heap").isGreaterThan(64L << 20);
    }
  }

  @Test
  void refusals() {
    Map<String, String> env = S3Server.shared().environment();
    String target = "s3://bucket/pfx";
    assertUsage(
        bb(env, "-t", target, "-D", s(tmp, "d")),
        "cannot specify both output directory and an s3:// backup target");
    assertUsage(bb(env, "-t", target, "-F", "p"), "-F plain cannot be used with it");
    assertUsage(bb(env, "-t", target, "--no-manifest"), "the manifest marks the backup complete");
    assertUsage(bb(env, "-t", "s3://bucket/pfx?color=red"), "unknown option \"color\"");
    // pg_basebackup's own words for its server-side targets stay.
    assertFails(
        bb(env, "--target", "blackhole", "-X", "none", "--format", "tar"),
        "cannot specify both format and backup target");
  }

  private static void assertUsage(CliRun r, String message) {
    assertFails(r, message);
    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
  }

  /** base.tar (and pg_wal.tar, when stored) extracted as a restore would, with the manifest. */
  private Path extract(Path objects, String suffix) throws IOException {
    Path extracted = tmp.resolve("extracted");
    Files.createDirectories(extracted.resolve("pg_wal"));
    untar(objects.resolve("base.tar" + suffix), extracted);
    if (Files.exists(objects.resolve("pg_wal.tar" + suffix))) {
      untar(objects.resolve("pg_wal.tar" + suffix), extracted.resolve("pg_wal"));
    }
    Files.copy(objects.resolve("backup_manifest"), extracted.resolve("backup_manifest"));
    return extracted;
  }

  private static boolean gzipMagic(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }
}
