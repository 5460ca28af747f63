// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs external commands with a clean environment, a deadline and captured output. Used for initdb
 * and pg_ctl by {@link PgCtl} (so by the testkit's fixture and the command line's {@code demo}),
 * and through {@link #capture} by the testkit's runner of oracle programs.
 */
public final class Commands {

  private Commands() {}

  /**
   * The outcome of one command.
   *
   * @param command what ran
   * @param exitCode the exit status ({@code -1} when it was killed at the deadline)
   * @param output stdout and stderr, interleaved
   */
  public record Result(List<String> command, int exitCode, String output) {

    /**
     * Whether the command succeeded.
     *
     * @return true on exit status 0
     */
    public boolean ok() {
      return exitCode == 0;
    }

    /**
     * Throws unless the command succeeded.
     *
     * @return this result
     * @throws PostgresServerException with the command and its output on failure
     */
    public Result check() {
      if (!ok()) {
        throw new PostgresServerException(
            "command failed (exit " + exitCode + "): " + String.join(" ", command) + "\n" + output);
      }
      return this;
    }
  }

  /**
   * Runs a command and waits for it.
   *
   * <p>Output goes to a temporary file rather than a pipe, so a daemon the command leaves behind
   * (the postmaster that {@code pg_ctl start} forks) can never keep us waiting for end of stream.
   *
   * @param command the program and its arguments
   * @param workDir the working directory (must be accessible to the user the command runs as)
   * @param timeout how long to wait before killing it
   * @return the result, successful or not
   */
  public static Result run(List<String> command, Path workDir, Duration timeout) {
    Captured c = capture(command, workDir, true, true, timeout);
    String text = c.stdout();
    if (c.killed()) {
      text += "\n[killed after " + timeout.toSeconds() + " s]";
    }
    return new Result(List.copyOf(command), c.killed() ? -1 : c.exitCode(), text);
  }

  /**
   * What {@link #capture} saw of one run.
   *
   * @param exitCode the exit status (meaningless when killed)
   * @param killed whether the deadline passed and the process (and its descendants) was killed
   * @param stdout standard output, or both streams interleaved when they were merged
   * @param stderr standard error, or empty when merged
   */
  public record Captured(int exitCode, boolean killed, String stdout, String stderr) {}

  /**
   * Runs a command with stdin from {@code /dev/null} and output into temporary files (never pipes,
   * so a daemon left behind cannot keep us waiting for end of stream); kills it and its descendants
   * at the deadline. Shared by {@link #run} and the testkit's {@code Tools.run}.
   *
   * @param command the program and its arguments
   * @param workDir the working directory, or null for the current one
   * @param cleanEnv whether to drop {@code PG*} variables and pin the C locale
   * @param merge whether stderr goes into stdout (interleaved) rather than apart
   * @param timeout how long to wait before killing it
   * @return what the run produced
   */
  public static Captured capture(
      List<String> command,
      @Nullable Path workDir,
      boolean cleanEnv,
      boolean merge,
      Duration timeout) {
    Path out = null;
    @Nullable Path err = null;
    try {
      out = Files.createTempFile("jwalreceiver-cmd-", ".out");
      err = merge ? null : Files.createTempFile("jwalreceiver-cmd-", ".err");
      ProcessBuilder pb = new ProcessBuilder(command);
      if (workDir != null) {
        pb.directory(workDir.toFile());
      }
      if (cleanEnv) {
        cleanEnvironment(pb.environment());
      }
      if (err == null) {
        pb.redirectErrorStream(true);
      } else {
        pb.redirectError(err.toFile());
      }
      pb.redirectOutput(out.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      Process process = pb.start();
      boolean killed = false;
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        killed = true;
      }
      int exit = process.isAlive() ? -1 : process.exitValue();
      return new Captured(
          exit,
          killed,
          Files.readString(out, StandardCharsets.UTF_8),
          err == null ? "" : Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PostgresServerException("interrupted while running " + command.get(0), e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static void deleteQuietly(@Nullable Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // A leftover temp file is harmless.
      }
    }
  }

  /** Drops {@code PG*} variables (they would redirect initdb/pg_ctl) and pins the C locale. */
  private static void cleanEnvironment(Map<String, String> env) {
    env.keySet().removeIf(k -> k.startsWith("PG"));
    env.remove("LC_ALL");
    env.put("LC_ALL", "C");
    env.put("LANG", "C");
  }
}
