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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code basebackup -t s3://bucket/prefix} against a real S3 server ({@link S3Server}): the
 * archives and the manifest land under {@code basebackups/<id>/}, the same files a {@code -F t}
 * backup to disk has; downloaded and extracted they pass pg_verifybackup 15. Failures and memory:
 * {@link BaseBackupStoreFaultIT}.
 */
@Tag("postgres")
class BaseBackupStoreIT {

  @TempDir Path tmp;

  /** S3Proxy answers its first requests slowly: not inside a timed backup. */
  @BeforeAll
  static void warmUp() throws IOException {
    backupKeys(S3Server.shared().newBucket());
  }

  /** The server's replication environment and the S3 server's AWS_* variables. */
  static Map<String, String> env(PostgresServer server) {
    Map<String, String> env = new HashMap<>(BackupTestSupport.env(server));
    env.putAll(S3Server.shared().environment());
    return env;
  }

  static ObjectStore store(String bucket) {
    return Stores.open(
        StoreLocation.parse("s3://" + bucket + "/pfx"), S3Server.shared().environment());
  }

  /** The keys under {@code basebackups/}, relative to it. */
  static List<String> backupKeys(String bucket) throws IOException {
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
