// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

  /** The first line of stderr. */
  String firstErrorLine() {
    int nl = err.indexOf('\n');
    return nl < 0 ? err : err.substring(0, nl);
  }
}
