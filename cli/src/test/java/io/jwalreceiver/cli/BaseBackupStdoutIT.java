// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.env;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarListener;
import io.jwalreceiver.basebackup.tar.TarReader;
import io.jwalreceiver.cli.BackupTestSupport.BinaryRun;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver basebackup -F t -D -} on 13–18: the tar on standard output with {@code
 * backup_manifest} (and with {@code -R} the recovery files) inside it as pg_basebackup writes it,
 * nothing else on standard output, and pg_basebackup's refusals (streamed WAL, several tablespaces,
 * a server-compressed archive that would need the manifest injected).
 */
@Tag("postgres")
class BaseBackupStdoutIT {

  /** Our own servers: the last test adds a tablespace for a while. */
  @RegisterExtension
  static final BackupTestSupport.OwnServers SERVERS = new BackupTestSupport.OwnServers();

  @TempDir Path tmp;

  static PostgresServer server(int major) {
    return SERVERS.get(major);
  }

  /** {@code jwalreceiver basebackup --no-sync -c fast -F t -D - <args>}, standard output kept. */
  private static BinaryRun toStdout(Map<String, String> env, String... args) {
    List<String> all =
        new ArrayList<>(List.of("basebackup", "--no-sync", "-c", "fast", "-F", "t", "-D", "-"));
    all.addAll(List.of(args));
    return BackupTestSupport.runBinary(env, all.toArray(String[]::new));
  }

  /** The members of a tar, in order, with their contents; fails unless the archive is complete. */
  private static Map<String, byte[]> members(byte[] tar) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    boolean[] ended = {false};
    TarReader reader =
        new TarReader(
            new TarListener() {
              private ByteArrayOutputStream content;

              @Override
              public void entryStart(TarHeader h) {
                content = new ByteArrayOutputStream();
              }

              @Override
              public void entryData(ByteBuffer data) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                content.writeBytes(b);
              }

              @Override
              public void entryEnd(TarHeader h) {
                m.put(h.name(), content.toByteArray());
              }

              @Override
              public void end() {
                ended[0] = true;
              }
            });
    reader.feed(ByteBuffer.wrap(tar));
    assertThat(ended[0]).as("the archive ends with its two zero blocks").isTrue();
    return m;
  }

  private static void assertOk(BinaryRun r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("error:").doesNotContain("Exception");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void tarOnStandardOutputWithManifestInside(int major) throws IOException {
    PostgresServer server = server(major);
    Map<String, String> env = env(server);

    // -X fetch: everything a restore needs in one stream.
    BinaryRun fetch = toStdout(env, "-X", "fetch", "-v", "-P");
    assertOk(fetch);
    assertThat(fetch.err()).contains("base backup completed");
    Map<String, byte[]> m = members(fetch.out());
    List<String> names = new ArrayList<>(m.keySet());
    assertThat(names)
        .contains("PG_VERSION", "global/pg_control", "backup_label")
        .anyMatch(n -> n.matches("pg_wal/[0-9A-F]{24}"));
    // pg_basebackup adds the manifest as the archive's last member.
    assertThat(names.get(names.size() - 1)).isEqualTo("backup_manifest");
    assertThat(new String(m.get("backup_manifest"), StandardCharsets.UTF_8))
        .startsWith("{ \"PostgreSQL-Backup-Manifest-Version\": ");
    assertThat(names).doesNotContain("standby.signal");
    // The stream is a backup: extracted, our verifybackup accepts it (WAL included).
    Path extracted = Files.createDirectories(tmp.resolve("extracted"));
    Path tarFile = tmp.resolve("stdout.tar");
    Files.write(tarFile, fetch.out());
    Tools.Result untar =
        Tools.run(List.of("tar", "-xf", tarFile.toString(), "-C", extracted.toString()));
    assertThat(untar.exitCode()).as(untar.all()).isZero();
    CliRun verify = CliRun.of(Map.of(), "verifybackup", extracted.toString());
    assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();

    // -R: the settings in postgresql.auto.conf, and standby.signal after the manifest (the
    // order of pg_basebackup 15's stream).
    BinaryRun standby = toStdout(env, "-X", "none", "-R");
    assertOk(standby);
    Map<String, byte[]> s = members(standby.out());
    assertThat(s).containsKeys("standby.signal", "postgresql.auto.conf", "backup_manifest");
    assertThat(new String(s.get("postgresql.auto.conf"), StandardCharsets.UTF_8))
        .containsPattern("(?m)^primary_conninfo = '.*port=" + server.port() + ".*'$");
    List<String> sNames = new ArrayList<>(s.keySet());
    assertThat(sNames.subList(sNames.size() - 2, sNames.size()))
        .containsExactly("backup_manifest", "standby.signal");
    // Without a manifest the -R files still end the archive.
    BinaryRun noManifest = toStdout(env, "-X", "none", "-R", "--no-manifest");
    assertOk(noManifest);
    List<String> nNames = new ArrayList<>(members(noManifest.out()).keySet());
    assertThat(nNames).doesNotContain("backup_manifest");
    assertThat(nNames.get(nNames.size() - 1)).isEqualTo("standby.signal");

    // Client-side gzip compresses the whole stream.
    BinaryRun gzip = toStdout(env, "-X", "none", "-z");
    assertOk(gzip);
    byte[] plain;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip.out()))) {
      plain = in.readAllBytes();
    }
    assertThat(members(plain)).containsKeys("PG_VERSION", "backup_manifest");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusalsAsPgBasebackup(int major) {
    PostgresServer server = server(major);
    Map<String, String> env = env(server);
    BinaryRun stream = toStdout(env);
    assertThat(stream.exitCode()).isEqualTo(1);
    assertThat(stream.err())
        .startsWith("jwalreceiver: error: cannot stream write-ahead logs in tar mode to stdout\n");
    assertThat(stream.out()).isEmpty();

    if (major >= 15) {
      BinaryRun compressed = toStdout(env, "-X", "none", "-Z", "server-gzip");
      assertThat(compressed.exitCode()).isEqualTo(1);
      assertThat(compressed.err())
          .startsWith("jwalreceiver: error: cannot inject manifest into a compressed tar file\n")
          .contains(
              "hint: Use client-side compression, send the output to a directory rather "
                  + "than standard output, or use --no-manifest.");
      assertThat(compressed.out()).isEmpty();
      // Without a manifest the server's gzip stream is passed through.
      BinaryRun raw = toStdout(env, "-X", "none", "-Z", "server-gzip", "--no-manifest");
      assertOk(raw);
      assertThat(raw.out()[0] & 0xff).isEqualTo(0x1f);
      assertThat(raw.out()[1] & 0xff).isEqualTo(0x8b);
    }

    Path ts = BackupTestSupport.serverOwnedDir(tmp.resolve("ts"));
    server.execute("CREATE TABLESPACE stdout_ts LOCATION '" + ts + "'");
    try {
      BinaryRun two = toStdout(env, "-X", "none");
      assertThat(two.exitCode()).isEqualTo(1);
      assertThat(two.err())
          .contains(
              "jwalreceiver: error: can only write single tablespace to stdout, database has 2");
      assertThat(two.out()).isEmpty();
    } finally {
      server.execute("DROP TABLESPACE stdout_ts");
    }
  }
}
