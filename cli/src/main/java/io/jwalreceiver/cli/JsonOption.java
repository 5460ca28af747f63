// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import picocli.CommandLine.Option;

/** {@code --json} of the {@code bench} commands: a picocli mixin. */
public final class JsonOption {

  @Option(names = "--json", description = "print the report as one JSON document")
  boolean json;
}
