// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

/** The entry point, and the only place that calls {@link System#exit}. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(
        run(
            System.getProperty(ToolName.INVOKED_AS_PROPERTY),
            args,
            System.out,
            System.err,
            System.getenv()));
  }

  /**
   * Runs one command line as {@code jwalreceiver} and returns its exit code (the tests call this
   * in-process).
   *
   * @param env the environment the connection options read ({@code PG*} variables)
   */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    return run(null, args, out, err, env);
  }

  /**
   * Runs one command line under the name it was invoked as: a PostgreSQL tool's name ({@code
   * pg_basebackup -D dir} is {@code jwalreceiver basebackup -D dir} with that name in every
   * message), or as {@code jwalreceiver} for any other name or null.
   *
   * @param invokedAs {@code argv[0]}, the launcher's {@code $0}
   */
  public static int run(
      @Nullable String invokedAs,
      String[] args,
      PrintStream out,
      PrintStream err,
      Map<String, String> env) {
    quietSlf4j();
    Cli cli = new Cli(out, err, env, invokedAs);
    if (isVersionOnly(args)) {
      // What picocli prints for it, without building a command model (its reflection loads about
      // 200 classes, most of the start-up of a run that only prints a line). Barman runs
      // "pg_receivewal --version" from every cron run.
      out.println(new RootCommand.Version(cli).getVersion()[0]);
      out.flush();
      return 0;
    }
    ToolName tool = cli.tool();
    CommandLine cmd = commandTree(cli, RootCommand.subcommandsFor(args));
    cmd.setParameterExceptionHandler(
        (ex, a) -> {
          CommandLine failed = ex.getCommandLine();
          String getopt = tool == null ? null : getoptMessage(ex, args);
          if (getopt != null) {
            cli.err().println(cli.invokedAs() + ": " + getopt);
          } else {
            cli.error(usageMessage(ex), null, null);
          }
          cli.err()
              .println(
                  cli.program()
                      + ": hint: Try \""
                      + failed.getCommandSpec().qualifiedName()
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

  /**
   * Whether the command line is just {@code --version} or {@code -V} (HelpOptions' names), which
   * all names answer with their one version line: the PostgreSQL tools look at a lone first
   * argument the same way.
   */
  private static boolean isVersionOnly(String[] args) {
    return args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
  }

  /**
   * The whole command tree as {@link #run} builds it for {@code invokedAs}, with every command in
   * it (where a run builds only the command its first argument names): the same factory, names and
   * help sections. Under a PostgreSQL tool's name ({@link ToolName}) it is that tool's single
   * command, named {@code pg_basebackup} or {@code pg_receivewal}; otherwise {@code jwalreceiver}
   * and all its subcommands, nested ones included. The man pages and the shell completion are
   * generated from it; help and errors go to {@link System#out} and {@link System#err}.
   *
   * @param invokedAs {@code argv[0]} as in {@link #run(String, String[], PrintStream, PrintStream,
   *     Map)}, or null for {@code jwalreceiver}
   * @param env the environment the commands would read
   */
  public static CommandLine commandTree(@Nullable String invokedAs, Map<String, String> env) {
    return commandTree(new Cli(System.out, System.err, env, invokedAs), RootCommand.SUBCOMMANDS);
  }

  /**
   * The command tree for {@code cli}'s name: the tool's command under a PostgreSQL tool's name,
   * otherwise {@code jwalreceiver} with {@code subcommands}.
   */
  // DefaultCharset: picocli's help and errors are written in the charset the PrintWriter takes
  // from the stream (the platform's, or the PrintStream's own on JDK 18+), as the tools do.
  @SuppressWarnings("DefaultCharset")
  private static CommandLine commandTree(Cli cli, List<Class<?>> subcommands) {
    ToolName tool = cli.tool();
    CommandFactory factory = new CommandFactory(cli);
    CommandLine cmd;
    if (tool != null) {
      cmd = new CommandLine(tool.command(), factory);
      cmd.setCommandName(tool.programName());
    } else {
      cmd = new CommandLine(new RootCommand(), factory);
      for (Class<?> sub : subcommands) {
        cmd.addSubcommand(new CommandLine(sub, factory));
      }
    }
    // getopt lets a repeated option's last value win; picocli would refuse the repetition.
    cmd.setOverwrittenOptionsAllowed(true);
    cmd.setOut(new java.io.PrintWriter(cli.out(), true));
    cmd.setErr(new java.io.PrintWriter(cli.err(), true));
    // A command's header is its one-line summary in the parent's command list; its own help
    // starts at the synopsis, followed by the full description.
    hideHeaders(cmd);
    return cmd;
  }

  /**
   * What glibc's getopt_long prints (after {@code argv[0]} and a colon, with no {@code error:} tag)
   * for an unknown option or a missing argument, which the PostgreSQL tools leave to it; null for
   * other mistakes.
   */
  private static @Nullable String getoptMessage(CommandLine.ParameterException ex, String[] args) {
    if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String first = u.getUnmatched().get(0);
      if (first.startsWith("--")) {
        return "unrecognized option '" + first + "'";
      }
      if (first.startsWith("-") && first.length() > 1) {
        return "invalid option -- '" + first.charAt(1) + "'";
      }
      return null;
    }
    if (ex instanceof CommandLine.MissingParameterException m
        && m.getMissing() != null
        && !m.getMissing().isEmpty()
        && m.getMissing().get(0) instanceof CommandLine.Model.OptionSpec option) {
      // The name as typed: the last argument that is one of the option's names.
      for (int i = args.length - 1; i >= 0; i--) {
        if (List.of(option.names()).contains(args[i])) {
          return args[i].startsWith("--")
              ? "option '" + args[i] + "' requires an argument"
              : "option requires an argument -- '" + args[i].substring(1) + "'";
        }
      }
    }
    return null;
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
    String m = Objects.requireNonNull(ex.getMessage());
    return Character.toLowerCase(m.charAt(0)) + m.substring(1);
  }

  /**
   * Hands every command the process context (and the version provider, through its constructor).
   */
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
        K made = fallback.create(type);
        if (made instanceof CliCommand command) {
          command.cli = cli;
        }
        return made;
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

  /**
   * The AWS SDK (object-storage targets) logs through SLF4J, which the jar ships without a
   * provider; SLF4J would say so in three lines on stderr of every such command, noise in the
   * server log a {@code restore_command} writes to. The SDK's own log lines are dropped anyway.
   */
  private static void quietSlf4j() {
    if (System.getProperty(SLF4J_VERBOSITY) == null) {
      System.setProperty(SLF4J_VERBOSITY, "ERROR");
    }
  }

  private static final String SLF4J_VERBOSITY = "slf4j.internal.verbosity";
}
