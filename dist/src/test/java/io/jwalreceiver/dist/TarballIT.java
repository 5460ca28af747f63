// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.ClientArgs;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The release tarball as a user installs it (issue #15): unpacked into a directory whose name has
 * spaces, quotes and a {@code $}, run through symbolic links from another directory (the launcher
 * and the pg-bin links), a real {@code pg_basebackup -X stream} through {@code pg-bin} checked by
 * {@code verifybackup}, and the launcher's choice of Java runtime with its error lines.
 *
 * <p>Every launcher run gets an explicit environment: no {@code PG*} or {@code JWALRECEIVER_*}
 * variables, {@code JAVA_HOME} as the case needs, and a {@code PATH} that holds only what the
 * launcher needs besides Java (bash, env, readlink) plus, where the case wants one, a {@code java}.
 */
@Tag("postgres")
class TarballIT {

  private static final Duration STEP = Duration.ofMinutes(2);

  /** The Java running this test: 17 or newer (the build enforces it). */
  private static final Path THIS_JAVA = Path.of(System.getProperty("java.home"));

  private static Path base;
  private static String version;

  /** The unpacked release directory, jwalreceiver-VERSION, under a hostile directory name. */
  private static Path release;

  /** Another directory holding symbolic links: bin/jwalreceiver, pg-bin/pg_basebackup ... */
  private static Path elsewhere;

  /** bash, env and readlink, and nothing else: a PATH without java. */
  private static Path tools;

  @BeforeAll
  static void unpack() throws IOException {
    Path tarball = tarball();
    String file = tarball.getFileName().toString();
    version = file.substring("jwalreceiver-".length(), file.length() - ".tar.gz".length());
    base =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "tarball-it-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Path unpacked = Files.createDirectory(base.resolve("unpacked here, 'quoted' \"twice\" $HOME"));
    Ran r = run(Map.of(), List.of("tar", "-xzf", tarball.toString(), "-C", unpacked.toString()));
    assertThat(r.code).as(r.all()).isZero();
    release = unpacked.resolve("jwalreceiver-" + version);

    elsewhere = Files.createDirectory(base.resolve("elsewhere"));
    Path bin = Files.createDirectory(elsewhere.resolve("bin"));
    Files.createSymbolicLink(
        bin.resolve("jwalreceiver"), release.resolve("bin/jwalreceiver").toAbsolutePath());
    Path pgBin = Files.createDirectory(elsewhere.resolve("pg-bin"));
    // A link to the release's link, absolute; and one relative, across the hostile name.
    Files.createSymbolicLink(
        pgBin.resolve("pg_basebackup"), release.resolve("pg-bin/pg_basebackup").toAbsolutePath());
    Files.createSymbolicLink(
        pgBin.resolve("pg_receivewal"), pgBin.relativize(release.resolve("pg-bin/pg_receivewal")));

    tools = Files.createDirectory(base.resolve("tools"));
    for (String tool : List.of("bash", "env", "readlink")) {
      Path found =
          Stream.of("/usr/bin", "/bin")
              .map(d -> Path.of(d, tool))
              .filter(Files::isExecutable)
              .findFirst()
              .orElseThrow(() -> new AssertionError(tool + " is in neither /usr/bin nor /bin"));
      Files.createSymbolicLink(tools.resolve(tool), found);
    }
  }

  @AfterAll
  static void removeAll() {
    if (base != null) {
      run(Map.of(), List.of("rm", "-rf", "--", base.toString()));
    }
  }

  private static Path tarball() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      List<Path> found =
          files
              .filter(p -> p.getFileName().toString().matches("jwalreceiver-.+\\.tar\\.gz"))
              .toList();
      assertThat(found).as("the package phase builds one tarball in target/").hasSize(1);
      return found.get(0).toAbsolutePath();
    }
  }

  // ------------------------------------------------------------------ the archive

  @Test
  void tarballIsOwnedByRootWithTheInstalledModes() throws IOException {
    Ran r = run(Map.of(), List.of("tar", "-tvzf", tarball().toString()));
    assertThat(r.code).as(r.all()).isZero();
    String top = "jwalreceiver-" + version + "/";
    Map<String, String> modes = new HashMap<>();
    for (String line : r.out.lines().toList()) {
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
    String readme = Files.readString(release.resolve("README"));
    assertThat(readme)
        .startsWith("jwalreceiver " + version)
        .doesNotContain("@VERSION@")
        .contains("tar -xzf jwalreceiver-" + version + ".tar.gz")
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
    Ran own = launch(Map.of("JAVA_HOME", THIS_JAVA.toString()), "bin/jwalreceiver", "--version");
    assertThat(own.code).as(own.all()).isZero();
    assertThat(own.out)
        .matches("jwalreceiver \\Q" + version + "\\E \\(PostgreSQL \\d+ to \\d+\\)\n");

    for (String tool : List.of("pg_basebackup", "pg_receivewal")) {
      Ran pg = launch(Map.of("JAVA_HOME", THIS_JAVA.toString()), "pg-bin/" + tool, "--version");
      assertThat(pg.code).as(pg.all()).isZero();
      assertThat(pg.out)
          .matches(
              "\\Q"
                  + tool
                  + " (PostgreSQL) \\E\\d+\\.\\d+ \\(jwalreceiver \\Q"
                  + version
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
    Path backup = release.getParent().resolve("backup, of \"db\"");
    Map<String, String> env = Map.of("JAVA_HOME", THIS_JAVA.toString());
    Ran r =
        launch(
            env,
            "pg-bin/pg_basebackup",
            ClientArgs.socketArray(server, "-D", backup.toString(), "-X", "stream", "-c", "fast"));
    assertThat(r.code).as(r.all()).isZero();
    assertThat(backup.resolve("backup_label")).content().contains("START WAL LOCATION:");
    assertThat(backup.resolve("backup_manifest")).isRegularFile();

    Ran verify = launch(env, "bin/jwalreceiver", "verifybackup", backup.toString());
    assertThat(verify.code).as(verify.all()).isZero();
    assertThat(verify.out).isEqualTo("backup successfully verified\n");
    Path oracle = Path.of("/usr/lib/postgresql/15/bin/pg_verifybackup");
    if (major == 15 && Files.isExecutable(oracle)) {
      // Through a plain-named link: pg_verifybackup 15 runs pg_waldump by system() with the
      // directory in double quotes, so a '"' or '$' in it breaks its own WAL check.
      Path plain = Files.createSymbolicLink(base.resolve("backup-plain"), backup);
      Ran pg = run(Map.of(), List.of(oracle.toString(), plain.toString()));
      assertThat(pg.code).as(pg.all()).isZero();
      assertThat(pg.out).contains("backup successfully verified");
    }
  }

  // ------------------------------------------------------------------ the Java runtime

  @Test
  void javaHomeOfAnOldRuntimeIsRefused() throws IOException {
    Path jdk11 = fakeRuntime("fake-jdk-11", "11.0.2");
    Ran r = launch(Map.of("JAVA_HOME", jdk11.toString()), "bin/jwalreceiver", "--version");
    assertError(
        r,
        "jwalreceiver",
        "JAVA_HOME is \"" + jdk11 + "\", a Java 11 runtime; jwalreceiver needs Java 17 or newer");
  }

  @Test
  void javaHomeWithoutJavaIsRefusedWithoutFallingBack() throws IOException {
    Path empty = Files.createDirectories(base.resolve("not-a-jdk"));
    // A good java on PATH must not be used instead.
    Ran r =
        launchWithPath(
            Map.of("JAVA_HOME", empty.toString()),
            pathWithJava(THIS_JAVA.resolve("bin/java")),
            "pg-bin/pg_basebackup",
            "--version");
    assertError(
        r, "pg_basebackup", "JAVA_HOME is \"" + empty + "\", which has no executable bin/java");
  }

  @Test
  void noJavaAnywhereIsNamedWithTheFix() {
    Ran r = launchWithPath(Map.of(), tools.toString(), "bin/jwalreceiver", "--version");
    assertError(
        r, "jwalreceiver", "no Java runtime: JAVA_HOME is not set and there is no java on PATH");
    assertThat(r.err).contains("apt-get install openjdk-17-jre-headless", "JAVA_HOME");
  }

  @Test
  void anOldJavaOnPathIsRefused() throws IOException {
    Path jdk11 = fakeRuntime("fake-jdk-11-on-path", "11.0.2");
    Path java = jdk11.resolve("bin/java");
    Ran r = launchWithPath(Map.of(), pathWithJava(java), "bin/jwalreceiver", "--version");
    assertError(
        r,
        "jwalreceiver",
        "the java on PATH ("
            + base.resolve("path-" + jdk11.getFileName()).resolve("java")
            + ", in "
            + jdk11
            + ") is Java 11; jwalreceiver needs Java 17 or newer");
  }

  /** A java with no release file beside it (a wrapper script): its "java -version" decides. */
  @Test
  void aWrapperWithoutReleaseFileIsAskedForItsVersion() throws IOException {
    Path dir = Files.createDirectories(base.resolve("wrapper"));
    Path java = dir.resolve("java");
    Files.writeString(
        java,
        "#!/bin/sh\n"
            + "echo 'openjdk version \"11.0.22\" 2024-01-16' >&2\n"
            + "echo 'the wrapped Java 11 ran'\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Ran r = launchWithPath(Map.of(), dir + ":" + tools, "bin/jwalreceiver", "--version");
    assertError(
        r,
        "jwalreceiver",
        "the java on PATH (" + java + ") is Java 11; jwalreceiver needs Java 17 or newer");
  }

  @Test
  void aGoodJavaOnPathRuns() {
    Ran r =
        launchWithPath(
            Map.of(),
            pathWithJava(THIS_JAVA.resolve("bin/java")),
            "pg-bin/pg_receivewal",
            "--version");
    assertThat(r.code).as(r.all()).isZero();
    assertThat(r.out).startsWith("pg_receivewal (PostgreSQL) ");
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
        launchWithPath(
            env, pathWithJava(jdk11.resolve("bin/java")), "bin/jwalreceiver", "--version");
    assertThat(r.code).as(r.all()).isZero();
    assertThat(r.out).startsWith("jwalreceiver " + version);
    assertThat(r.err).contains("java.home = " + other.toRealPath());
  }

  // ------------------------------------------------------------------ start-up (issue #19)

  /**
   * The release's CDS archive is made for the Java that built it (this one) and used where the
   * release was unpacked, through links: our classes and picocli's come from it.
   */
  @Test
  void theCdsArchiveIsUsedWhereverTheReleaseIsUnpacked() throws IOException {
    assertThat(release.resolve("lib/jwalreceiver.jsa")).isRegularFile();
    assertThat(release.resolve("lib/jwalreceiver.jsa.runtime"))
        .content()
        .isEqualTo(runtimeLine(THIS_JAVA) + "\n");
    Ran r = launchWithOpts("-Xlog:class+load", "pg-bin/pg_basebackup", "--help");
    assertThat(r.code).as(r.all()).isZero();
    assertThat(r.out)
        .contains("io.jwalreceiver.cli.Main source: shared objects file")
        .contains("io.jwalreceiver.cli.BaseBackupCommand source: shared objects file")
        .contains("picocli.CommandLine source: shared objects file")
        .contains("Usage: pg_basebackup ");
    // With -Xshare:on the JVM exits rather than run without the archive it is given: it maps.
    Ran on = launchWithOpts("-Xshare:on", "bin/jwalreceiver", "--version");
    assertThat(on.code).as(on.all()).isZero();
    assertThat(on.out).isEqualTo("jwalreceiver " + version + " (PostgreSQL 13 to 18)\n");
    Ran help = launchWithOpts("-Xshare:on", "bin/jwalreceiver", "basebackup", "--help");
    assertThat(help.code).as(help.all()).isZero();
    assertThat(help.out).startsWith("Usage: jwalreceiver basebackup ");
  }

  /**
   * {@code --version} alone builds no picocli command model: of picocli only the types in {@code
   * Main}'s method signatures are loaded (while the JVM looks up {@code main}), none initialized.
   */
  @Test
  void versionBuildsNoPicocliModel() {
    for (String link : List.of("bin/jwalreceiver", "pg-bin/pg_receivewal")) {
      Ran r = launchWithOpts("-Xlog:class+load", link, "--version");
      assertThat(r.code).as(r.all()).isZero();
      assertThat(r.out).contains("io.jwalreceiver.cli.Main source: ");
      List<String> picocli =
          r.out
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
      Ran jvm = launchWithOpts("-Xshare:auto", link, "--version");
      assertThat(jvm.code).as(jvm.all()).isZero();
      assertThat(jvm.out).isNotBlank();
      for (String flag : List.of("--version", "-V")) {
        Ran text = launch(Map.of("JAVA_HOME", THIS_JAVA.toString()), link, flag);
        assertThat(text.code).as(text.all()).isZero();
        assertThat(text.err).isEmpty();
        assertThat(text.out).as(link + " " + flag).isEqualTo(jvm.out);
      }
      String name = link.substring(link.indexOf('/') + 1);
      assertThat(release.resolve("lib/version/" + name)).content().isEqualTo(jvm.out);
    }

    Path copy = copyOfRelease("version-text");
    Path jar = copy.resolve("lib/jwalreceiver.jar");
    Path text = copy.resolve("lib/version/jwalreceiver");
    Files.writeString(text, "the launcher's text\n");
    Files.setLastModifiedTime(text, Files.getLastModifiedTime(jar));
    Map<String, String> env = Map.of("JAVA_HOME", THIS_JAVA.toString());
    assertThat(launchIn(copy, env, "--version").out).isEqualTo("the launcher's text\n");
    assertThat(launchIn(copy, env, "-V").out).isEqualTo("the launcher's text\n");
    Ran withOpts =
        launchIn(
            copy,
            Map.of("JAVA_HOME", THIS_JAVA.toString(), "JWALRECEIVER_JAVA_OPTS", "-Xshare:auto"),
            "--version");
    assertThat(withOpts.out).startsWith("jwalreceiver " + version + " ");
    Ran extra = launchIn(copy, env, "--version", "--help");
    assertThat(extra.out).doesNotContain("the launcher's text");
    // A jar newer than the text (put in its place after the package was made): the JVM answers.
    Files.setLastModifiedTime(
        jar,
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(text).toMillis() + 60_000));
    Ran newer = launchIn(copy, env, "--version");
    assertThat(newer.code).as(newer.all()).isZero();
    assertThat(newer.out).isEqualTo("jwalreceiver " + version + " (PostgreSQL 13 to 18)\n");
  }

  /**
   * An archive the JVM cannot use is ignored without a word on stdout or stderr: another runtime
   * (the archive's runtime line claims it, so the launcher passes it), an archive whose header is
   * garbage, a jar changed after the archive was made.
   */
  @Test
  void anUnusableArchiveIsIgnoredSilently() throws IOException {
    Path other = otherInstalledRuntime();
    String versionLine = "jwalreceiver " + version + " (PostgreSQL 13 to 18)\n";

    Path foreign = copyOfRelease("cds-foreign");
    Files.writeString(foreign.resolve("lib/jwalreceiver.jsa.runtime"), runtimeLine(other) + "\n");
    assertOnlyVersion(foreign, other, versionLine);
    // The real release under the other runtime: no archive passed at all.
    assertOnlyVersion(release, other, versionLine);

    Path corrupt = copyOfRelease("cds-corrupt");
    Path archive = corrupt.resolve("lib/jwalreceiver.jsa");
    byte[] bytes = Files.readAllBytes(archive);
    for (int i = 0; i < 4096; i++) {
      bytes[i] = (byte) (i * 31 + 7);
    }
    Files.write(archive, bytes);
    assertOnlyVersion(corrupt, THIS_JAVA, versionLine);
    assertOnlyVersion(corrupt, other, versionLine);

    Path newerJar = copyOfRelease("cds-newer-jar");
    Path jar = newerJar.resolve("lib/jwalreceiver.jar");
    Files.setLastModifiedTime(
        jar,
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(jar).toMillis() + 60_000));
    assertOnlyVersion(newerJar, THIS_JAVA, versionLine);
    Ran help = launchIn(newerJar, Map.of("JAVA_HOME", THIS_JAVA.toString()), "--help");
    assertThat(help.code).as(help.all()).isZero();
    assertThat(help.err).isEmpty();
    assertThat(help.out).startsWith("Usage: jwalreceiver ");
  }

  /** The JVM's own --version (JVM options set: the launcher does not answer it itself). */
  private static void assertOnlyVersion(Path dir, Path javaHome, String versionLine) {
    Ran r =
        launchIn(
            dir,
            Map.of("JAVA_HOME", javaHome.toString(), "JWALRECEIVER_JAVA_OPTS", "-Xshare:auto"),
            "--version");
    assertThat(r.code).as(r.all()).isZero();
    assertThat(r.out).isEqualTo(versionLine);
    assertThat(r.err).isEmpty();
  }

  /** A copy of the release (mtimes kept) under {@link #base}. */
  private static Path copyOfRelease(String name) {
    Path copy = base.resolve(name);
    Ran r = run(Map.of(), List.of("cp", "-a", "--", release.toString(), copy.toString()));
    assertThat(r.code).as(r.all()).isZero();
    return copy;
  }

  /** The JAVA_RUNTIME_VERSION and OS_ARCH lines of a runtime's release file, as cds.sh writes. */
  private static String runtimeLine(Path javaHome) throws IOException {
    List<String> lines = Files.readAllLines(javaHome.toRealPath().resolve("release"));
    return releaseLine(lines, "JAVA_RUNTIME_VERSION=") + " " + releaseLine(lines, "OS_ARCH=");
  }

  private static String releaseLine(List<String> lines, String key) {
    return lines.stream().filter(l -> l.startsWith(key)).findFirst().orElseThrow();
  }

  // ------------------------------------------------------------------ helpers

  private static void assertError(Ran r, String prefix, String error) {
    assertThat(r.code).as(r.all()).isEqualTo(1);
    assertThat(r.out).as("nothing ran").isEmpty();
    List<String> lines = r.err.lines().toList();
    assertThat(lines).as(r.err).hasSize(2);
    assertThat(lines.get(0)).isEqualTo(prefix + ": error: " + error);
    assertThat(lines.get(1)).startsWith(prefix + ": hint: ");
  }

  /**
   * A directory that looks like a Java runtime of {@code version}: its release file says so, and
   * its bin/java, if the launcher ran it anyway, exits 0 (so a missed refusal fails the test).
   */
  private static Path fakeRuntime(String name, String version) throws IOException {
    Path home = Files.createDirectories(base.resolve(name));
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

  /** A PATH of {@link #tools} and a directory whose java links to {@code java}. */
  private static String pathWithJava(Path java) {
    Path dir = base.resolve("path-" + java.getParent().getParent().getFileName());
    try {
      if (!Files.exists(dir)) {
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("java"), java);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir + ":" + tools;
  }

  /**
   * An installed Java 17+ runtime other than the one this test runs on (the newest under
   * /usr/lib/jvm), or this one when there is no other.
   */
  private static Path otherInstalledRuntime() throws IOException {
    Path self = THIS_JAVA.toRealPath();
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return THIS_JAVA;
    }
    List<Map.Entry<Integer, Path>> found = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(jvms)) {
      for (Path dir : dirs.toList()) {
        Path real = dir.toRealPath();
        Path releaseFile = real.resolve("release");
        if (real.equals(self)
            || !Files.isExecutable(real.resolve("bin/java"))
            || !Files.isRegularFile(releaseFile)) {
          continue;
        }
        Optional<Integer> feature =
            Files.readAllLines(releaseFile).stream()
                .filter(l -> l.startsWith("JAVA_VERSION=\""))
                .map(l -> l.replaceAll("^JAVA_VERSION=\"(\\d+).*", "$1"))
                .filter(v -> v.matches("\\d+"))
                .map(Integer::valueOf)
                .findFirst();
        if (feature.isPresent() && feature.get() >= 17) {
          found.add(Map.entry(feature.get(), real));
        }
      }
    }
    return found.stream()
        .max(Comparator.comparing((Map.Entry<Integer, Path> e) -> e.getKey()))
        .map(Map.Entry::getValue)
        .orElse(THIS_JAVA);
  }

  private record Ran(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  /** Runs {@code link} (under {@link #elsewhere}) with {@link #tools} and the given PATH. */
  private static Ran launch(Map<String, String> env, String link, String... args) {
    return launchWithPath(env, tools.toString(), link, args);
  }

  /** Runs {@code link} on this Java with {@code JWALRECEIVER_JAVA_OPTS} set to {@code opts}. */
  private static Ran launchWithOpts(String opts, String link, String... args) {
    return launch(
        Map.of("JAVA_HOME", THIS_JAVA.toString(), "JWALRECEIVER_JAVA_OPTS", opts), link, args);
  }

  /** Runs {@code dir}'s bin/jwalreceiver with {@link #tools} as PATH. */
  private static Ran launchIn(Path dir, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(dir.resolve("bin/jwalreceiver").toString());
    command.addAll(List.of(args));
    Map<String, String> all = new HashMap<>(env);
    all.put("PATH", tools.toString());
    return run(all, command);
  }

  /** Runs {@code link} (under {@link #elsewhere}) with {@code path} as PATH. */
  private static Ran launchWithPath(
      Map<String, String> env, String path, String link, String... args) {
    List<String> command = new ArrayList<>();
    command.add(elsewhere.resolve(link).toString());
    command.addAll(List.of(args));
    Map<String, String> all = new HashMap<>(env);
    all.put("PATH", path);
    return run(all, command);
  }

  /**
   * Runs a program with this JVM's environment less the PG*, JAVA_HOME and JWALRECEIVER_*
   * variables, plus {@code env} (through env(1), which unsets and sets them).
   */
  private static Ran run(Map<String, String> env, List<String> command) {
    List<String> line = new ArrayList<>(List.of("env"));
    System.getenv().keySet().stream()
        .filter(k -> k.startsWith("PG") || k.equals("JAVA_HOME") || k.startsWith("JWALRECEIVER_"))
        .sorted()
        .forEach(k -> line.addAll(List.of("-u", k)));
    env.forEach((k, v) -> line.add(k + "=" + v));
    line.addAll(command);
    Tools.Result r = Tools.run(STEP, line);
    System.out.printf("[exit %d] %s %s%n%s", r.exitCode(), env, command, r.all().indent(4));
    return new Ran(r.exitCode(), r.stdout(), r.stderr());
  }
}
