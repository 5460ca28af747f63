// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.PgException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * What the demo needs from the command line that runs it: where the transcript goes, how errors and
 * warnings are reported, and a way to run one of our own command lines in-process. The {@code demo}
 * command supplies it, so this package does not depend on the command line's package.
 */
public interface DemoHost {

  /**
   * The program name the transcript shows before our command lines.
   *
   * @return e.g. {@code jwalreceiver}
   */
  String program();

  /**
   * Where the transcript goes.
   *
   * @return standard output
   */
  PrintStream out();

  /**
   * Reports an error (one line, no detail or hint).
   *
   * @param message what failed
   */
  void error(String message);

  /**
   * Reports a server or connection error with its detail and hint.
   *
   * @param context what was being done
   * @param e the error
   */
  void error(String context, PgException e);

  /**
   * Reports a warning.
   *
   * @param message the warning
   */
  void warning(String message);

  /**
   * Runs one of our command lines in-process, printing to the same streams.
   *
   * @param args the command and its arguments, without the program name
   * @param env the environment the command sees (instead of the process's)
   * @return its exit code, 0 on success
   */
  int run(List<String> args, Map<String, String> env);
}
