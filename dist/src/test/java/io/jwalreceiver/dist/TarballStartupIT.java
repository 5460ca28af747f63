// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static io.jwalreceiver.dist.UnpackedTarball.THIS_JAVA;
import static io.jwalreceiver.dist.UnpackedTarball.makeNewer;
import static io.jwalreceiver.dist.UnpackedTarball.otherInstalledRuntime;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.dist.UnpackedTarball.Ran;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Start-up of the unpacked release tarball ({@link UnpackedTarball}, issue #19): the CDS archive is
 * used wherever the release is unpacked and ignored silently where the JVM cannot use it, {@code
 * --version} builds no picocli model, and the launcher's version texts are the jar's own answers
 * and step aside for a newer jar or JVM options.
 */
class TarballStartupIT {

  @RegisterExtension static final UnpackedTarball tarball = new UnpackedTarball();

  /**
   * The release's CDS archive is made for the Java that built it (this one) and used where the
   * release was unpacked, through links: our classes and picocli's come from it.
   */
  @Test
  void theCdsArchiveIsUsedWhereverTheReleaseIsUnpacked() throws IOException {
    assertThat(tarball.release().resolve("lib/jwalreceiver.jsa")).isRegularFile();
    assertThat(tarball.release().resolve("lib/jwalreceiver.jsa.runtime"))
        .content()
        .isEqualTo(CdsArchives.runtimeLineOfHome(THIS_JAVA) + "\n");
    Ran r = tarball.launchWithOpts("-Xlog:class+load", "pg-bin/pg_basebackup", "--help");
    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("io.jwalreceiver.cli.Main source: shared objects file")
        .contains("io.jwalreceiver.cli.BaseBackupCommand source: shared objects file")
        .contains("picocli.CommandLine source: shared objects file")
        .contains("Usage: pg_basebackup ");
    // With -Xshare:on the JVM exits rather than run without the archive it is given: it maps.
    Ran on = tarball.launchWithOpts("-Xshare:on", "bin/jwalreceiver", "--version");
    assertThat(on.code()).as(on.all()).isZero();
    assertThat(on.out())
        .isEqualTo("jwalreceiver " + tarball.version() + " (PostgreSQL 13 to 18)\n");
    Ran help = tarball.launchWithOpts("-Xshare:on", "bin/jwalreceiver", "basebackup", "--help");
    assertThat(help.code()).as(help.all()).isZero();
    assertThat(help.out()).startsWith("Usage: jwalreceiver basebackup ");
  }

  /**
   * {@code --version} alone builds no picocli command model: of picocli only the types in {@code
   * Main}'s method signatures are loaded (while the JVM looks up {@code main}), none initialized.
   */
  @Test
  void versionBuildsNoPicocliModel() {
    for (String link : List.of("bin/jwalreceiver", "pg-bin/pg_receivewal")) {
      Ran r = tarball.launchWithOpts("-Xlog:class+load", link, "--version");
      assertThat(r.code()).as(r.all()).isZero();
      assertThat(r.out()).contains("io.jwalreceiver.cli.Main source: ");
      List<String> picocli =
          r.out()
              .lines()
              .filter(l -> l.contains("[class,load] picocli."))
              .map(l -> l.replaceAll(".*\\[class,load\\] (\\S+) .*", "$1"))
              .toList();
      assertThat(picocli)
          .isSubsetOf(
              "picocli.CommandLine",
              "picocli.CommandLine$IFactory",
              "picocli.CommandLine$IVersionProvider");
    }
  }

  /**
   * A lone {@code --version} or {@code -V} is answered by the launcher from lib/version/NAME, which
   * is byte for byte the jar's own answer under each name; a text older than the jar, JVM options
   * or any other argument send it to the JVM.
   */
  @Test
  void versionTextsAreTheJarsOwnAnswersAndStepAsideForANewerJar() throws IOException {
    for (String link :
        List.of("bin/jwalreceiver", "pg-bin/pg_basebackup", "pg-bin/pg_receivewal")) {
      Ran jvm = tarball.launchWithOpts("-Xshare:auto", link, "--version");
      assertThat(jvm.code()).as(jvm.all()).isZero();
      assertThat(jvm.out()).isNotBlank();
      for (String flag : List.of("--version", "-V")) {
        Ran text = tarball.launch(Map.of("JAVA_HOME", THIS_JAVA.toString()), link, flag);
        assertThat(text.code()).as(text.all()).isZero();
        assertThat(text.err()).isEmpty();
        assertThat(text.out()).as(link + " " + flag).isEqualTo(jvm.out());
      }
      String name = link.substring(link.indexOf('/') + 1);
      assertThat(tarball.release().resolve("lib/version/" + name)).content().isEqualTo(jvm.out());
    }

    Path copy = tarball.copyOfRelease("version-text");
    Path jar = copy.resolve("lib/jwalreceiver.jar");
    Path text = copy.resolve("lib/version/jwalreceiver");
    Files.writeString(text, "the launcher's text\n");
    Files.setLastModifiedTime(text, Files.getLastModifiedTime(jar));
    Map<String, String> env = Map.of("JAVA_HOME", THIS_JAVA.toString());
    assertThat(tarball.launchIn(copy, env, "--version").out()).isEqualTo("the launcher's text\n");
    assertThat(tarball.launchIn(copy, env, "-V").out()).isEqualTo("the launcher's text\n");
    Ran withOpts =
        tarball.launchIn(
            copy,
            Map.of("JAVA_HOME", THIS_JAVA.toString(), "JWALRECEIVER_JAVA_OPTS", "-Xshare:auto"),
            "--version");
    assertThat(withOpts.out()).startsWith("jwalreceiver " + tarball.version() + " ");
    Ran extra = tarball.launchIn(copy, env, "--version", "--help");
    assertThat(extra.out()).doesNotContain("the launcher's text");
    // A jar newer than the text (put in its place after the package was made): the JVM answers.
    makeNewer(jar, text);
    Ran newer = tarball.launchIn(copy, env, "--version");
    assertThat(newer.code()).as(newer.all()).isZero();
    assertThat(newer.out())
        .isEqualTo("jwalreceiver " + tarball.version() + " (PostgreSQL 13 to 18)\n");
  }

  /**
   * An archive the JVM cannot use is ignored without a word on stdout or stderr: another runtime
   * (the archive's runtime line claims it, so the launcher passes it), an archive whose header is
   * garbage, a jar changed after the archive was made.
   */
  @Test
  void anUnusableArchiveIsIgnoredSilently() throws IOException {
    Path other = otherInstalledRuntime();
    String versionLine = "jwalreceiver " + tarball.version() + " (PostgreSQL 13 to 18)\n";

    Path foreign = tarball.copyOfRelease("cds-foreign");
    Files.writeString(
        foreign.resolve("lib/jwalreceiver.jsa.runtime"),
        CdsArchives.runtimeLineOfHome(other) + "\n");
    assertOnlyVersion(foreign, other, versionLine);
    // The real release under the other runtime: no archive passed at all.
    assertOnlyVersion(tarball.release(), other, versionLine);

    Path corrupt = tarball.copyOfRelease("cds-corrupt");
    Path archive = corrupt.resolve("lib/jwalreceiver.jsa");
    byte[] bytes = Files.readAllBytes(archive);
    for (int i = 0; i < 4096; i++) {
      bytes[i] = (byte) (i * 31 + 7);
    }
    Files.write(archive, bytes);
    assertOnlyVersion(corrupt, THIS_JAVA, versionLine);
    assertOnlyVersion(corrupt, other, versionLine);

    Path newerJar = tarball.copyOfRelease("cds-newer-jar");
    Path jar = newerJar.resolve("lib/jwalreceiver.jar");
    makeNewer(jar, jar); // changed after the archive was made, which CDS checks by mtime
    assertOnlyVersion(newerJar, THIS_JAVA, versionLine);
    Ran help = tarball.launchIn(newerJar, Map.of("JAVA_HOME", THIS_JAVA.toString()), "--help");
    assertThat(help.code()).as(help.all()).isZero();
    assertThat(help.err()).isEmpty();
    assertThat(help.out()).startsWith("Usage: jwalreceiver ");
  }

  /** The JVM's own --version (JVM options set: the launcher does not answer it itself). */
  private static void assertOnlyVersion(Path dir, Path javaHome, String versionLine) {
    Ran r =
        tarball.launchIn(
            dir,
            Map.of("JAVA_HOME", javaHome.toString(), "JWALRECEIVER_JAVA_OPTS", "-Xshare:auto"),
            "--version");
    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out()).isEqualTo(versionLine);
    assertThat(r.err()).isEmpty();
  }
}
