// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every runnable command shares: the process context, {@code -?/-V}, the help width and
 * version line (picocli merges this {@code @Command} into each subclass's), and the tools' way of
 * reporting a usage mistake.
 */
@Command(versionProvider = RootCommand.Version.class, usageHelpWidth = 95)
abstract class CliCommand implements Callable<Integer> {

  /**
   * The process context, set by {@link Main}'s factory before picocli parses the command line. Not
   * final: {@code receivewal --log-timestamps} swaps in a timestamping one.
   */
  @SuppressWarnings("NullAway.Init")
  Cli cli;

  @Mixin HelpOptions helpOptions;

  @Spec CommandSpec spec;

  /**
   * {@code prog: error: message} and the hint to try {@code --help}; returns the usage exit code.
   */
  final int usage(String message) {
    cli.error(message, null, null);
    String name = spec.qualifiedName();
    // The words after the program's name ("bench wal"); none under a PostgreSQL tool's name.
    cli.tryHelp(name.indexOf(' ') < 0 ? "" : name.substring(name.indexOf(' ') + 1));
    return ExitCodes.USAGE;
  }

  /** {@code prog: error: message}; returns the error exit code. */
  final int error(String message) {
    cli.error(message, null, null);
    return ExitCodes.ERROR;
  }
}
