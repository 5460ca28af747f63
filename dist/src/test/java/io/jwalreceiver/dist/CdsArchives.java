// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What {@link DebianPackageIT} needs to tell which class-data sharing archive an installed command
 * ran with: where the package keeps them, the key the launcher matches them by (a runtime's {@code
 * JAVA_RUNTIME_VERSION} and {@code OS_ARCH} lines) and the JVM's own account of the archive it
 * opened.
 */
final class CdsArchives {

  /** Where the postinst makes the archive for the installed Java. */
  static final Path CACHE = Path.of("/var/cache/jwalreceiver");

  /** The archive the postinst makes. */
  static final Path CACHE_ARCHIVE = CACHE.resolve("jwalreceiver.jsa");

  /** Its runtime file: the key, written last. */
  static final Path CACHE_RUNTIME = CACHE.resolve("jwalreceiver.jsa.runtime");

  /** The archive made at package time, for the build's Java. */
  static final Path LIB_ARCHIVE = Path.of("/usr/share/jwalreceiver/lib/jwalreceiver.jsa");

  /**
   * JVM options (for {@code JWALRECEIVER_JAVA_OPTS}, after the launcher's, so they win over its
   * {@code -Xlog:cds*=off}) under which a command proves the archive it runs with: with {@code
   * -Xshare:on} the JVM exits rather than run without an archive it was given, {@code -Xlog:cds}
   * names the archive it opened, {@code -Xlog:class+load} where each class came from.
   */
  static final String PROVE_SHARING = "-Xshare:on -Xlog:cds -Xlog:class+load";

  /** JDK 17: "Opened archive PATH."; JDK 21 and later: "Opened shared archive file PATH.". */
  private static final Pattern OPENED =
      Pattern.compile("Opened (?:shared )?archive (?:file )?(\\S+?)\\.?$");

  private CdsArchives() {}

  /**
   * A command run under {@link #PROVE_SHARING}.
   *
   * @param command the command and its arguments
   * @return {@code env JWALRECEIVER_JAVA_OPTS=... command...}
   */
  static String[] provingSharing(String... command) {
    List<String> line = new ArrayList<>(List.of("env", "JWALRECEIVER_JAVA_OPTS=" + PROVE_SHARING));
    line.addAll(Arrays.asList(command));
    return line.toArray(String[]::new);
  }

  /**
   * The identity of a file (device and inode): a file replaced by a rename has another.
   *
   * @param file a file
   * @return its key
   * @throws IOException if it cannot be read
   */
  static Object fileKey(Path file) throws IOException {
    Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    assertThat(key).as("the file key of %s", file).isNotNull();
    return key;
  }

  /**
   * The first executable {@code java} in a PATH, as the launcher chooses it without JAVA_HOME.
   *
   * @param path a PATH value of absolute directories
   * @return that java
   */
  static Path javaOn(String path) {
    for (String dir : path.split(":")) {
      Path java = Path.of(dir, "java");
      if (Files.isRegularFile(java) && Files.isExecutable(java)) {
        return java;
      }
    }
    throw new AssertionError("no java on " + path);
  }

  /**
   * The line the launcher matches an archive's runtime file against for a java executable: the
   * {@code JAVA_RUNTIME_VERSION} and {@code OS_ARCH} lines of its runtime's release file,
   * space-separated.
   *
   * @param java a java executable, through links
   * @return the line, without a newline
   * @throws IOException if the release file cannot be read
   */
  static String runtimeLine(Path java) throws IOException {
    return runtimeLineOfHome(java.toRealPath().getParent().getParent());
  }

  /**
   * {@link #runtimeLine} for a runtime's home directory (what cds.sh and make-cds write as an
   * archive's runtime file, without the newline).
   *
   * @param home a Java home, through links
   * @return the line, without a newline
   * @throws IOException if the release file cannot be read
   */
  static String runtimeLineOfHome(Path home) throws IOException {
    List<String> release = Files.readAllLines(home.toRealPath().resolve("release"));
    String line =
        release.stream()
                .filter(l -> l.startsWith("JAVA_RUNTIME_VERSION="))
                .collect(Collectors.joining())
            + " "
            + release.stream().filter(l -> l.startsWith("OS_ARCH=")).collect(Collectors.joining());
    assertThat(line)
        .as("the runtime line of %s", home)
        .matches("JAVA_RUNTIME_VERSION=.+ OS_ARCH=.+");
    return line;
  }

  /**
   * The archive a JVM started with {@code -Xlog:cds} opened.
   *
   * @param output the JVM's standard output
   * @return its path, or "" when it opened none
   */
  static String opened(String output) {
    for (String line : output.lines().toList()) {
      Matcher m = OPENED.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    return "";
  }

  /**
   * Asserts that a command run with {@link #PROVE_SHARING} succeeded with {@code archive}: the JVM
   * opened it, and our main class and picocli's came from it (the JDK's own archive has neither).
   *
   * @param run the command's result
   * @param archive the archive it must have run with
   */
  static void assertRanWith(Tools.Result run, Path archive) {
    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(opened(run.stdout())).as(run.stdout()).isEqualTo(archive.toString());
    assertThat(run.stdout())
        .contains("io.jwalreceiver.cli.Main source: shared objects file")
        .contains("picocli.CommandLine source: shared objects file");
  }

  /**
   * Asserts that the cache holds an archive for a runtime, readable by everyone and written by root
   * only, as its runtime file.
   *
   * @param runtime the runtime line the cache must be for
   * @throws IOException if the archive's attributes cannot be read
   */
  static void assertCacheIsFor(String runtime) throws IOException {
    assertThat(CACHE_RUNTIME).content().isEqualTo(runtime + "\n");
    for (Path p : List.of(CACHE, CACHE_ARCHIVE, CACHE_RUNTIME)) {
      assertThat(Files.getOwner(p).getName()).as("owner of %s", p).isEqualTo("root");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
          .as("mode of %s", p)
          .isEqualTo(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--");
    }
    assertThat(CACHE_ARCHIVE).isNotEmptyFile();
  }

  /**
   * Asserts that a command run with {@code -Xlog:cds} while the cache's runtime file named another
   * runtime did not use the cache but, where the package's own archive is for this Java, that one.
   *
   * @param run the command's result
   * @param machine the runtime line of the Java it ran on
   * @throws IOException if the package's runtime file cannot be read
   */
  static void assertFellBackFromTheCache(Tools.Result run, String machine) throws IOException {
    assertThat(run.exitCode()).as(run.all()).isZero();
    String opened = opened(run.stdout());
    assertThat(opened).as(run.stdout()).isNotEqualTo(CACHE_ARCHIVE.toString());
    String lib = Files.readString(LIB_ARCHIVE.resolveSibling("jwalreceiver.jsa.runtime"));
    if (lib.equals(machine + "\n")) {
      assertThat(opened)
          .as("the package's own archive, made for this Java")
          .isEqualTo(LIB_ARCHIVE.toString());
    }
  }
}
