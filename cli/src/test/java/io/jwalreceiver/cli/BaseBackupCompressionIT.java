// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertFails;
import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.basebackup.compress.Lz4FrameDecoder;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarListener;
import io.jwalreceiver.basebackup.tar.TarReader;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver basebackup -z/--gzip} and {@code -Z/--compress}: upstream 010 items 5–6,
 * 12–31 and 97–101 (pg-tools-features §3.1), client-side LZ4 and zstd tar backups, and server-side
 * compression extracted on the fly into a plain backup that pg_verifybackup accepts (verification
 * with PostgreSQL 15's tool on a 15 server). Client-side cases run on every selected version;
 * server-side ones need 15+ (13/14 must refuse them).
 *
 * <p>The embedded (Maven Central) servers are built with zlib only: for server-side LZ4 and zstd
 * the tests are skipped when the server says it lacks the library; run with {@code
 * -Dpg.bin=/usr/lib/postgresql/15/bin} to cover them.
 */
@Tag("postgres")
class BaseBackupCompressionIT {

  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
  private static final Path PG15_BIN = Path.of("/usr/lib/postgresql/15/bin");
  private static final String SPEC = "invalid compression specification: ";

  @TempDir Path tmp;

  /** Items 12–31: the spec, and the message both the client and (15+) the server give. */
  static List<String[]> specifications() {
    return List.of(
        new String[] {"extrasquishy", "unrecognized compression algorithm: \"extrasquishy\""},
        new String[] {"gzip:", SPEC + "found empty string where a compression option was expected"},
        new String[] {"gzip:thunk", SPEC + "unrecognized compression option: \"thunk\""},
        new String[] {"gzip:level", SPEC + "compression option \"level\" requires a value"},
        new String[] {
          "gzip:level=", SPEC + "value for compression option \"level\" must be an integer"
        },
        new String[] {
          "gzip:level=high", SPEC + "value for compression option \"level\" must be an integer"
        },
        new String[] {
          "gzip:level=236",
          SPEC + "compression algorithm \"gzip\" expects a compression level between 1 and 9"
        },
        new String[] {
          "gzip:level=9,", SPEC + "found empty string where a compression option was expected"
        },
        new String[] {
          "gzip:workers=3", SPEC + "compression algorithm \"gzip\" does not accept a worker count"
        },
        new String[] {
          "gzip:long", SPEC + "compression algorithm \"gzip\" does not support long-distance mode"
        });
  }

  static Stream<Arguments> clientSpecifications() {
    return specifications().stream().map(s -> Arguments.of(s[0], s[1]));
  }

  static Stream<Arguments> versionsAndServerMethods() {
    List<Arguments> all = new ArrayList<>();
    for (int v : PgVersions.selected()) {
      if (v >= 15) {
        for (String m : new String[] {"server-gzip:5", "server-lz4", "server-zstd:level=1"}) {
          all.add(Arguments.of(v, m));
        }
      }
    }
    return all.stream();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static Map<String, String> env(PostgresServer server) {
    return BackupTestSupport.env(server);
  }

  private static InputStream decompressed(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    String name = file.getFileName().toString();
    if (name.endsWith(".gz")) {
      return new GZIPInputStream(in, 65536);
    }
    if (name.endsWith(".lz4")) {
      // The server writes linked blocks, which lz4-java's frame reader refuses.
      return new Lz4FrameDecoder(in);
    }
    if (name.endsWith(".zst")) {
      return new ZstdInputStreamNoFinalizer(in);
    }
    return in;
  }

  /**
   * The members of a (possibly compressed) tar file, read by our tar reader, with small ones'
   * content.
   */
  private static Map<String, String> tarMembers(Path file) throws IOException {
    Map<String, String> members = new LinkedHashMap<>();
    TarReader reader =
        new TarReader(
            new TarListener() {
              private StringBuilder text;

              @Override
              public void entryStart(TarHeader h) {
                text = h.size() < 4096 ? new StringBuilder() : null;
              }

              @Override
              public void entryData(ByteBuffer data) {
                if (text != null) {
                  byte[] b = new byte[data.remaining()];
                  data.get(b);
                  text.append(new String(b, StandardCharsets.UTF_8));
                }
              }

              @Override
              public void entryEnd(TarHeader h) {
                members.put(h.name(), text == null ? "" : text.toString());
              }
            });
    try (InputStream in = decompressed(file)) {
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) >= 0) {
        reader.feed(ByteBuffer.wrap(buf, 0, n));
      }
    }
    reader.finish();
    assertThat(reader.endBlocksSeen()).as(file + " ends with the two zero blocks").isTrue();
    return members;
  }

  /**
   * pg_verifybackup of PostgreSQL 15 reads version-1 manifests (servers 13–16); its pg_waldump only
   * 15's WAL, so the WAL check runs on a 15 server alone ({@code -n} elsewhere).
   */
  private static void verify(int major, Path dir) throws IOException, InterruptedException {
    Path tool = PG15_BIN.resolve("pg_verifybackup");
    if (major > 16 || !Files.isExecutable(tool)) {
      return;
    }
    List<String> cmd = new ArrayList<>(List.of(tool.toString()));
    if (major != 15) {
      cmd.add("-n");
    }
    cmd.add(dir.toString());
    Tools.Result r = Tools.run(RUN_TIMEOUT, cmd);
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.all()).contains("backup successfully verified");
  }

  // ---- items 5-6, 12-31: client-side parsing (no server reached) --------------------------

  @ParameterizedTest(name = "--compress {0}")
  @MethodSource("clientSpecifications")
  void clientSideSpecificationsFailWithPostgresMessages(String spec, String message) {
    Path target = tmp.resolve("backup");
    for (String option : new String[] {spec, "client-" + spec}) {
      CliRun r = CliRun.of(Map.of(), "basebackup", "-D", target.toString(), "--compress", option);
      assertFails(r, message);
      assertThat(r.exitCode()).isEqualTo(1);
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void items5and6() {
    Path target = tmp.resolve("backup");
    assertFails(
        CliRun.of(Map.of(), "basebackup", "-D", target.toString(), "--compress", "none:1"),
        SPEC + "compression algorithm \"none\" does not accept a compression level");
    assertFails(
        CliRun.of(Map.of(), "basebackup", "-D", target.toString(), "--compress", "none+"),
        "unrecognized compression algorithm: \"none+\"");
    assertThat(target).doesNotExist();
  }

  @Test
  void plainFormatRefusesClientSideCompression() {
    Path target = tmp.resolve("backup");
    for (String[] args :
        List.of(
            new String[] {"-z"},
            new String[] {"--gzip", "-Fp"},
            new String[] {"-Z", "lz4"},
            new String[] {"-Fp", "--compress=client-zstd:3"},
            new String[] {"-Z", "5"})) {
      List<String> all = new ArrayList<>(List.of("basebackup", "-D", target.toString()));
      all.addAll(List.of(args));
      CliRun r = CliRun.of(Map.of(), all.toArray(String[]::new));
      assertFails(r, "only tar mode backups can be compressed");
      assertThat(r.err()).contains("jwalreceiver: hint: Try \"jwalreceiver basebackup --help\"");
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void helpListsTheCompressionOptions() {
    assertThat(CliRun.help("basebackup").out())
        .contains("-z, --gzip")
        .contains("-Z, --compress=[{client|server}-]METHOD[:DETAIL]");
  }

  // ---- items 12-31: server-side parsing -----------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void serverSideSpecificationsAreParsedByTheServer(int major) {
    Map<String, String> env = env(PostgresServer.shared(major));
    Path target = tmp.resolve("backup");
    for (String[] s : specifications()) {
      CliRun r = bb(env, "-D", target.toString(), "--compress", "server-" + s[0]);
      if (major < 15) {
        assertFails(r, "server does not support server-side compression");
      } else {
        String message = s[1];
        if (major == 15 && s[0].equals("gzip:long")) {
          // 15 has no long-distance option at all.
          message = SPEC + "unrecognized compression option: \"long\"";
        }
        assertFails(r, "could not initiate base backup: ERROR:  " + message);
      }
      assertThat(target).as(s[0]).doesNotExist();
    }
  }

  // ---- items 97-101 and client-side LZ4 / zstd ----------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void gzipVariantsWriteBaseAndWalGzipped(int major) throws Exception {
    Map<String, String> env = env(PostgresServer.shared(major));
    List<Path> gzFiles = new ArrayList<>();
    String[][] variants = {{"--compress", "1"}, {"--gzip"}, {"--compress", "gzip:1"}};
    for (int i = 0; i < variants.length; i++) {
      Path dir = tmp.resolve("backup_gzip" + (i == 0 ? "" : Integer.toString(i + 1)));
      List<String> args = new ArrayList<>(List.of("-D", dir.toString()));
      args.addAll(List.of(variants[i]));
      args.addAll(List.of("--format", "t"));
      assertOk(bb(env, args.toArray(String[]::new)));
      // 100: exactly base.tar.gz and pg_wal.tar.gz (and the manifest).
      assertThat(names(dir)).containsExactly("backup_manifest", "base.tar.gz", "pg_wal.tar.gz");
      gzFiles.add(dir.resolve("base.tar.gz"));
      gzFiles.add(dir.resolve("pg_wal.tar.gz"));
      assertThat(tarMembers(dir.resolve("base.tar.gz"))).containsKey("PG_VERSION");
      assertThat(tarMembers(dir.resolve("pg_wal.tar.gz")).keySet())
          .anyMatch(n -> n.matches("[0-9A-F]{24}"));
    }
    // 101: gzip --test on all six files.
    if (Tools.installed("gzip")) {
      List<String> cmd = new ArrayList<>(List.of("gzip", "--test"));
      gzFiles.forEach(p -> cmd.add(p.toString()));
      Tools.Result r = Tools.run(RUN_TIMEOUT, cmd);
      assertThat(r.exitCode()).as(r.all()).isZero();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void lz4AndZstdTarBackupsHoldValidTars(int major) throws Exception {
    Map<String, String> env = env(PostgresServer.shared(major));

    Path lz4 = tmp.resolve("backup_lz4");
    assertOk(bb(env, "-D", lz4.toString(), "-Ft", "-Z", "lz4"));
    // pg_wal.tar is compressed only for gzip.
    assertThat(names(lz4)).containsExactly("backup_manifest", "base.tar.lz4", "pg_wal.tar");
    assertThat(tarMembers(lz4.resolve("base.tar.lz4")).get("PG_VERSION")).startsWith(major + "");
    if (Tools.installed("lz4")) {
      Tools.Result r =
          Tools.run(RUN_TIMEOUT, List.of("lz4", "-t", lz4.resolve("base.tar.lz4").toString()));
      assertThat(r.exitCode()).as(r.all()).isZero();
    }

    // zstd on its own worker threads, with -R injected before compressing.
    Path zst = tmp.resolve("backup_zstd");
    assertOk(
        bb(env, "-D", zst.toString(), "-Ft", "-R", "--compress=client-zstd:level=1,workers=2"));
    assertThat(names(zst)).containsExactly("backup_manifest", "base.tar.zst", "pg_wal.tar");
    Map<String, String> members = tarMembers(zst.resolve("base.tar.zst"));
    assertThat(members.get("PG_VERSION")).startsWith(major + "");
    assertThat(members).containsKey("standby.signal");
    assertThat(members.get("postgresql.auto.conf")).contains("primary_conninfo = '");
    if (Tools.installed("zstd")) {
      Tools.Result r =
          Tools.run(RUN_TIMEOUT, List.of("zstd", "-t", zst.resolve("base.tar.zst").toString()));
      assertThat(r.exitCode()).as(r.all()).isZero();
    }

    // -Z 0 / none: plain tar files.
    Path none = tmp.resolve("backup_none");
    assertOk(bb(env, "-D", none.toString(), "-Ft", "-X", "fetch", "-Z", "0"));
    assertThat(names(none)).containsExactly("backup_manifest", "base.tar");
  }

  // ---- server-side compression ---------------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}, {1}")
  @MethodSource("versionsAndServerMethods")
  void serverCompressedPlainBackupIsExtractedAndVerifies(int major, String method)
      throws Exception {
    Map<String, String> env = env(PostgresServer.shared(major));
    Path dir = tmp.resolve("backup_plain");
    CliRun r = bb(env, "-D", dir.toString(), "-Fp", "-Z", method);
    Assumptions.assumeFalse(
        r.err().contains("not supported by this build")
            || r.err().contains("this build does not support"),
        () -> "the server lacks the library: " + r.firstErrorLine());
    assertOk(r);
    assertThat(dir.resolve("PG_VERSION")).hasContent(Integer.toString(major));
    assertThat(dir.resolve("backup_manifest")).exists();
    try (Stream<Path> wal = Files.list(dir.resolve("pg_wal"))) {
      assertThat(wal.map(p -> p.getFileName().toString())).anyMatch(n -> n.matches("[0-9A-F]{24}"));
    }
    verify(major, dir);

    // Tar format keeps the server's compressed archive as it came.
    Path tar = tmp.resolve("backup_tar");
    assertOk(bb(env, "-D", tar.toString(), "-Ft", "-Z", method));
    String ext = method.contains("gzip") ? ".gz" : method.contains("lz4") ? ".lz4" : ".zst";
    assertThat(names(tar)).containsExactly("backup_manifest", "base.tar" + ext, "pg_wal.tar");
    assertThat(tarMembers(tar.resolve("base.tar" + ext))).containsKey("PG_VERSION");
  }
}
