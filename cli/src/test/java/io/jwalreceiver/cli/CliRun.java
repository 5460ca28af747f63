// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/** One in-process run of the command line, with what it printed. */
record CliRun(int exitCode, String out, String err) {

  static CliRun of(Map<String, String> env, String... args) {
    return as(null, env, args);
  }

  /**
   * A run under the name {@code invokedAs} ({@code argv[0]}: {@code pg_basebackup}, a path to it,
   * or null for {@code jwalreceiver}).
   */
  static CliRun as(String invokedAs, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.run(invokedAs, args, o, e, env);
    }
    return new CliRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * {@code <command> --help} without an environment: exit 0, nothing on stderr, every line of the
   * text within 95 columns.
   */
  static CliRun help(String... command) {
    CliRun r = of(Map.of(), withOption(command, "--help"));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(95));
    return r;
  }

  /** {@code <command> --version} without an environment: exit 0, the version on stdout. */
  static CliRun version(String... command) {
    CliRun r = of(Map.of(), withOption(command, "--version"));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("jwalreceiver ").contains("(PostgreSQL 13 to 18)");
    return r;
  }

  private static String[] withOption(String[] command, String option) {
    String[] args = Arrays.copyOf(command, command.length + 1);
    args[command.length] = option;
    return args;
  }

  /**
   * An error and nothing else: exit 1, {@code firstLine} as the first line of stderr, nothing on
   * stdout.
   */
  CliRun assertErrorOnly(String firstLine) {
    assertThat(exitCode).as(err).isEqualTo(1);
    assertThat(firstErrorLine()).isEqualTo(firstLine);
    assertThat(out).isEmpty();
    return this;
  }

  /** The first line of stderr. */
  String firstErrorLine() {
    int nl = err.indexOf('\n');
    return nl < 0 ? err : err.substring(0, nl);
  }
}
