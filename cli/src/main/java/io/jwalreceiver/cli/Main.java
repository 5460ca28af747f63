// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.io.PrintStream;
import java.util.Map;
import picocli.CommandLine;

/** The entry point, and the only place that calls {@link System#exit}. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /**
   * Runs one command line and returns its exit code (the tests call this in-process).
   *
   * @param env the environment the connection options read ({@code PG*} variables)
   */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    Cli cli = new Cli(out, err, env);
    CommandFactory factory = new CommandFactory(cli);
    CommandLine cmd = new CommandLine(new RootCommand(), factory);
    for (Class<?> sub : RootCommand.subcommandsFor(args)) {
      cmd.addSubcommand(new CommandLine(sub, factory));
    }
    cmd.setOut(new java.io.PrintWriter(out, true));
    cmd.setErr(new java.io.PrintWriter(err, true));
    // A command's header is its one-line summary in the parent's command list; its own help
    // starts at the synopsis, followed by the full description.
    hideHeaders(cmd);
    cmd.setParameterExceptionHandler(
        (ex, a) -> {
          CommandLine failed = ex.getCommandLine();
          cli.error(usageMessage(ex), null, null);
          cli.err().println(Cli.PROGRAM + ": hint: Try \"" + failed.getCommandSpec().qualifiedName()
              + " --help\" for more information.");
          return ExitCodes.USAGE;
        });
    cmd.setExecutionExceptionHandler(
        (ex, c, parseResult) -> {
          if (ex instanceof io.jwalreceiver.PgException pe) {
            cli.error(null, pe);
            return ExitCodes.forException(pe);
          }
          throw ex;
        });
    return cmd.execute(args);
  }

  /** picocli's messages, reworded the way getopt-based PostgreSQL tools say them. */
  private static String usageMessage(CommandLine.ParameterException ex) {
    if (ex instanceof CommandLine.UnmatchedArgumentException u) {
      String first = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().get(0);
      if (first.startsWith("-")) {
        return "unrecognized option \"" + first + "\"";
      }
      return "too many command-line arguments (first is \"" + first + "\")";
    }
    String m = ex.getMessage();
    return Character.toLowerCase(m.charAt(0)) + m.substring(1);
  }

  /** Hands every command the process context. */
  private static final class CommandFactory implements CommandLine.IFactory {
    private final Cli cli;
    private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

    CommandFactory(Cli cli) {
      this.cli = cli;
    }

    @Override
    public <K> K create(Class<K> type) throws Exception {
      try {
        return type.getDeclaredConstructor(Cli.class).newInstance(cli);
      } catch (NoSuchMethodException e) {
        return fallback.create(type);
      }
    }
  }

  private static void hideHeaders(CommandLine cmd) {
    java.util.List<String> keys = new java.util.ArrayList<>(cmd.getHelpSectionKeys());
    keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER_HEADING);
    keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER);
    cmd.setHelpSectionKeys(keys);
    for (CommandLine sub : cmd.getSubcommands().values()) {
      hideHeaders(sub);
    }
  }
}
