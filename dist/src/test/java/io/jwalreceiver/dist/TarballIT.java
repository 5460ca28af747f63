// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static io.jwalreceiver.dist.UnpackedTarball.THIS_JAVA;
import static io.jwalreceiver.dist.UnpackedTarball.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.dist.UnpackedTarball.Ran;
import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The release tarball as a user installs it (issue #15), unpacked by {@link UnpackedTarball}: the
 * archive's owners and modes, its README, runs through symbolic links from another directory (the
 * launcher and the pg-bin links), and a real {@code pg_basebackup -X stream} through {@code pg-bin}
 * checked by {@code verifybackup}. The launcher's choice of Java runtime is {@link
 * TarballJavaSelectionIT}'s, its start-up (version texts, CDS archive) {@link TarballStartupIT}'s.
 */
@Tag("postgres")
class TarballIT {

  @RegisterExtension static final UnpackedTarball tarball = new UnpackedTarball();

  // ------------------------------------------------------------------ the archive

  @Test
  void tarballIsOwnedByRootWithTheInstalledModes() throws IOException {
    Ran r = run(Map.of(), List.of("tar", "-tvzf", tarball.file().toString()));
    assertThat(r.code()).as(r.all()).isZero();
    String top = "jwalreceiver-" + tarball.version() + "/";
    Map<String, String> modes = new HashMap<>();
    for (String line : r.out().lines().toList()) {
      // drwxr-xr-x 0/0 0 2026-12-07 02:34 jwalreceiver-V/bin/ [-> target]
      String[] f = line.split("\\s+", 6);
      assertThat(f[1]).as("owner of " + line + " (no user name, no id but 0)").isEqualTo("0/0");
      assertThat(f[5]).as("every entry under " + top).startsWith(top);
      String entry = f[5].substring(top.length());
      modes.put(entry, f[0]);
      String expected =
          switch (f[0].charAt(0)) {
            case 'd' -> "drwxr-xr-x";
            case 'l' -> "lrwxrwxrwx";
            default -> entry.startsWith("bin/") ? "-rwxr-xr-x" : "-rw-r--r--";
          };
      assertThat(f[0]).as("mode of " + line).isEqualTo(expected);
    }
    assertThat(modes)
        .containsEntry("README", "-rw-r--r--")
        .containsEntry("bin/jwalreceiver", "-rwxr-xr-x")
        .containsEntry("lib/jwalreceiver.jar", "-rw-r--r--")
        .containsEntry("lib/jwalreceiver.jsa", "-rw-r--r--")
        .containsEntry("lib/jwalreceiver.jsa.runtime", "-rw-r--r--")
        .containsEntry("lib/version/jwalreceiver", "-rw-r--r--")
        .containsEntry("lib/version/pg_basebackup", "-rw-r--r--")
        .containsEntry("lib/version/pg_receivewal", "-rw-r--r--")
        .containsEntry("pg-bin/pg_basebackup -> ../bin/jwalreceiver", "lrwxrwxrwx")
        .containsEntry("pg-bin/pg_receivewal -> ../bin/jwalreceiver", "lrwxrwxrwx");
  }

  @Test
  void readmeSaysHowToInstall() throws IOException {
    String readme = Files.readString(tarball.release().resolve("README"));
    assertThat(readme)
        .startsWith("jwalreceiver " + tarball.version())
        .doesNotContain("@VERSION@")
        .contains("tar -xzf jwalreceiver-" + tarball.version() + ".tar.gz")
        .contains("path_prefix = /opt/jwalreceiver/pg-bin")
        .contains("MANPATH=")
        .contains("share/bash-completion/completions/jwalreceiver")
        .contains("share/zsh/site-functions")
        .contains("jwalreceiver-receivewal@.service")
        .contains("JAVA_HOME")
        .contains("apt-get install openjdk-17-jre-headless");
  }

  // ------------------------------------------------------------------ through links

  @Test
  void runsThroughLinksFromAnotherDirectory() {
    Ran own =
        tarball.launch(Map.of("JAVA_HOME", THIS_JAVA.toString()), "bin/jwalreceiver", "--version");
    assertThat(own.code()).as(own.all()).isZero();
    assertThat(own.out())
        .matches("jwalreceiver \\Q" + tarball.version() + "\\E \\(PostgreSQL \\d+ to \\d+\\)\n");

    for (String tool : List.of("pg_basebackup", "pg_receivewal")) {
      Ran pg =
          tarball.launch(Map.of("JAVA_HOME", THIS_JAVA.toString()), "pg-bin/" + tool, "--version");
      assertThat(pg.code()).as(pg.all()).isZero();
      assertThat(pg.out())
          .matches(
              "\\Q"
                  + tool
                  + " (PostgreSQL) \\E\\d+\\.\\d+ \\(jwalreceiver \\Q"
                  + tarball.version()
                  + "\\E\\)\n");
    }
  }

  /**
   * pg_basebackup through a link to the release's pg-bin link, into a directory with the hostile
   * name: the backup must verify (our verifybackup; PostgreSQL 15's pg_verifybackup too on 15).
   */
  @Test
  void takesAVerifiedBackupThroughPgBin() throws IOException {
    int major = PgVersions.selected().contains(15) ? 15 : PgVersions.highest();
    PostgresServer server = PostgresServer.shared(major);
    Path backup = tarball.release().getParent().resolve("backup, of \"db\"");
    Map<String, String> env = Map.of("JAVA_HOME", THIS_JAVA.toString());
    Ran r =
        tarball.launch(
            env,
            "pg-bin/pg_basebackup",
            ClientArgs.socketArray(server, "-D", backup.toString(), "-X", "stream", "-c", "fast"));
    assertThat(r.code()).as(r.all()).isZero();
    assertThat(backup.resolve("backup_label")).content().contains("START WAL LOCATION:");
    assertThat(backup.resolve("backup_manifest")).isRegularFile();

    Ran verify = tarball.launch(env, "bin/jwalreceiver", "verifybackup", backup.toString());
    assertThat(verify.code()).as(verify.all()).isZero();
    assertThat(verify.out()).isEqualTo("backup successfully verified\n");
    Path oracle = Path.of("/usr/lib/postgresql/15/bin/pg_verifybackup");
    if (major == 15 && Files.isExecutable(oracle)) {
      // Through a plain-named link: pg_verifybackup 15 runs pg_waldump by system() with the
      // directory in double quotes, so a '"' or '$' in it breaks its own WAL check.
      Path plain = Files.createSymbolicLink(tarball.base().resolve("backup-plain"), backup);
      Ran pg = run(Map.of(), List.of(oracle.toString(), plain.toString()));
      assertThat(pg.code()).as(pg.all()).isZero();
      assertThat(pg.out()).contains("backup successfully verified");
    }
  }
}
