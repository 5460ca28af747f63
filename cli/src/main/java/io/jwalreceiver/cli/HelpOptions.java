// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import picocli.CommandLine.Option;

/**
 * {@code -?/--help} and {@code -V/--version}, spelled as the PostgreSQL tools spell them ({@code
 * -h} is the host option there, so it cannot mean help).
 */
public final class HelpOptions {

  @Option(
      names = {"-?", "--help"},
      usageHelp = true,
      description = "show this help, then exit")
  boolean help;

  @Option(
      names = {"-V", "--version"},
      versionHelp = true,
      description = "output version information, then exit")
  boolean version;
}
