// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static io.jwalreceiver.dist.UnpackedTarball.THIS_JAVA;
import static io.jwalreceiver.dist.UnpackedTarball.otherInstalledRuntime;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.dist.UnpackedTarball.Ran;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The launcher of the unpacked release tarball ({@link UnpackedTarball}) chooses its Java runtime:
 * JAVA_HOME first, then the java on PATH, each refused with an error line and a hint when it is not
 * Java 17 or newer (from its release file, or a wrapper's {@code java -version}), and never a
 * fallback from a bad JAVA_HOME to PATH.
 */
class TarballJavaSelectionIT {

  @RegisterExtension static final UnpackedTarball tarball = new UnpackedTarball();

  @Test
  void javaHomeOfAnOldRuntimeIsRefused() throws IOException {
    Path jdk11 = fakeRuntime("fake-jdk-11", "11.0.2");
    Ran r = tarball.launch(Map.of("JAVA_HOME", jdk11.toString()), "bin/jwalreceiver", "--version");
    assertError(
        r,
        "jwalreceiver",
        "JAVA_HOME is \"" + jdk11 + "\", a Java 11 runtime; jwalreceiver needs Java 17 or newer");
  }

  @Test
  void javaHomeWithoutJavaIsRefusedWithoutFallingBack() throws IOException {
    Path empty = Files.createDirectories(tarball.base().resolve("not-a-jdk"));
    // A good java on PATH must not be used instead.
    Ran r =
        tarball.launchWithPath(
            Map.of("JAVA_HOME", empty.toString()),
            pathWithJava(THIS_JAVA.resolve("bin/java")),
            "pg-bin/pg_basebackup",
            "--version");
    assertError(
        r, "pg_basebackup", "JAVA_HOME is \"" + empty + "\", which has no executable bin/java");
  }

  @Test
  void noJavaAnywhereIsNamedWithTheFix() {
    Ran r =
        tarball.launchWithPath(
            Map.of(), tarball.tools().toString(), "bin/jwalreceiver", "--version");
    assertError(
        r, "jwalreceiver", "no Java runtime: JAVA_HOME is not set and there is no java on PATH");
    assertThat(r.err()).contains("apt-get install openjdk-17-jre-headless", "JAVA_HOME");
  }

  @Test
  void anOldJavaOnPathIsRefused() throws IOException {
    Path jdk11 = fakeRuntime("fake-jdk-11-on-path", "11.0.2");
    Path java = jdk11.resolve("bin/java");
    Ran r = tarball.launchWithPath(Map.of(), pathWithJava(java), "bin/jwalreceiver", "--version");
    assertError(
        r,
        "jwalreceiver",
        "the java on PATH ("
            + tarball.base().resolve("path-" + jdk11.getFileName()).resolve("java")
            + ", in "
            + jdk11
            + ") is Java 11; jwalreceiver needs Java 17 or newer");
  }

  /** A java with no release file beside it (a wrapper script): its "java -version" decides. */
  @Test
  void aWrapperWithoutReleaseFileIsAskedForItsVersion() throws IOException {
    Path dir = Files.createDirectories(tarball.base().resolve("wrapper"));
    Path java = dir.resolve("java");
    Files.writeString(
        java,
        "#!/bin/sh\n"
            + "echo 'openjdk version \"11.0.22\" 2024-01-16' >&2\n"
            + "echo 'the wrapped Java 11 ran'\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Ran r =
        tarball.launchWithPath(
            Map.of(), dir + ":" + tarball.tools(), "bin/jwalreceiver", "--version");
    assertError(
        r,
        "jwalreceiver",
        "the java on PATH (" + java + ") is Java 11; jwalreceiver needs Java 17 or newer");
  }

  @Test
  void aGoodJavaOnPathRuns() {
    Ran r =
        tarball.launchWithPath(
            Map.of(),
            pathWithJava(THIS_JAVA.resolve("bin/java")),
            "pg-bin/pg_receivewal",
            "--version");
    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out()).startsWith("pg_receivewal (PostgreSQL) ");
  }

  /**
   * JAVA_HOME names another installed runtime (Temurin 25 on the CI machine) and PATH an old one:
   * the JVM that runs is JAVA_HOME's.
   */
  @Test
  void javaHomeWinsOverPath() throws IOException {
    Path other = otherInstalledRuntime();
    Path jdk11 = fakeRuntime("fake-jdk-11-shadowed", "11.0.2");
    Map<String, String> env =
        Map.of(
            "JAVA_HOME", other.toString(), "JWALRECEIVER_JAVA_OPTS", "-XshowSettings:properties");
    Ran r =
        tarball.launchWithPath(
            env, pathWithJava(jdk11.resolve("bin/java")), "bin/jwalreceiver", "--version");
    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out()).startsWith("jwalreceiver " + tarball.version());
    assertThat(r.err()).contains("java.home = " + other.toRealPath());
  }

  // ------------------------------------------------------------------ helpers

  private static void assertError(Ran r, String prefix, String error) {
    assertThat(r.code()).as(r.all()).isEqualTo(1);
    assertThat(r.out()).as("nothing ran").isEmpty();
    List<String> lines = r.err().lines().toList();
    assertThat(lines).as(r.err()).hasSize(2);
    assertThat(lines.get(0)).isEqualTo(prefix + ": error: " + error);
    assertThat(lines.get(1)).startsWith(prefix + ": hint: ");
  }

  /**
   * A directory that looks like a Java runtime of {@code version}: its release file says so, and
   * its bin/java, if the launcher ran it anyway, exits 0 (so a missed refusal fails the test).
   */
  private static Path fakeRuntime(String name, String version) throws IOException {
    Path home = Files.createDirectories(tarball.base().resolve(name));
    Files.writeString(
        home.resolve("release"),
        "IMPLEMENTOR=\"Fake\"\nJAVA_VERSION=\""
            + version
            + "\"\nJAVA_VERSION_DATE=\"2019-01-15\"\n");
    Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
    Files.writeString(java, "#!/bin/sh\necho 'the fake Java " + version + " ran'\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return home;
  }

  /** A PATH of {@link UnpackedTarball#tools} and a directory whose java links to {@code java}. */
  private static String pathWithJava(Path java) {
    Path dir = tarball.base().resolve("path-" + java.getParent().getParent().getFileName());
    try {
      if (!Files.exists(dir)) {
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("java"), java);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir + ":" + tarball.tools();
  }
}
