// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jwalreceiver}: the command group. */
@Command(
    name = "jwalreceiver",
    versionProvider = RootCommand.Version.class,
    description = {
      "A pure-Java PostgreSQL physical replication client for servers 13 to 18.",
      ""
    },
    subcommands = {
      BaseBackupCommand.class, ReceiveWalCommand.class, CheckCommand.class, StatusCommand.class,
      SlotCommand.class, IdentifyCommand.class, VerifyBackupCommand.class, BenchCommand.class,
      DemoCommand.class
    },
    usageHelpWidth = 95,
    footer = {
      "",
      "Connection options (-d, -h, -p, -U, -w, -W) and the PG* environment variables work as in",
      "pg_basebackup and pg_receivewal.",
      "Report bugs in the project's issue tracker."
    })
public final class RootCommand implements Runnable {

  @Mixin HelpOptions helpOptions;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code --version}: the build's version and the server versions it speaks to. */
  public static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {Cli.PROGRAM + " " + Cli.version() + " (PostgreSQL 13 to 18)"};
    }
  }
}
