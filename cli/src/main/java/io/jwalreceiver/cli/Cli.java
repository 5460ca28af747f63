// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * What a command needs from its process: the streams, the environment and the program name.
 * Commands print only through here, so the output conventions of the PostgreSQL tools ({@code prog:
 * error: …}, {@code prog: detail: …}, {@code prog: hint: …}) live in one place.
 */
public final class Cli {

  /** The program's own name, the message prefix unless it runs under a PostgreSQL tool's name. */
  public static final String PROGRAM = "jwalreceiver";

  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> env;
  private final String invokedAs;
  private final @Nullable ToolName tool;

  public Cli(PrintStream out, PrintStream err, Map<String, String> env) {
    this(out, err, env, null);
  }

  /**
   * A process context that knows the name the program was invoked as.
   *
   * @param invokedAs the command's {@code argv[0]} ({@code /usr/local/bin/pg_basebackup}); a
   *     PostgreSQL tool's name makes this a run under that name; null for {@code jwalreceiver}
   */
  public Cli(
      PrintStream out, PrintStream err, Map<String, String> env, @Nullable String invokedAs) {
    this.out = out;
    this.err = err;
    this.env = Map.copyOf(env);
    this.tool = ToolName.of(invokedAs).orElse(null);
    // A tool was recognised, so invokedAs was given.
    this.invokedAs = tool == null ? PROGRAM : Objects.requireNonNull(invokedAs);
  }

  /**
   * The program's {@code argv[0]} as invoked: getopt's messages ({@code unrecognized option}) start
   * with it, path included, where the tools' own messages use {@link #program()}.
   */
  public String invokedAs() {
    return invokedAs;
  }

  /** The PostgreSQL tool this run stands in for, or null when it runs as {@code jwalreceiver}. */
  public @Nullable ToolName tool() {
    return tool;
  }

  /** The name every message starts with: {@code pg_basebackup}, or {@code jwalreceiver}. */
  public String program() {
    return tool == null ? PROGRAM : tool.programName();
  }

  /**
   * The command line that shows the help of {@code subcommand} ({@code "bench wal"}): {@code
   * jwalreceiver bench wal}, or just the tool's name under a PostgreSQL tool's name.
   */
  public String commandLine(String subcommand) {
    return tool == null ? PROGRAM + " " + subcommand : tool.programName();
  }

  /** The tools' usage hint: {@code prog: hint: Try "prog --help" for more information.} */
  public void tryHelp(String subcommand) {
    err.println(
        program() + ": hint: Try \"" + commandLine(subcommand) + " --help\" for more information.");
  }

  /**
   * The same process context whose messages on standard error start with a timestamp, as
   * PostgreSQL's {@code log_line_prefix = '%m '} writes it in UTC ({@code 2026-11-27 19:50:01.123
   * UTC jwalreceiver: …}), for a daemon whose output goes to a file. The message after the prefix
   * is unchanged.
   */
  public Cli withTimestamps(InstantSource clock) {
    return new Cli(out, new TimestampedStream(err, clock), env, invokedAs);
  }

  /** Prefixes every line printed with {@code println(String)} by the time it was printed. */
  private static final class TimestampedStream extends PrintStream {
    private static final DateTimeFormatter FORMAT =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC' ", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private final InstantSource clock;

    TimestampedStream(PrintStream target, InstantSource clock) {
      super(target, true);
      this.clock = clock;
    }

    @Override
    public synchronized void println(String line) {
      super.println(FORMAT.format(clock.instant()) + line);
    }
  }

  /** Standard output, for results. */
  public PrintStream out() {
    return out;
  }

  /** Standard error, for messages. */
  public PrintStream err() {
    return err;
  }

  /** The process environment (the only view of it the commands get). */
  public Map<String, String> env() {
    return env;
  }

  /** {@code prog: message}, the tools' informational line (shown with -v). */
  public void info(String message) {
    err.println(program() + ": " + message);
  }

  /** {@code prog: warning: message}. */
  public void warning(String message) {
    err.println(program() + ": warning: " + message);
  }

  /** {@code prog: error: message} with optional detail and hint lines. */
  public void error(String message, @Nullable String detail, @Nullable String hint) {
    String program = program();
    err.println(program + ": error: " + message);
    if (detail != null) {
      err.println(program + ": detail: " + detail);
    }
    if (hint != null) {
      err.println(program + ": hint: " + hint);
    }
  }

  /**
   * Reports a failure: the context, then the error rendered as libpq renders it (server text as
   * {@code ERROR: message}), then detail and hint lines.
   *
   * @param context what was being done, e.g. {@code could not create replication slot "s"}, or null
   */
  public void error(@Nullable String context, PgException e) {
    String text = String.valueOf(e.getMessage());
    error(context == null ? text : context + ": " + text, e.detail(), e.hint());
  }

  /** Prints a server notice verbatim, as libpq's default notice processor does. */
  public void notice(ServerError notice) {
    err.println(notice.render());
  }

  /**
   * The version of this build: the shaded jar's manifest (Implementation-Version), which the JVM
   * hands over with the classes of the CDS archive, without opening the jar (reading a resource
   * would: parsing the 36 MB jar's 19,000-entry directory is a tenth of a "--version" run);
   * version.properties otherwise (classes loaded from a directory, as in the tests).
   */
  public static String version() {
    String manifest = Cli.class.getPackage().getImplementationVersion();
    if (manifest != null) {
      return manifest;
    }
    Properties p = new Properties();
    try (InputStream in = Cli.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version", "unknown");
  }
}
