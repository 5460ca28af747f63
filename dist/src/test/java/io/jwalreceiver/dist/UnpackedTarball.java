// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The release tarball of target/ unpacked as a user installs it, for the tarball ITs ({@link
 * TarballIT}, {@link TarballJavaSelectionIT}, {@link TarballStartupIT}): under a directory whose
 * name has spaces, quotes and a {@code $}, with symbolic links to its launcher and pg-bin links in
 * another directory, and the runs of those links. A JUnit extension: {@code @RegisterExtension
 * static final UnpackedTarball tarball = new UnpackedTarball();} unpacks it before the class's
 * tests and removes it after them.
 *
 * <p>Every launcher run gets an explicit environment: no {@code PG*} or {@code JWALRECEIVER_*}
 * variables, {@code JAVA_HOME} as the case needs, and a {@code PATH} that holds only what the
 * launcher needs besides Java (bash, env, readlink) plus, where the case wants one, a {@code java}.
 */
final class UnpackedTarball implements BeforeAllCallback, AfterAllCallback {

  private static final Duration STEP = Duration.ofMinutes(2);

  /** The Java running this test: 17 or newer (the build enforces it). */
  static final Path THIS_JAVA = Path.of(System.getProperty("java.home"));

  /** A program's exit code and output. */
  record Ran(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  /**
   * Where it is unpacked; {@code elsewhere} is another directory holding symbolic links:
   * bin/jwalreceiver, pg-bin/pg_basebackup ...
   */
  private record Dirs(
      Path file, String version, Path base, Path release, Path elsewhere, Path tools) {}

  private @Nullable Dirs dirs;

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    dirs = unpack();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (dirs != null) {
      run(Map.of(), List.of("rm", "-rf", "--", dirs.base().toString()));
      dirs = null;
    }
  }

  private Dirs dirs() {
    return Objects.requireNonNull(dirs, "the tarball is unpacked before all tests");
  }

  /** The tarball. */
  Path file() {
    return dirs().file();
  }

  /** The release's version, from the tarball's name. */
  String version() {
    return dirs().version();
  }

  /** The temporary directory holding everything below, removed after all tests. */
  Path base() {
    return dirs().base();
  }

  /** The unpacked release directory, jwalreceiver-VERSION, under a hostile directory name. */
  Path release() {
    return dirs().release();
  }

  /** bash, env and readlink, and nothing else: a PATH without java. */
  Path tools() {
    return dirs().tools();
  }

  /** Unpacks the one tarball of target/ into a new directory under /tmp and links to it. */
  private static Dirs unpack() throws IOException {
    Path file = tarball();
    String name = file.getFileName().toString();
    String version = name.substring("jwalreceiver-".length(), name.length() - ".tar.gz".length());
    Path base =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "tarball-it-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Path unpacked = Files.createDirectory(base.resolve("unpacked here, 'quoted' \"twice\" $HOME"));
    Ran r = run(Map.of(), List.of("tar", "-xzf", file.toString(), "-C", unpacked.toString()));
    assertThat(r.code()).as(r.all()).isZero();
    Path release = unpacked.resolve("jwalreceiver-" + version);

    Path elsewhere = Files.createDirectory(base.resolve("elsewhere"));
    Path bin = Files.createDirectory(elsewhere.resolve("bin"));
    Files.createSymbolicLink(
        bin.resolve("jwalreceiver"), release.resolve("bin/jwalreceiver").toAbsolutePath());
    Path pgBin = Files.createDirectory(elsewhere.resolve("pg-bin"));
    // A link to the release's link, absolute; and one relative, across the hostile name.
    Files.createSymbolicLink(
        pgBin.resolve("pg_basebackup"), release.resolve("pg-bin/pg_basebackup").toAbsolutePath());
    Files.createSymbolicLink(
        pgBin.resolve("pg_receivewal"), pgBin.relativize(release.resolve("pg-bin/pg_receivewal")));

    Path tools = Files.createDirectory(base.resolve("tools"));
    for (String tool : List.of("bash", "env", "readlink")) {
      Path found =
          Stream.of("/usr/bin", "/bin")
              .map(d -> Path.of(d, tool))
              .filter(Files::isExecutable)
              .findFirst()
              .orElseThrow(() -> new AssertionError(tool + " is in neither /usr/bin nor /bin"));
      Files.createSymbolicLink(tools.resolve(tool), found);
    }
    return new Dirs(file, version, base, release, elsewhere, tools);
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

  /** A copy of the release (mtimes kept) under {@link #base}. */
  Path copyOfRelease(String name) {
    Path copy = base().resolve(name);
    Ran r = run(Map.of(), List.of("cp", "-a", "--", release().toString(), copy.toString()));
    assertThat(r.code()).as(r.all()).isZero();
    return copy;
  }

  /**
   * Sets {@code file}'s modification time a minute after {@code than}'s ({@code than} may be {@code
   * file} itself): the file was changed after the other was made.
   */
  static void makeNewer(Path file, Path than) throws IOException {
    Files.setLastModifiedTime(
        file, FileTime.fromMillis(Files.getLastModifiedTime(than).toMillis() + 60_000));
  }

  /**
   * An installed Java 17+ runtime other than the one this test runs on (the newest under
   * /usr/lib/jvm), or this one when there is no other.
   */
  static Path otherInstalledRuntime() throws IOException {
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

  /** Runs {@code link} (under the directory of links elsewhere) with {@link #tools} as PATH. */
  Ran launch(Map<String, String> env, String link, String... args) {
    return launchWithPath(env, tools().toString(), link, args);
  }

  /** Runs {@code link} on this Java with {@code JWALRECEIVER_JAVA_OPTS} set to {@code opts}. */
  Ran launchWithOpts(String opts, String link, String... args) {
    return launch(
        Map.of("JAVA_HOME", THIS_JAVA.toString(), "JWALRECEIVER_JAVA_OPTS", opts), link, args);
  }

  /** Runs {@code dir}'s bin/jwalreceiver with {@link #tools} as PATH. */
  Ran launchIn(Path dir, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(dir.resolve("bin/jwalreceiver").toString());
    command.addAll(List.of(args));
    Map<String, String> all = new HashMap<>(env);
    all.put("PATH", tools().toString());
    return run(all, command);
  }

  /** Runs {@code link} (under the directory of links elsewhere) with {@code path} as PATH. */
  Ran launchWithPath(Map<String, String> env, String path, String link, String... args) {
    List<String> command = new ArrayList<>();
    command.add(dirs().elsewhere().resolve(link).toString());
    command.addAll(List.of(args));
    Map<String, String> all = new HashMap<>(env);
    all.put("PATH", path);
    return run(all, command);
  }

  /**
   * Runs a program with this JVM's environment less the PG*, JAVA_HOME and JWALRECEIVER_*
   * variables, plus {@code env} (through env(1), which unsets and sets them).
   */
  static Ran run(Map<String, String> env, List<String> command) {
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
