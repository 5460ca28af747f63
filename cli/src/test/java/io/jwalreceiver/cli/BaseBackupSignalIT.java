// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * basebackup on SIGINT and SIGTERM ends as PostgreSQL 15's pg_basebackup does on the same server:
 * pg_basebackup installs no handler, so the signal ends it at once (status 128 + signal) and the
 * partial target directory stays (its clean-up runs at exit(), not on a signal).
 */
@Tag("postgres")
class BaseBackupSignalIT {

  private static final Path JAR = Path.of("target", "jwalreceiver.jar");

  @TempDir Path dir;

  private record Outcome(int exitCode, boolean targetLeft) {}

  private Outcome interrupt(List<String> command, Path target, String signal) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(target.getFileName() + ".log").toFile())
            .start();
    try {
      // Rate-limited to 32 kB/s: still copying when the first files have arrived.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(target.resolve("PG_VERSION")) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(p.isAlive()).as("still copying").isTrue();
      new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return new Outcome(p.exitValue(), Files.exists(target));
    } finally {
      p.destroyForcibly();
    }
  }

  @ParameterizedTest(name = "SIG{0}")
  @ValueSource(strings = {"INT", "TERM"})
  void endsAsPgBasebackupOnSignal(String signal) throws Exception {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    // pg_basebackup 15 refuses newer servers.
    assumeTrue(PgVersions.selected().contains(15), "PostgreSQL 15 not selected");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/lib/postgresql/15/bin/pg_basebackup")),
        "PostgreSQL 15's pg_basebackup is not installed");
    PostgresServer server = PostgresServer.shared(15);
    List<String> connection = ClientArgs.socket(server, "-r", "32k");
    Path theirs = dir.resolve("theirs");
    List<String> pg =
        new java.util.ArrayList<>(
            List.of("/usr/lib/postgresql/15/bin/pg_basebackup", "-D", theirs.toString()));
    pg.addAll(connection);
    Path ours = dir.resolve("ours");
    List<String> jw =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toAbsolutePath().toString(),
                "basebackup",
                "-D",
                ours.toString()));
    jw.addAll(connection);
    Outcome expected = interrupt(pg, theirs, signal);
    assertThat(interrupt(jw, ours, signal)).isEqualTo(expected);
  }
}
