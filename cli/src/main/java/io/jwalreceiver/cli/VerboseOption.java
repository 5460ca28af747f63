// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import picocli.CommandLine.Option;

/** {@code -v/--verbose}, as pg_basebackup and pg_receivewal spell it: a picocli mixin. */
public final class VerboseOption {

  @Option(
      names = {"-v", "--verbose"},
      description = "output verbose messages")
  boolean verbose;
}
