// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver verifybackup} on backups our own {@code basebackup} took from real servers,
 * and, on 15, the same verdicts as PostgreSQL's {@code pg_verifybackup} on the same directories.
 */
@Tag("postgres")
class VerifyBackupIT {

  private static final Path PG_VERIFYBACKUP_15 =
      Path.of("/usr/lib/postgresql/15/bin/pg_verifybackup");

  @TempDir Path tmp;

  /** {@code jwalreceiver basebackup -D dir -c fast} over the server's Unix socket, as postgres. */
  private static Path backup(PostgresServer server, Path dir, String... extra) {
    List<String> args =
        ClientArgs.socket(server, "basebackup", "-D", dir.toString(), "-c", "fast", "--no-sync");
    args.addAll(Arrays.asList(extra));
    CliRun r = CliRun.of(Map.of(), args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(dir.resolve("backup_manifest")).isRegularFile();
    return dir;
  }

  private static CliRun verify(Path dir, String... options) {
    List<String> args = new ArrayList<>(List.of("verifybackup"));
    args.addAll(Arrays.asList(options));
    args.add(dir.toString());
    return CliRun.of(Map.of(), args.toArray(String[]::new));
  }

  private static void assertVerified(CliRun r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("backup successfully verified" + System.lineSeparator());
    assertThat(r.err()).isEmpty();
  }

  private static void assertFails(CliRun r, String firstError) {
    assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
    assertThat(r.firstErrorLine()).isEqualTo("jwalreceiver: error: " + firstError);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).doesNotContain("Exception");
  }

  /** Flips one bit of the first byte of {@code file}: same size, different content. */
  private static void corrupt(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[0] ^= 1;
    Files.write(file, b);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void verifiesOurBackupAndCatchesACorruptedByte(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    Path dir = backup(server, tmp.resolve("pg" + major));
    String manifest = Files.readString(dir.resolve("backup_manifest"));
    assertThat(manifest)
        .startsWith("{ \"PostgreSQL-Backup-Manifest-Version\": " + (major >= 17 ? 2 : 1) + ",\n");

    assertVerified(verify(dir));
    CliRun quiet = verify(dir, "-q");
    assertThat(quiet.exitCode()).as(quiet.err()).isZero();
    assertThat(quiet.out()).isEmpty();

    corrupt(dir.resolve("PG_VERSION"));
    assertFails(verify(dir), "checksum mismatch for file \"PG_VERSION\"");
    // -s skips exactly that check.
    assertVerified(verify(dir, "-s"));
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void verifiesSha512AndEncodedPaths(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    Path dir =
        backup(
            server,
            tmp.resolve("enc" + major),
            "--manifest-checksums",
            "SHA512",
            "--manifest-force-encode");
    String manifest = Files.readString(dir.resolve("backup_manifest"));
    assertThat(manifest)
        .contains("\"Encoded-Path\": ")
        .doesNotContain("\"Path\": ")
        .contains("\"Checksum-Algorithm\": \"SHA512\"");
    assertVerified(verify(dir));
    // The last byte of pg_control is padding: only its checksum notices.
    Path control = dir.resolve("global/pg_control");
    byte[] original = Files.readAllBytes(control);
    byte[] b = original.clone();
    b[b.length - 1] ^= 1;
    Files.write(control, b);
    assertFails(verify(dir), "checksum mismatch for file \"global/pg_control\"");
    if (major >= 17) {
      // Version 2 manifests: the first 8 bytes (the system identifier) are compared first.
      String systemId =
          server.queryString("SELECT system_identifier::text FROM pg_control_system()");
      assertThat(manifest).contains("\"System-Identifier\": " + systemId + ",\n");
      b = original.clone();
      b[0] ^= 1;
      Files.write(control, b);
      long changed = Long.parseUnsignedLong(systemId) ^ 1;
      assertFails(
          verify(dir),
          "manifest system identifier is "
              + systemId
              + ", but control file has "
              + Long.toUnsignedString(changed));
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void reportsEveryProblemThenFailsAndStopsAtTheFirstWithExitOnError(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    Path dir = backup(server, tmp.resolve("multi" + major));
    Files.writeString(dir.resolve("extra_file"), "x");
    Files.delete(dir.resolve("PG_VERSION"));
    corrupt(dir.resolve("backup_label"));
    CliRun r = verify(dir);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines())
        .containsExactly(
            "jwalreceiver: error: \"extra_file\" is present on disk but not in the manifest",
            "jwalreceiver: error: \"PG_VERSION\" is present in the manifest but not on disk",
            "jwalreceiver: error: checksum mismatch for file \"backup_label\"");
    CliRun first = verify(dir, "-e");
    assertThat(first.err().lines())
        .containsExactly(
            "jwalreceiver: error: \"extra_file\" is present on disk but not in the manifest");
    assertVerified(verify(dir, "-i", "extra_file", "-i", "PG_VERSION", "-i", "backup_label"));
  }

  /** The checks pg_verifybackup 15 makes must come out the same on the same directories. */
  @Test
  void agreesWithPgVerifybackup15() throws IOException {
    assumeTrue(PgVersions.selected().contains(15), "PostgreSQL 15 not selected");
    assumeTrue(Files.isExecutable(PG_VERIFYBACKUP_15), PG_VERIFYBACKUP_15 + " not installed");
    PostgresServer server = PostgresServer.shared(15);
    Path good = backup(server, tmp.resolve("good"));
    assertThat(pgVerifybackup(good)).isZero();
    assertVerified(verify(good));

    record Mutation(String name, String ourFirstError, IoAction action) {}
    List<Mutation> mutations =
        List.of(
            new Mutation(
                "corrupt",
                "checksum mismatch for file \"PG_VERSION\"",
                d -> corrupt(d.resolve("PG_VERSION"))),
            new Mutation(
                "extra",
                "\"extra_file\" is present on disk but not in the manifest",
                d -> Files.writeString(d.resolve("extra_file"), "x")),
            new Mutation(
                "missing",
                "\"PG_VERSION\" is present in the manifest but not on disk",
                d -> Files.delete(d.resolve("PG_VERSION"))),
            new Mutation(
                "size",
                "\"PG_VERSION\" has size 4 on disk but size 3 in the manifest",
                d -> Files.writeString(d.resolve("PG_VERSION"), "155\n")),
            new Mutation(
                "manifest",
                "manifest checksum mismatch",
                d -> {
                  Path m = d.resolve("backup_manifest");
                  Files.writeString(m, Files.readString(m).replace("\"Size\": 3,", "\"Size\": 4,"));
                }),
            new Mutation(
                "wal",
                null,
                d -> {
                  try (Stream<Path> wal = Files.list(d.resolve("pg_wal"))) {
                    for (Path p :
                        wal.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}"))
                            .toList()) {
                      Files.delete(p);
                    }
                  }
                }));
    for (Mutation m : mutations) {
      Path dir = tmp.resolve(m.name());
      copyTree(good, dir);
      m.action().run(dir);
      CliRun ours = verify(dir);
      int theirs = pgVerifybackup(dir);
      assertThat(ours.exitCode()).as(m.name() + ": " + ours.err()).isEqualTo(1);
      assertThat(theirs).as(m.name()).isEqualTo(1);
      if (m.ourFirstError() != null) {
        assertThat(ours.firstErrorLine())
            .as(m.name())
            .isEqualTo("jwalreceiver: error: " + m.ourFirstError());
      } else {
        assertThat(ours.firstErrorLine())
            .as(m.name())
            .startsWith("jwalreceiver: error: ")
            .contains("WAL");
      }
      // Without the WAL check, pg_verifybackup and we still agree on the WAL mutation: both pass.
      if (m.name().equals("wal")) {
        assertThat(pgVerifybackup(dir, "-n")).isZero();
        assertVerified(verify(dir, "-n"));
      }
    }
  }

  @FunctionalInterface
  private interface IoAction {
    void run(Path dir) throws IOException;
  }

  private int pgVerifybackup(Path dir, String... options) {
    List<String> cmd = new ArrayList<>(List.of(PG_VERIFYBACKUP_15.toString()));
    cmd.addAll(Arrays.asList(options));
    cmd.add(dir.toString());
    Tools.Result r = Tools.run(Duration.ofMinutes(2), cmd);
    System.out.println("pg_verifybackup " + dir.getFileName() + ": " + r.all().strip());
    return r.exitCode();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
