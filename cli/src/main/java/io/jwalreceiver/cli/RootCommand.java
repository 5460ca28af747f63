// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jwalreceiver}: the command group. */
/** {@code jwalreceiver}: the top-level command, its subcommands and version. */
@Command(
    name = "jwalreceiver",
    versionProvider = RootCommand.Version.class,
    description = {"A pure-Java PostgreSQL physical replication client for servers 13 to 18.", ""},
    usageHelpWidth = 95,
    footer = {
      "",
      "Connection options (-d, -h, -p, -U, -w, -W) and the PG* environment variables work as in",
      "pg_basebackup and pg_receivewal.",
      "Run as pg_basebackup or pg_receivewal, through the links in /usr/lib/jwalreceiver/bin (the",
      "Debian package), in a release tarball's pg-bin directory, or those that \"jwalreceiver",
      "install-links DIR\" makes in a clone, it is that command under that name.",
      "Report bugs in the project's issue tracker."
    })
public final class RootCommand implements Runnable {

  /**
   * The commands, in the order of the help's list. Not in the annotation: {@link Main} builds only
   * the one a command line names (picocli's reflection over every command's options took about 0.3
   * s of each start-up), and all of them for the help and for errors.
   */
  static final List<Class<?>> SUBCOMMANDS =
      List.of(
          BaseBackupCommand.class,
          ReceiveWalCommand.class,
          CheckCommand.class,
          StatusCommand.class,
          SlotCommand.class,
          IdentifyCommand.class,
          VerifyBackupCommand.class,
          RestoreWalCommand.class,
          RestoreBackupCommand.class,
          ArchiveCommand.class,
          BenchCommand.class,
          DemoCommand.class);

  /** The commands to build for {@code args}: the one its first word names, or all of them. */
  static List<Class<?>> subcommandsFor(String[] args) {
    if (args.length > 0) {
      for (Class<?> c : SUBCOMMANDS) {
        Command command = c.getAnnotation(Command.class);
        if (command.name().equals(args[0]) || List.of(command.aliases()).contains(args[0])) {
          return List.of(c);
        }
      }
    }
    return SUBCOMMANDS;
  }

  @Mixin HelpOptions helpOptions;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code --version}: the build's version and the server versions it speaks to; under a PostgreSQL
   * tool's name, that tool's line ({@link ToolName#versionLine}).
   */
  public static final class Version implements IVersionProvider {
    private final Cli cli;

    public Version(Cli cli) {
      this.cli = cli;
    }

    @Override
    public String[] getVersion() {
      if (cli.tool() != null) {
        return new String[] {cli.tool().versionLine()};
      }
      // Not "+", as in ToolName#versionLine.
      return new String[] {String.join(" ", Cli.PROGRAM, Cli.version(), "(PostgreSQL 13 to 18)")};
    }
  }
}
