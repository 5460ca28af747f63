// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGINT and SIGTERM stop the archiver cleanly, as pg_receivewal: flush, final status, exit 0. Runs
 * the packaged jar as a real process (signals cannot be sent to an in-process run).
 */
@Tag("postgres")
class ReceiveWalSignalIT {

  private static final Path JAR = Path.of("target", "jwalreceiver.jar");

  @ParameterizedTest(name = "SIG{0}")
  @ValueSource(strings = {"TERM", "INT"})
  void stopsCleanlyOnSignal(String signal, @TempDir Path dir) throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    int major = PgVersions.highest();
    PostgresServer server = PostgresServer.shared(major);
    String slot = "signal_" + signal.toLowerCase(java.util.Locale.ROOT);
    server.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    Path log = dir.resolve("stderr.txt");
    Path archive = Files.createDirectory(dir.resolve("wal"));
    Process p =
        new ProcessBuilder(
                ClientArgs.socket(
                    server,
                    javaBin(),
                    "-jar",
                    JAR.toAbsolutePath().toString(),
                    "receivewal",
                    "-D",
                    archive.toString(),
                    "-S",
                    slot,
                    "-v",
                    "-s",
                    "1"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      awaitLogLine(log, "starting log streaming at", Duration.ofSeconds(60));
      server.generateWal(2L * 1024 * 1024);
      String target = server.currentWalLsn();
      // Wait until the receiver has written everything up to the target (its status updates,
      // every second, report the write position), then signal: the stop must flush and report it.
      awaitWritten(server, target, Duration.ofSeconds(60));
      new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
          .inheritIO()
          .start()
          .waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
      assertThat(p.exitValue()).as(Files.readString(log)).isZero();
      // The final status update reported everything written before the stop as flushed: the
      // slot moved up to it.
      String restart =
          server.queryString(
              "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
      assertThat(Lsn.parse(restart))
          .as("slot advanced to %s, WAL was at %s", restart, target)
          .isGreaterThanOrEqualTo(Lsn.parse(target));
      try (Stream<Path> files = Files.list(archive)) {
        List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
        assertThat(names).anyMatch(n -> n.endsWith(".partial"));
        assertThat(names).noneMatch(n -> n.startsWith("xlogtemp"));
      }
    } finally {
      p.destroyForcibly();
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  /**
   * A script starts the launcher in the background ({@code bash -c 'cmd &'}): the shell starts it
   * with SIGINT ignored, which a JVM cannot undo. pg_receivewal installs its handler anyway and
   * stops with exit 0; the launcher must give receivewal SIGINT back for the same result.
   */
  @org.junit.jupiter.api.Test
  void stopsOnSigintWhenAScriptStartedItInTheBackground(@TempDir Path dir) throws Exception {
    Path launcher = Path.of("..", "jwalreceiver").toAbsolutePath().normalize();
    assertThat(launcher).isExecutable();
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    PostgresServer server = PostgresServer.shared(PgVersions.highest());
    Path log = dir.resolve("stderr.txt");
    Path archive = Files.createDirectory(dir.resolve("wal"));
    String script =
        "\"$0\" receivewal -D \"$1\" -v -s 1 -h \"$2\" -p \"$3\" -U \"$4\" >\"$5\" 2>&1 &"
            + " echo $!; wait $!; echo \"exit=$?\"";
    Process shell =
        new ProcessBuilder(
                "bash",
                "-c",
                script,
                launcher.toString(),
                archive.toString(),
                server.socketDir().toString(),
                Integer.toString(server.port()),
                PostgresServer.SUPERUSER,
                log.toString())
            .redirectErrorStream(true)
            .start();
    java.io.BufferedReader out =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8));
    long pid = Long.parseLong(out.readLine().trim());
    try {
      awaitLogLine(log, "starting log streaming at", Duration.ofMinutes(2));
      // "starting log streaming" is printed before the first WAL arrives; the .partial is opened
      // with the first XLogData. Signal once it exists, so the check below is about the stop.
      awaitPartial(archive, Duration.ofSeconds(60));
      new ProcessBuilder("kill", "-INT", Long.toString(pid)).inheritIO().start().waitFor();
      boolean stopped =
          ProcessHandle.of(pid)
              .map(
                  h -> {
                    try {
                      h.onExit().get(30, TimeUnit.SECONDS);
                      return true;
                    } catch (Exception e) {
                      return false;
                    }
                  })
              .orElse(true);
      assertThat(stopped).as("stopped within 30 s of SIGINT: " + Files.readString(log)).isTrue();
      assertThat(out.readLine()).as(Files.readString(log)).isEqualTo("exit=0");
      try (Stream<Path> files = Files.list(archive)) {
        List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
        assertThat(names).anyMatch(n -> n.endsWith(".partial"));
        assertThat(names).noneMatch(n -> n.startsWith("xlogtemp"));
      }
    } finally {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      shell.destroyForcibly();
    }
  }

  private static void awaitPartial(Path archive, Duration timeout) {
    Waits.await(
        timeout,
        () -> {
          try (Stream<Path> files = Files.list(archive)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".partial"));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        () -> "a .partial in " + archive);
  }

  private static void awaitWritten(PostgresServer server, String target, Duration timeout) {
    Lsn goal = Lsn.parse(target);
    Waits.await(
        timeout,
        () ->
            Lsn.parse(
                        server.queryString(
                            "SELECT coalesce(max(write_lsn)::text, '0/0')"
                                + " FROM pg_stat_replication"
                                + " WHERE application_name = 'pg_receivewal'"))
                    .compareTo(goal)
                >= 0,
        () -> "the receiver to report writing up to " + target);
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void awaitLogLine(Path log, String text, Duration timeout) {
    Waits.await(
        timeout,
        () -> output(log).contains(text),
        () -> "\"" + text + "\" in the output; it is:\n" + output(log));
  }

  private static String output(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
