// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code initdb} and {@code pg_ctl} of one PostgreSQL installation, run as the {@link ServerUser}:
 * the process plumbing under the testkit's {@code PostgresServer} and the command line's {@code
 * demo}. Every method returns the command's {@link Commands.Result}; none throws on a failed
 * command.
 */
public final class PgCtl {

  /** How long {@code initdb} and {@code pg_ctl start} may take. */
  public static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  /** How long {@code pg_ctl stop} waits for the server to shut down. */
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final Path binDir;

  /**
   * Uses the programs in a {@code bin} directory.
   *
   * @param binDir holds {@code initdb}, {@code pg_ctl}, {@code postgres}
   */
  public PgCtl(Path binDir) {
    this.binDir = binDir;
  }

  /**
   * The installation of a major version, from {@link PgBinaries#binDir(int)}.
   *
   * @param major 13 to 18
   * @return the wrapper
   */
  public static PgCtl of(int major) {
    return new PgCtl(PgBinaries.binDir(major));
  }

  /**
   * The {@code bin} directory.
   *
   * @return an absolute path
   */
  public Path binDir() {
    return binDir;
  }

  /**
   * Runs {@code initdb -D dataDir -U superuser --auth=trust -E UTF8 --locale=C [extraArgs]}.
   *
   * @param dataDir the new cluster's directory (missing or empty)
   * @param superuser the database superuser's name
   * @param extraArgs more initdb arguments
   * @param workDir a working directory the server user can enter
   * @return the result
   */
  public Commands.Result initdb(
      Path dataDir, String superuser, List<String> extraArgs, Path workDir) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                binDir.resolve("initdb").toString(),
                "-D",
                dataDir.toString(),
                "-U",
                superuser,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C"));
    cmd.addAll(extraArgs);
    return ServerUser.get().run(cmd, workDir, START_TIMEOUT);
  }

  /**
   * Runs {@code pg_ctl start -D dataDir -l logFile -w}.
   *
   * @param dataDir the cluster
   * @param logFile the server log (its directory must be writable by the server user)
   * @param workDir a working directory the server user can enter
   * @return the result
   */
  public Commands.Result start(Path dataDir, Path logFile, Path workDir) {
    return pgCtl(
        List.of(
            "start",
            "-D",
            dataDir.toString(),
            "-l",
            logFile.toString(),
            "-w",
            "-t",
            Long.toString(START_TIMEOUT.toSeconds())),
        workDir,
        START_TIMEOUT.plusSeconds(10));
  }

  /**
   * Runs {@code pg_ctl stop -D dataDir -m mode -w}.
   *
   * @param dataDir the cluster
   * @param mode {@code smart}, {@code fast} or {@code immediate}
   * @param wait how long pg_ctl waits for the shutdown
   * @param workDir a working directory the server user can enter
   * @return the result
   */
  public Commands.Result stop(Path dataDir, String mode, Duration wait, Path workDir) {
    return pgCtl(
        List.of(
            "stop",
            "-D",
            dataDir.toString(),
            "-m",
            mode,
            "-w",
            "-t",
            Long.toString(wait.toSeconds())),
        workDir,
        wait.plusSeconds(10));
  }

  /**
   * Runs {@code pg_ctl} with any arguments, e.g. {@code promote -D dataDir -w}.
   *
   * @param args the arguments after {@code pg_ctl}
   * @param workDir a working directory the server user can enter
   * @param timeout how long to wait before killing pg_ctl
   * @return the result
   */
  public Commands.Result pgCtl(List<String> args, Path workDir, Duration timeout) {
    List<String> cmd = new ArrayList<>();
    cmd.add(binDir.resolve("pg_ctl").toString());
    cmd.addAll(args);
    return ServerUser.get().run(cmd, workDir, timeout);
  }

  /**
   * The postmaster running from a data directory, read from its {@code postmaster.pid}.
   *
   * @param dataDir the cluster
   * @return the live process, or empty
   */
  public static Optional<ProcessHandle> postmaster(Path dataDir) {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
      if (lines.isEmpty()) {
        return Optional.empty();
      }
      return ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Kills a postmaster and its children at once (SIGKILL), waiting up to 5 s for it to exit.
   *
   * @param postmaster the process
   */
  public static void kill(ProcessHandle postmaster) {
    List<ProcessHandle> children = postmaster.children().toList();
    postmaster.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    try {
      postmaster.onExit().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Best effort: the caller is already failing or shutting down.
    }
  }

  /**
   * The last lines of a server log, decoded leniently (a log line may hold bytes in any encoding).
   *
   * @param logFile the log
   * @param lines how many lines
   * @return the lines, or empty text if the file cannot be read
   */
  public static String logTail(Path logFile, int lines) {
    try {
      List<String> all =
          new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).lines().toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * A TCP port that is free on {@code host} at the moment (another process may take it before the
   * server binds it).
   *
   * @param host the address to bind
   * @return the port
   */
  public static int freePort(String host) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }
}
