// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jwalreceiver bench}: replication throughput against the user's own server. */
/** {@code jwalreceiver bench}: the parent of the WAL and base backup throughput benchmarks. */
@Command(
    name = "bench",
    header = "Measures WAL streaming and base backup throughput against a server.",
    versionProvider = RootCommand.Version.class,
    usageHelpWidth = 95,
    description = {
      "Measures replication throughput against a real server: WAL streaming (bench wal) and",
      "base backups (bench basebackup). Progress on stderr, the report on stdout (--json for",
      "scripts).",
      ""
    },
    subcommands = {BenchWalCommand.class, BenchBaseBackupCommand.class})
public final class BenchCommand implements Runnable {

  /** The application_name the bench connections use unless one is configured. */
  static final String FALLBACK_APPLICATION_NAME = "jwalreceiver-bench";

  @Mixin HelpOptions helpOptions;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
