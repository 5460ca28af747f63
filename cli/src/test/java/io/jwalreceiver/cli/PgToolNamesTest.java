// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line under the PostgreSQL tools' names (issue #13): what scripts and Barman read from
 * {@code --version}, {@code --help} and the messages of mistakes found before connecting, compared
 * with the real PostgreSQL 15 tools where they are installed.
 */
class PgToolNamesTest {

  private static final Map<String, String> NO_ENV = Map.of();
  private static final Path PG15_BIN = Path.of("/usr/lib/postgresql/15/bin");

  @TempDir static Path tmp;

  /**
   * Barman's PostgreSQLClient.get_version_info and utils.simplify_version, step by step: drop every
   * parenthesised part, take the second word, require a leading number, drop the last dotted
   * component for the major version.
   */
  private static String barmanMajorVersion(String versionOutput) {
    String text = versionOutput.strip().replaceAll("\\s*\\([^)]*\\)", "");
    String full = text.split("\\s+")[1];
    assertThat(full).matches("(\\d+)(\\.(\\d+)|devel|beta|alpha|rc).*");
    return full.substring(0, full.lastIndexOf('.'));
  }

  @ParameterizedTest
  @ValueSource(strings = {"pg_basebackup", "pg_receivewal"})
  void versionIsThePostgresql18ToolsLineThatBarmanAccepts(String tool) {
    for (String option : List.of("--version", "-V")) {
      CliRun r = CliRun.as("/usr/local/bin/" + tool, NO_ENV, option);
      assertThat(r.exitCode()).isZero();
      assertThat(r.err()).isEmpty();
      assertThat(r.out())
          .hasLineCount(1)
          .startsWith(tool + " (PostgreSQL) 18.")
          .endsWith(" (jwalreceiver " + Cli.version() + ")\n");
      // Barman requires the client's major version >= the server's: 18 serves 13 to 18.
      assertThat(barmanMajorVersion(r.out())).isEqualTo("18");
      // What `awk '{print $3}'` in a script reads.
      assertThat(r.out().split(" ")[2]).matches("18\\.\\d+");
    }
  }

  @Test
  void ownNameKeepsOwnVersion() {
    for (String[] args : List.of(new String[] {"--version"}, new String[] {"basebackup", "-V"})) {
      CliRun r = CliRun.of(NO_ENV, args);
      assertThat(r.out()).isEqualTo("jwalreceiver " + Cli.version() + " (PostgreSQL 13 to 18)\n");
    }
  }

  /**
   * A lone {@code --version} or {@code -V} is answered without picocli (start-up): the same bytes
   * and exit code as picocli's answer, which a repeated option still gets.
   */
  @ParameterizedTest
  @ValueSource(strings = {"jwalreceiver", "pg_basebackup", "pg_receivewal"})
  void versionShortcutPrintsWhatPicocliPrints(String name) {
    CliRun picocli = CliRun.as(name, NO_ENV, "-V", "--version");
    assertThat(picocli.exitCode()).isZero();
    assertThat(picocli.out()).hasLineCount(1);
    for (String option : List.of("--version", "-V")) {
      CliRun r = CliRun.as(name, NO_ENV, option);
      assertThat(r).isEqualTo(picocli);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"pg_basebackup", "pg_receivewal"})
  void helpIsThatCommandsUnderItsName(String tool) {
    CliRun r = CliRun.as(tool, NO_ENV, "--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).startsWith("Usage: " + tool + " ");
    assertThat(r.out().lines().findFirst().orElseThrow()).doesNotContain("jwalreceiver");
    assertThat(r.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(95));
    // The command's own options, not the command group's list.
    assertThat(r.out())
        .contains(tool.equals("pg_basebackup") ? "--pgdata" : "--directory")
        .doesNotContain("Commands:");
  }

  @Test
  void subcommandKeepsItsOwnNameInMessages() {
    CliRun r = CliRun.of(NO_ENV, "basebackup", "-D", tmp.resolve("b").toString(), "--create-slot");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "jwalreceiver: error: --create-slot needs a slot to be specified using --slot\n"
                + "jwalreceiver: hint: Try \"jwalreceiver basebackup --help\" for more information.\n");
  }

  /**
   * Mistakes both tools find before connecting, from 010_pg_basebackup.pl and 020_pg_receivewal.pl
   * and getopt's own messages, and a few more.
   */
  static Stream<Arguments> mistakes() {
    String b = tmp.resolve("backup").toString();
    String w = tmp.resolve("wal").toString();
    List<Arguments> cases = new ArrayList<>();
    for (String line :
        List.of(
            "--not-a-valid-option", // 3
            "", // 4
            "-D " + b + " -j",
            "-D",
            "--pgdata",
            "-D " + b + " --compress none:1", // 5
            "-D " + b + " --compress none+", // 6
            "-D " + b + " --compress extrasquishy", // 12
            "-D " + b + " --compress gzip:", // 13
            "-D " + b + " --compress gzip:thunk",
            "-D " + b + " --compress gzip:level",
            "-D " + b + " --compress gzip:level=",
            "-D " + b + " --compress gzip:level=high",
            "-D " + b + " --compress gzip:level=9,",
            "-D " + b + " --compress gzip:workers=3",
            "-D " + b + " -Fp -T =/foo", // 46
            "-D " + b + " -Fp -T /foo=", // 47
            "-D " + b + " -Fp -T /foo=/bar=/baz", // 48
            "-D " + b + " -Fp -T foo=/bar", // 49
            "-D " + b + " -Fp -T /foo=bar", // 50
            "-D " + b + " -Fp -T foo", // 51
            "--target blackhole", // 74
            "--target blackhole -X stream", // 75
            "--target blackhole -X none -D " + b, // 77
            "--target blackhole -X none --format tar", // 78
            "-D " + b + " --create-slot", // 83
            "-D " + b + " --create-slot --slot slot0 --no-slot", // 84
            "-D " + b + " -S slot1 -X none", // 89
            "-D " + b + " -X fetch -S s",
            "-D " + b + " extra",
            "-D " + b + " -X bogus",
            "-D " + b + " -F x",
            "-D " + b + " -c slow",
            "-D " + b + " -r 1",
            "-D " + b + " -s -1",
            "-D " + b + " -Fp --compress client-gzip")) {
      cases.add(Arguments.of("pg_basebackup", line));
    }
    for (String line :
        List.of(
            "--not-a-valid-option", // 109
            "", // 110
            "-D " + w + " -k",
            "-D",
            "-D " + w + " --create-slot --drop-slot", // 111
            "-D " + w + " --create-slot", // 112
            "-D " + w + " --synchronous --no-sync", // 113
            "-D " + w + " --compress none:1", // 114
            "-D " + w + " --compress gzip:level=99",
            "-D " + w + " extra",
            "-D " + w + " -E bogus",
            "-D " + w + " -s -1",
            "-D " + w + " -s x",
            "--drop-slot")) {
      cases.add(Arguments.of("pg_receivewal", line));
    }
    return cases.stream();
  }

  /** Same stderr, byte for byte, and the same exit code as PostgreSQL 15's tool. */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("mistakes")
  void mistakesReadAsThePostgresqlToolsWords(String tool, String line) throws Exception {
    Path real = PG15_BIN.resolve(tool);
    assumeTrue(Files.isExecutable(real), "PostgreSQL 15's " + tool + " is not installed");
    Files.createDirectories(tmp.resolve("wal"));
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    List<String> command = new ArrayList<>(List.of(real.toString()));
    command.addAll(List.of(args));
    Tools.Result expected = Tools.run(Duration.ofSeconds(30), command);

    CliRun ours = CliRun.as(real.toString(), NO_ENV, args);

    assertThat(ours.err()).as("stderr").isEqualTo(expected.stderr());
    assertThat(ours.exitCode()).as("exit code").isEqualTo(expected.exitCode());
    assertThat(ours.out()).as("stdout").isEqualTo(expected.stdout());
  }

  /** Every line a failure prints is tagged with the tool's name, none with ours. */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("mistakes")
  void mistakesNeverNameJwalreceiver(String tool, String line) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    CliRun ours = CliRun.as(tool, NO_ENV, args);
    assertThat(ours.exitCode()).isEqualTo(1);
    assertThat(ours.err()).doesNotContain("jwalreceiver").isNotEmpty();
    assertThat(ours.err().lines())
        .allSatisfy(l -> assertThat(l).matches(Pattern.quote(tool) + ": .*"));
  }
}
