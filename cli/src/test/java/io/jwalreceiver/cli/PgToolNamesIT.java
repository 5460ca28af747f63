// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pg_basebackup and pg_receivewal under their own names against real servers (issue #13): the -v
 * lines and the server-side failures of 010_pg_basebackup.pl and 020_pg_receivewal.pl carry the
 * tool's name, and on PostgreSQL 15 they read exactly as the real 15 tools' (LSNs and segment names
 * aside, which depend on when each run starts).
 */
@Tag("postgres")
class PgToolNamesIT {

  private static final Path PG15_BIN = ReceiveWalIT.PG15_BIN;

  @TempDir Path tmp;

  private static CliRun as(String tool, Map<String, String> env, String... args) {
    return assertTimeoutPreemptively(
        ReceiveWalIT.RUN_TIMEOUT,
        () -> CliRun.as(tool, env, args),
        () -> tool + " did not end: " + String.join(" ", args));
  }

  /** The real PostgreSQL 15 tool's run, when it can serve this server; null otherwise. */
  private static Tools.Result oracle(
      int major, Map<String, String> env, String tool, String... args) {
    Path real = PG15_BIN.resolve(tool);
    if (major != 15 || !Files.isExecutable(real)) {
      return null;
    }
    List<String> command = new ArrayList<>(List.of("env"));
    env.forEach((k, v) -> command.add(k + "=" + v));
    command.add(real.toString());
    command.addAll(List.of(args));
    return Tools.run(Duration.ofMinutes(2), command);
  }

  /** Positions and WAL file names vary from run to run; the words must not. */
  private static String masked(String stderr) {
    return stderr.replaceAll("[0-9A-F]+/[0-9A-F]+", "X/X").replaceAll("[0-9A-F]{24}", "SEGMENT");
  }

  /** {@link ReceiveWalIT.EndRun} into the new directory {@code name}. */
  private ReceiveWalIT.EndRun endRun(int major, String name) throws IOException {
    return ReceiveWalIT.EndRun.of(major, Files.createDirectory(tmp.resolve(name)));
  }

  private static void assertEveryLineNamed(String tool, CliRun r) {
    assertThat(r.err()).doesNotContain("jwalreceiver");
    assertThat(r.err().lines())
        .as(r.err())
        .isNotEmpty()
        .allSatisfy(l -> assertThat(l).startsWith(tool + ": "));
  }

  /** Upstream 117 under the name: its -v lines, and a directory as pg_receivewal leaves it. */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void receivewalVerboseLinesCarryItsName(int major) throws IOException {
    ReceiveWalIT.EndRun setup = endRun(major, "archive_wal");
    Map<String, String> env = setup.env();
    Path dir = setup.dir();
    String end = setup.end();

    CliRun r =
        as(
            "pg_receivewal",
            env,
            "-D",
            dir.toString(),
            "--verbose",
            "--endpos",
            end,
            "--synchronous",
            "--no-loop");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertEveryLineNamed("pg_receivewal", r);
    assertThat(r.err()).contains("pg_receivewal: starting log streaming at ");
    try (Stream<Path> entries = Files.list(dir)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .isNotEmpty()
          .allMatch(n -> n.matches("[0-9A-F]{24}(\\.partial)?|[0-9A-F]{8}\\.history"))
          .doesNotContain(SegmentFileSink.SPARE_DIRECTORY);
    }

    Path oracleDir = Files.createDirectory(tmp.resolve("oracle_wal"));
    String oracleEnd = ReceiveWalIT.nextEndPosition(setup.server());
    Tools.Result real =
        oracle(
            major,
            env,
            "pg_receivewal",
            "-D",
            oracleDir.toString(),
            "--verbose",
            "--endpos",
            oracleEnd,
            "--synchronous",
            "--no-loop");
    if (real != null) {
      assertThat(real.exitCode()).as(real.all()).isZero();
      // pg_receivewal also says "not renaming ..., segment is not complete" as it closes the
      // file at the end position (a known difference, see the README); the rest is the same.
      assertThat(masked(r.err()))
          .isEqualTo(
              masked(real.stderr())
                  .lines()
                  .filter(l -> !l.contains("segment is not complete"))
                  .map(l -> l + "\n")
                  .collect(java.util.stream.Collectors.joining()));
    }
  }

  /** Upstream 129, 115, 116 and a second --create-slot, under pg_receivewal's name. */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void receivewalSlotMessagesCarryItsName(int major) throws IOException {
    ReceiveWalIT.EndRun setup = endRun(major, "slot_wal");
    PostgresServer server = setup.server();
    Map<String, String> env = setup.env();
    String[] absent = ReceiveWalIT.absentSlotOptions(setup.dir(), setup.end());

    CliRun r = as("pg_receivewal", env, absent);

    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertEveryLineNamed("pg_receivewal", r);
    if (major >= 15) {
      assertThat(r.err())
          .contains("pg_receivewal: error: replication slot \"nonexistentslot\" does not exist\n");
    }
    Tools.Result real = oracle(major, env, "pg_receivewal", absent);
    if (real != null) {
      assertThat(r.err()).isEqualTo(real.stderr());
      assertThat(r.exitCode()).isEqualTo(real.exitCode());
    }

    String slot = "names_" + major;
    String[] create = {"--slot", slot, "--create-slot"};
    String[] drop = {"--slot", slot, "--drop-slot"};
    try {
      assertThat(as("pg_receivewal", env, create).exitCode()).isZero();
      CliRun again = as("pg_receivewal", env, create);
      assertThat(again.exitCode()).isEqualTo(1);
      assertEveryLineNamed("pg_receivewal", again);
      assertThat(again.err())
          .endsWith(": ERROR:  replication slot \"" + slot + "\" already exists\n");
      Tools.Result realAgain = oracle(major, env, "pg_receivewal", create);
      if (realAgain != null) {
        assertThat(again.err()).isEqualTo(realAgain.stderr());
      }
      CliRun dropped = as("pg_receivewal", env, drop);
      assertThat(dropped.exitCode()).as(dropped.err()).isZero();
      assertThat(
              server.queryString(
                  "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
          .isEqualTo("0");
    } finally {
      ReceiveWalIT.dropSlot(server, slot);
    }
  }

  /** Upstream 82 and a -v backup under pg_basebackup's name. */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void basebackupMessagesCarryItsName(int major) {
    PostgresServer server = ReceiveWalIT.server(major);
    Map<String, String> env = ReceiveWalIT.env(server);
    String[] absent = {
      "--no-sync",
      "-c",
      "fast",
      "-D",
      tmp.resolve("backupxs_sl_fail").toString(),
      "-X",
      "stream",
      "-S",
      "slot0"
    };

    CliRun r = as("pg_basebackup", env, absent);

    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertEveryLineNamed("pg_basebackup", r);
    assertThat(r.err()).contains("replication slot \"slot0\" does not exist");
    assertThat(tmp.resolve("backupxs_sl_fail")).doesNotExist();
    Tools.Result real = oracle(major, env, "pg_basebackup", absent);
    if (real != null) {
      // pg_basebackup prints the server's error first and "removing data directory" last; we
      // print the same facts as error and detail lines (see the README's differences).
      assertThat(r.firstErrorLine())
          .isEqualTo("pg_basebackup: error: background process terminated unexpectedly");
      assertThat(real.stderr()).contains(r.firstErrorLine());
      assertThat(r.exitCode()).isEqualTo(real.exitCode());
    }

    CliRun ok =
        as(
            "pg_basebackup",
            env,
            "--no-sync",
            "-c",
            "fast",
            "-v",
            "-X",
            "stream",
            "-D",
            tmp.resolve("backup_v").toString());
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertEveryLineNamed("pg_basebackup", ok);
    assertThat(ok.err()).contains("pg_basebackup: base backup completed");
  }
}
