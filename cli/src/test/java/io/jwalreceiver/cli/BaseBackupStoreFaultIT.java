// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

/**
 * {@code basebackup -t s3://…} when things go wrong, and its memory: a failure, the store gone at
 * the failure, a stop signal, each part-way through the backup after an object was committed; and a
 * backup larger than the heap of a {@code -Xmx64m} JVM.
 */
@Tag("postgres")
class BaseBackupStoreFaultIT {

  private static final Path JAR = Path.of("target", "jwalreceiver.jar");

  @TempDir Path tmp;

  /** S3Proxy answers its first requests slowly: not inside a timed backup. */
  @BeforeAll
  static void warmUp() throws IOException {
    BaseBackupStoreIT.warmUp();
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
    while (BaseBackupStoreIT.backupKeys(bucket).isEmpty()
        && System.nanoTime() < deadline
        && running.getAsBoolean()) {
      Thread.sleep(100);
    }
    assertThat(BaseBackupStoreIT.backupKeys(bucket)).singleElement().asString().endsWith(".tar");
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
    Map<String, String> env = BaseBackupStoreIT.env(server);
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
    assertThat(BaseBackupStoreIT.backupKeys(bucket)).isEmpty();
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
    Map<String, String> env = BaseBackupStoreIT.env(server);
    env.put("PGAPPNAME", "bbstore-store-gone");
    CompletableFuture<CliRun> run =
        CompletableFuture.supplyAsync(
            () -> bb(env, "-t", "s3://" + bucket + "/pfx", "-X", "fetch", "-r", "32k"));
    awaitFirstObject(bucket, () -> !run.isDone());
    String left = BaseBackupStoreIT.backupKeys(bucket).get(0);
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
    assertThat(BaseBackupStoreIT.backupKeys(bucket)).containsExactly(left);
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
                BaseBackupStoreIT.env(fixture()),
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
      assertThat(BaseBackupStoreIT.backupKeys(bucket)).isEmpty();
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
                BaseBackupStoreIT.env(fixture()),
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
    try (ObjectStore store = BaseBackupStoreIT.store(bucket)) {
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
}
