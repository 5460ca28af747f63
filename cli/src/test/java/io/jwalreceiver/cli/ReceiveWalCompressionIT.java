// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver receivewal --compress}: upstream 020_pg_receivewal.pl items 114 and 119–127
 * (pg-tools-features §3.3) with {@code jwalreceiver} as the program, plus a zstd run (our
 * addition). Every completed segment, and the received part of every partial one, must decompress
 * to the bytes of the server's own {@code pg_wal} file. Compression is ours alone, so this runs on
 * the highest selected server version only.
 */
@Tag("postgres")
class ReceiveWalCompressionIT {

  private static final int SEGMENT = 1 << 20;
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);
  private static final String SLOT = "compression_it_keep";

  @TempDir Path tmp;

  static List<Integer> highestVersion() {
    return List.of(PgVersions.highest());
  }

  // ---- item 114 and the parser's messages (no server needed) ------------------------------

  @Test
  void rejectsInvalidCompressionSpecifications() throws IOException {
    String dir = Files.createDirectory(tmp.resolve("archive_wal")).toString();
    String spec = "jwalreceiver: error: invalid compression specification: ";
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "--compress", "none:1"),
        spec + "compression algorithm \"none\" does not accept a compression level");
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "-Z", "none+"),
        "jwalreceiver: error: unrecognized compression algorithm: \"none+\"");
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "--compress=gzip:level="),
        spec + "value for compression option \"level\" must be an integer");
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "--compress", "lz4:workers=2"),
        spec + "compression algorithm \"lz4\" does not accept a worker count");
    assertFails(
        CliRun.of(Map.of(), "receivewal", "-D", dir, "--compress", "zstd:level=99"),
        spec
            + "compression algorithm \"zstd\" expects a compression level between -131072 and 22"
            + " (default at 3)");
  }

  @Test
  void helpListsTheCompressOption() {
    CliRun r = CliRun.of(Map.of(), "receivewal", "--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("-Z, --compress=METHOD[:DETAIL]");
    assertThat(r.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(95));
  }

  // ---- items 117-127, then zstd ----------------------------------------------------------

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("highestVersion")
  void compressedRunsContinueEachOthersSegments(int major) throws Exception {
    try (PostgresServer server =
        PostgresServer.start(PostgresServer.Options.of(major).withInitdbArgs("--wal-segsize=1"))) {
      // Keeps every segment from here on in pg_wal, so the server's files are the oracle.
      server.execute("SELECT pg_create_physical_replication_slot('" + SLOT + "', true)");
      server.execute("CREATE TABLE test_table (x integer)");
      Path dir = Files.createDirectory(tmp.resolve("archive_wal"));
      Path pgWal = server.dataDir().resolve("pg_wal");
      Map<String, String> env = ClientArgs.socketEnv(server);

      // 117-118: uncompressed, synchronous: one plain .partial.
      assertOk(receive(env, dir, nextEndPosition(server), "--synchronous", "--verbose"));
      List<String> plainPartials = names(dir, ".partial");
      assertThat(plainPartials).hasSize(1);
      String firstPartial = plainPartials.get(0);

      // 119-122: gzip:1 restarts that segment compressed and completes it.
      assertOk(receive(env, dir, nextEndPosition(server), "--compress", "gzip:1"));
      assertThat(names(dir, ".gz")).hasSize(1);
      List<String> gzPartials = names(dir, ".gz.partial");
      assertThat(gzPartials).hasSize(1);
      assertThat(names(dir, ".gz")).containsExactly(firstPartial.replace(".partial", ".gz"));
      checkTool("gzip", dir, ".gz");

      // 123-126: lz4 (fast mode) continues from the .gz.partial's segment.
      assertOk(receive(env, dir, nextEndPosition(server), "--compress", "lz4"));
      assertThat(names(dir, ".lz4")).hasSize(1);
      List<String> lz4Partials = names(dir, ".lz4.partial");
      assertThat(lz4Partials).hasSize(1);
      assertThat(names(dir, ".lz4"))
          .containsExactly(gzPartials.get(0).replace(".gz.partial", ".lz4"));
      // The superseded .gz.partial is left in place, as pg_receivewal leaves it.
      assertThat(names(dir, ".gz.partial")).isEqualTo(gzPartials);
      checkTool("lz4", dir, ".lz4");

      // 127: no compression completes the lz4 partial's segment as a plain file.
      assertOk(receive(env, dir, nextEndPosition(server)));
      String lz4Base = lz4Partials.get(0).replace(".lz4.partial", "");
      assertThat(dir.resolve(lz4Base)).exists();
      assertThat(Files.size(dir.resolve(lz4Base))).isEqualTo(SEGMENT);
      List<String> lastPlainPartials =
          names(dir, ".partial").stream()
              .filter(n -> !n.equals(firstPartial) && n.length() == 24 + ".partial".length())
              .toList();
      assertThat(lastPlainPartials).hasSize(1);

      // Ours: zstd with two workers continues from that plain partial.
      assertOk(receive(env, dir, nextEndPosition(server), "--compress", "zstd:level=5,workers=2"));
      assertThat(names(dir, ".zst"))
          .containsExactly(lastPlainPartials.get(0).replace(".partial", ".zst"));
      assertThat(names(dir, ".zst.partial")).hasSize(1);
      checkTool("zstd", dir, ".zst");

      // Round trip: everything we wrote holds the server's bytes.
      int compared = 0;
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.sorted().toList()) {
          compared += compareWithServer(file, pgWal);
        }
      }
      // Completed: .gz, .lz4, plain, .zst; partial: .gz, .lz4, .zst.
      assertThat(compared).as("segment files compared with pg_wal").isEqualTo(7);
      server.execute("SELECT pg_drop_replication_slot('" + SLOT + "')");
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Switch WAL, E = the insert position, write a little more WAL (the upstream test's setup). */
  private static String nextEndPosition(PostgresServer server) {
    server.switchWal();
    String end = server.queryString("SELECT pg_current_wal_insert_lsn()");
    server.execute("INSERT INTO test_table VALUES (1)");
    return end;
  }

  private static CliRun receive(Map<String, String> env, Path dir, String endpos, String... more) {
    String[] args =
        Stream.concat(
                Stream.of("receivewal", "-D", dir.toString(), "--endpos", endpos, "--no-loop"),
                Arrays.stream(more))
            .toArray(String[]::new);
    return assertTimeoutPreemptively(
        RUN_TIMEOUT, () -> CliRun.of(env, args), () -> "did not end: " + String.join(" ", args));
  }

  private static void assertOk(CliRun r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("error:").doesNotContain("Exception");
  }

  private static void assertFails(CliRun r, String firstLine) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.firstErrorLine()).isEqualTo(firstLine);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("hint:");
  }

  /** The names in {@code dir}: a 24-character segment name, then exactly {@code suffix}. */
  private static List<String> names(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.length() == 24 + suffix.length() && n.endsWith(suffix))
          .sorted()
          .toList();
    }
  }

  /** {@code gzip -t} / {@code lz4 -t} / {@code zstd -t} on the completed files, if installed. */
  private static void checkTool(String tool, Path dir, String extension) throws Exception {
    if (!Tools.installed(tool)) {
      return;
    }
    for (String name : names(dir, extension)) {
      Tools.Result r = Tools.run(Duration.ofSeconds(60), tool, "-t", dir.resolve(name).toString());
      assertThat(r.exitCode()).as(tool + " -t " + name + ": " + r.all()).isZero();
    }
  }

  /**
   * Compares one of our files with the server's segment: a completed file must equal it, a partial
   * one must be a prefix of it.
   *
   * @return 1 when compared, 0 for files that are not segments
   */
  private static int compareWithServer(Path file, Path pgWal) throws IOException {
    String name = file.getFileName().toString();
    if (name.length() < 24 || !name.substring(0, 24).matches("[0-9A-F]{24}")) {
      return 0;
    }
    String rest = name.substring(24);
    boolean partial = rest.endsWith(".partial");
    String extension = partial ? rest.substring(0, rest.length() - ".partial".length()) : rest;
    byte[] ours;
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = decoder(extension, raw)) {
      ours = in.readAllBytes();
    }
    byte[] server = Files.readAllBytes(pgWal.resolve(name.substring(0, 24)));
    assertThat(server).hasSize(SEGMENT);
    if (partial) {
      if (extension.isEmpty()) {
        // Pre-sized with zeros: where the received part ends is not in the file.
        return 0;
      }
      assertThat(ours.length).as(name).isLessThan(SEGMENT).isPositive();
      assertThat(ours).as(name).isEqualTo(Arrays.copyOf(server, ours.length));
    } else {
      assertThat(ours).as(name).hasSize(SEGMENT).isEqualTo(server);
    }
    return 1;
  }

  private static InputStream decoder(String extension, InputStream raw) throws IOException {
    switch (extension) {
      case "":
        return raw;
      case ".gz":
        return new GZIPInputStream(raw);
      case ".lz4":
        return new LZ4FrameInputStream(raw);
      case ".zst":
        return new ZstdInputStreamNoFinalizer(raw);
      default:
        throw new AssertionError("unexpected file suffix " + extension);
    }
  }
}
