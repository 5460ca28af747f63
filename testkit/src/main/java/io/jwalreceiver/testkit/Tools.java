// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.Commands;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Runs the programs tests use as oracles ({@code tar}, {@code gzip -t}, {@code pg_waldump}, {@code
 * pg_receivewal} ...) with a deadline, stdout and stderr kept apart.
 *
 * <p>Unlike {@link Commands#run}, which prepares initdb and pg_ctl (interleaved output, no {@code
 * PG*} variables, C locale, a result at the deadline), the environment is inherited as it is and a
 * run that outlives its deadline fails the test. Both share one way of running a process (stdin
 * from {@code /dev/null}, output through temporary files, the process tree killed at the deadline).
 */
public final class Tools {

  /** The deadline {@link #run(List)} gives a program. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

  private Tools() {}

  /**
   * The outcome of one program run.
   *
   * @param command what ran
   * @param exitCode the exit status
   * @param stdout standard output
   * @param stderr standard error
   */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {

    /**
     * Both streams, for assertion messages.
     *
     * @return stdout followed by stderr
     */
    public String all() {
      return stdout + stderr;
    }
  }

  /**
   * Runs a program with {@link #DEFAULT_TIMEOUT}.
   *
   * @param command the program and its arguments
   * @return its exit status and output
   * @throws AssertionError when it is still running at the deadline (it is killed)
   */
  public static Result run(List<String> command) {
    return run(DEFAULT_TIMEOUT, command);
  }

  /**
   * Runs a program.
   *
   * @param timeout how long it may run
   * @param command the program and its arguments
   * @return its exit status and output
   * @throws AssertionError when it is still running at the deadline (it is killed)
   */
  public static Result run(Duration timeout, String... command) {
    return run(timeout, List.of(command));
  }

  /**
   * Runs a program.
   *
   * @param timeout how long it may run
   * @param command the program and its arguments
   * @return its exit status and output
   * @throws AssertionError when it is still running at the deadline (it is killed)
   */
  public static Result run(Duration timeout, List<String> command) {
    Commands.Captured c = Commands.capture(command, null, false, false, timeout);
    if (c.killed()) {
      throw new AssertionError(
          "timed out after "
              + timeout.toSeconds()
              + " s: "
              + command
              + "\n"
              + c.stdout()
              + c.stderr());
    }
    return new Result(List.copyOf(command), c.exitCode(), c.stdout(), c.stderr());
  }

  /**
   * Whether a program is on the {@code PATH}.
   *
   * @param tool the program's name, for example {@code lz4}
   * @return true when an executable of that name is in a {@code PATH} directory
   */
  public static boolean installed(String tool) {
    return find(tool).isPresent();
  }

  /**
   * Where a program is on the {@code PATH} ({@code /usr/bin:/bin} when it is not set).
   *
   * @param tool the program's name
   * @return the first executable of that name, if any
   */
  public static Optional<Path> find(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return Optional.of(Path.of(dir, tool));
      }
    }
    return Optional.empty();
  }
}
