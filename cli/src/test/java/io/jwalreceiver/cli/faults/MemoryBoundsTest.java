// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.testkit.BackendBytes.frameHeader;
import static io.jwalreceiver.testkit.BackendBytes.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.cli.Main;
import io.jwalreceiver.testkit.ScriptedBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays bounded whatever a server sends: the command line runs in a JVM of its own with a 32
 * MB heap against a {@link ScriptedBackend} that sends more than any bound — a manifest that never
 * ends, a CopyData length of 48 MiB, a pax header that claims a gigabyte, a 40 MiB timeline history
 * file. Each run must end by itself with one error line and exit 1, without OutOfMemoryError or a
 * stack trace, and leave no target directory behind.
 */
class MemoryBoundsTest {

  private static final long DEADLINE_SECONDS = 120;

  @TempDir Path tmp;

  /** Runs {@code Main} in a fresh {@code java -Xmx32m} against the server. */
  private Run fork(ScriptedBackend server, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    command.addAll(List.of(args));
    Path err = tmp.resolve("stderr");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile());
    pb.environment().putAll(HostileBackupServerTest.env(server));
    Process p = pb.start();
    try {
      assertThat(p.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)).as("the run ends").isTrue();
    } finally {
      p.destroyForcibly();
    }
    return new Run(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
  }

  private record Run(int exit, String stderr) {}

  private void assertOneErrorLine(Run run, String expected) {
    assertThat(run.stderr())
        .as("stderr")
        .doesNotContain("OutOfMemoryError")
        .doesNotContain("\tat ")
        .doesNotContain("Exception");
    assertThat(run.exit()).as(run.stderr()).isEqualTo(1);
    assertThat(run.stderr()).startsWith("jwalreceiver: error: ").contains(expected).endsWith("\n");
    assertThat(run.stderr().lines().count()).as(run.stderr()).isEqualTo(1);
  }

  /** basebackup into {@code <tmp>/backup}, which must be gone afterwards. */
  private Run basebackup(ScriptedBackend server) throws Exception {
    Run run =
        fork(
            server,
            "basebackup",
            "-D",
            tmp.resolve("backup").toString(),
            "-X",
            "none",
            "--no-sync");
    assertThat(tmp.resolve("backup")).as(run.stderr()).doesNotExist();
    return run;
  }

  /** A server whose BASE_BACKUP answer starts well, then {@code hostile} writes forever. */
  private static ScriptedBackend backupThen(Hostile hostile) throws IOException {
    return new ScriptedBackend()
        .on(
            "BASE_BACKUP",
            (command, out) -> {
              var w = new ScriptedBackend.BaseBackupWriter(out).begin().archive("base.tar", "");
              hostile.send(w, out);
            })
        .start();
  }

  @FunctionalInterface
  private interface Hostile {
    void send(ScriptedBackend.BaseBackupWriter w, OutputStream out) throws IOException;
  }

  /** Writes {@code block} until the client hangs up. */
  private static void forever(OutputStream out, byte[] block) throws IOException {
    while (true) {
      out.write(block);
    }
  }

  @Test
  void aManifestThatNeverEnds() throws Exception {
    byte[] base =
        HostileBackupServerTest.tar(
            w ->
                HostileBackupServerTest.cluster()
                    .forEach((n, c) -> HostileBackupServerTest.file(w, n, c)));
    try (ScriptedBackend server =
        backupThen(
            (w, out) -> {
              w.data(base)
                  .manifest()
                  .data(
                      "{ \"PostgreSQL-Backup-Manifest-Version\": 1, \"Files\": [\n"
                          .getBytes(StandardCharsets.UTF_8));
              for (int i = 0; ; i += 1000) {
                // Always new paths: nothing repeats that a parser could catch early.
                StringBuilder b = new StringBuilder();
                for (int j = 0; j < 1000; j++) {
                  b.append("{ \"Path\": \"base/").append(i + j).append("\", \"Size\": 0 },\n");
                }
                w.data(b.toString().getBytes(StandardCharsets.UTF_8));
              }
            })) {
      assertOneErrorLine(basebackup(server), "manifest is larger than");
    }
  }

  @Test
  void aCopyDataOf48MiB() throws Exception {
    try (ScriptedBackend server =
        backupThen(
            (w, out) -> {
              out.write(frameHeader('d', 48 * 1024 * 1024 + 4));
              out.write('d');
              forever(out, new byte[64 * 1024]);
            })) {
      assertOneErrorLine(basebackup(server), "more than the limit of");
    }
  }

  @Test
  void aPaxHeaderThatClaimsAGigabyte() throws Exception {
    TarHeader pax =
        new TarHeader("././@PaxHeader", 0644, 0, 0, 1L << 30, 0, TarHeader.PAX_EXTENDED, "");
    try (ScriptedBackend server =
        backupThen(
            (w, out) -> {
              w.data(pax.encode());
              byte[] records =
                  "1000000 path="
                      .concat("a".repeat(64 * 1024 - 13))
                      .getBytes(StandardCharsets.UTF_8);
              while (true) {
                w.data(records);
              }
            })) {
      assertOneErrorLine(basebackup(server), "more than the limit of");
    }
  }

  @Test
  void aTimelineHistoryFileOf40MiB() throws Exception {
    String line = "# " + "x".repeat(97) + "\n";
    String history =
        line.repeat(40 * 1024 * 1024 / line.length())
            + "1\t0/3000000\tno recovery target specified\n";
    try (ScriptedBackend server =
        new ScriptedBackend()
            .timeline(2)
            .on(
                "TIMELINE_HISTORY",
                (command, out) ->
                    out.write(
                        result(
                            List.of("filename", "content"),
                            List.of("00000002.history", history),
                            "TIMELINE_HISTORY")))
            .start()) {
      Path wal = Files.createDirectories(tmp.resolve("wal"));
      assertOneErrorLine(
          fork(server, "receivewal", "-D", wal.toString(), "--no-loop"), "more than the limit of");
      try (var files = Files.list(wal)) {
        assertThat(files).isEmpty();
      }
    }
  }
}
