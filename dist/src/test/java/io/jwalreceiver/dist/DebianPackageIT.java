// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Debian package as a user gets it (issue #15): {@code dpkg -i target/jwalreceiver_*_all.deb}
 * once for the class, then the installed commands run with a clean environment from an empty
 * directory (no clone, no {@code JWALRECEIVER_*} variables): {@code jwalreceiver} through PATH, the
 * PostgreSQL-named links in {@code /usr/lib/jwalreceiver/bin}, the man pages, a real backup, the
 * systemd unit checked by {@code systemd-analyze verify}, lintian where it is installed, and Barman
 * with the links as its {@code path_prefix} ({@link BarmanScenario}, on {@link
 * PgVersions#spread()}); last, {@code dpkg --purge} leaves nothing behind.
 *
 * <p>Runs only as root with dpkg (CI is both) and refuses to run when jwalreceiver is already
 * installed: it would purge an installation it did not make.
 */
@Tag("postgres")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianPackageIT {

  private static final String PACKAGE = "jwalreceiver";
  private static final Duration STEP = Duration.ofMinutes(3);
  private static final Path LINKS = Path.of("/usr/lib/jwalreceiver/bin");
  private static final String UNIT = "jwalreceiver-receivewal@.service";
  private static final String EXAMPLES = "/usr/share/doc/jwalreceiver/examples";

  /**
   * Debian's PATH for root, under which dpkg runs here (and so the postinst's choice of java), and
   * the CDS tests' commands: the test's own PATH may name another java first.
   */
  private static final String ROOT_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** The release directory the package was built from: what it holds decides what to expect. */
  private static final Path STAGE = stage();

  /** The package's paths (as {@code dpkg-deb -c} lists them) and whether each existed before. */
  private final Map<Path, Boolean> existedBefore = new LinkedHashMap<>();

  private final Set<Path> etcBefore = new TreeSet<>();
  private Path deb = Path.of("");
  private boolean installed;

  @BeforeAll
  void install() throws IOException {
    assumeTrue(
        "root".equals(System.getProperty("user.name")) && Tools.installed("dpkg"),
        "installing a Debian package needs root and dpkg");
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      List<Path> debs =
          files
              .filter(p -> p.getFileName().toString().matches("jwalreceiver_.*_all\\.deb"))
              .toList();
      assertThat(debs).as("the package phase builds exactly one .deb").hasSize(1);
      deb = debs.get(0).toAbsolutePath();
    }
    Tools.Result status = Tools.run(STEP, "dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE);
    assertThat(status.exitCode() == 0 ? status.stdout() : "not-installed")
        .as(
            "the package %s is already on this machine (dpkg status: %s). This test installs and"
                + " purges it, and will not remove an installation it did not make: run"
                + " 'dpkg --purge %s' yourself first, or run the test elsewhere",
            PACKAGE, status.stdout(), PACKAGE)
        .isEqualTo("not-installed");

    for (Path p : packagePaths()) {
      existedBefore.put(p, Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    }
    etcBefore.addAll(etc());
    Tools.Result r = Tools.run(STEP, "env", "PATH=" + ROOT_PATH, "dpkg", "-i", deb.toString());
    installed = r.exitCode() == 0;
    assertThat(r.exitCode()).as("dpkg -i %s: %s", deb, r.all()).isZero();
  }

  /** Purges the package if a test stopped before {@link #purgeLeavesNothingBehind} did. */
  @AfterAll
  void purgeIfStillInstalled() {
    if (installed) {
      Tools.run(STEP, "dpkg", "--purge", PACKAGE);
    }
  }

  private List<Path> packagePaths() {
    Tools.Result r =
        Tools.run(
            STEP, "sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -tf -", "sh", deb.toString());
    assertThat(r.exitCode()).as(r.all()).isZero();
    return r.stdout()
        .lines()
        .map(l -> l.replaceFirst("^\\./?", "/").replaceFirst("(.)/$", "$1"))
        .filter(l -> !l.equals("/"))
        .map(Path::of)
        .toList();
  }

  private static Set<Path> etc() throws IOException {
    try (Stream<Path> all = Files.walk(Path.of("/etc"))) {
      return all.collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /**
   * Runs an installed command as a user's shell would, from an empty directory with only PATH, HOME
   * and LANG set: nothing of the checkout or the build reaches it.
   */
  private static Tools.Result user(Path cwd, String path, String... command) {
    List<String> line =
        new ArrayList<>(
            List.of(
                "env", "-i", "-C", cwd.toString(), "PATH=" + path, "HOME=/root", "LANG=C.UTF-8"));
    line.addAll(Arrays.asList(command));
    Tools.Result r = Tools.run(STEP, line);
    System.out.printf(
        "[exit %d] %s%n%s", r.exitCode(), String.join(" ", command), r.all().indent(4));
    return r;
  }

  private static Tools.Result userOk(Path cwd, String path, String... command) {
    Tools.Result r = user(cwd, path, command);
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", command), r.all()).isZero();
    return r;
  }

  private static Path stage() {
    try (Stream<Path> dirs = Files.list(Path.of("target/stage"))) {
      return dirs.filter(Files::isDirectory).findFirst().orElse(Path.of("target/stage/none"));
    } catch (IOException e) {
      return Path.of("target/stage/none");
    }
  }

  private static boolean staged(String relative) {
    return Files.exists(STAGE.resolve(relative));
  }

  @Test
  @Order(1)
  void runsThroughPathWithNoCloneAround(@TempDir Path cwd) {
    String path = "/usr/bin:/bin";
    assertThat(userOk(cwd, path, "sh", "-c", "command -v jwalreceiver").stdout().strip())
        .isEqualTo("/usr/bin/jwalreceiver");
    assertThat(userOk(cwd, path, "jwalreceiver", "--version").stdout()).startsWith("jwalreceiver ");
    assertThat(userOk(cwd, path, "jwalreceiver", "--help").stdout()).contains("receivewal");
    // The links stay off PATH: PostgreSQL's own tools (if any) are what PATH finds.
    assertThat(user(cwd, path, "sh", "-c", "command -v pg_basebackup").stdout())
        .doesNotContain(LINKS.toString());
  }

  @Test
  @Order(2)
  void linksAnswerAsThePostgresqlTools(@TempDir Path cwd) {
    String path = "/usr/bin:/bin";
    for (String tool : List.of("pg_basebackup", "pg_receivewal")) {
      String text = userOk(cwd, path, LINKS.resolve(tool).toString(), "--version").stdout();
      assertThat(text).startsWith(tool + " (PostgreSQL) ").contains("jwalreceiver");
      // The launcher's text (lib/version, kept by the package with the jar's mtime) is the
      // JVM's own answer: JVM options make the launcher ask the JVM.
      String jvm =
          userOk(
                  cwd,
                  path,
                  "env",
                  "JWALRECEIVER_JAVA_OPTS=-Xshare:auto",
                  LINKS.resolve(tool).toString(),
                  "--version")
              .stdout();
      assertThat(text).isEqualTo(jvm);
    }
    assertThat(Path.of("/usr/share/jwalreceiver/lib/version/pg_receivewal")).isRegularFile();
  }

  @Test
  @Order(3)
  void manPagesAndCompletionAreWhereToolsLookForThem(@TempDir Path cwd) {
    if (staged("share/bash-completion/completions/jwalreceiver")) {
      assertThat(Path.of("/usr/share/bash-completion/completions/jwalreceiver")).isRegularFile();
    }
    if (staged("share/zsh/site-functions/_jwalreceiver")) {
      assertThat(Path.of("/usr/share/zsh/vendor-completions/_jwalreceiver")).isRegularFile();
    }
    assumeTrue(
        staged("share/man/man1/jwalreceiver-basebackup.1"),
        "no man pages are staged in " + STAGE + ": nothing to read");
    String path = "/usr/bin:/bin";
    assertThat(userOk(cwd, path, "man", "-P", "cat", "jwalreceiver-basebackup").stdout())
        .contains("jwalreceiver-basebackup");
    if (staged("share/man/man1/pg_basebackup.1")) {
      // man-db derives /usr/lib/jwalreceiver/share/man from the PATH entry .../bin.
      assertThat(userOk(cwd, LINKS + ":" + path, "man", "-w", "pg_basebackup").stdout().strip())
          .isEqualTo("/usr/lib/jwalreceiver/share/man/man1/pg_basebackup.1.gz");
    }
  }

  @Test
  @Order(4)
  void backsUpAndArchivesWithTheInstalledTools(@TempDir Path cwd)
      throws IOException, InterruptedException {
    try (PostgresServer server = PostgresServer.start(PgVersions.highest())) {
      String path = LINKS + ":/usr/bin:/bin";
      userOk(
          cwd,
          path,
          "pg_basebackup",
          "-h",
          server.host(),
          "-p",
          String.valueOf(server.port()),
          "-U",
          PostgresServer.SUPERUSER,
          "-D",
          "backup",
          "-X",
          "stream",
          "-c",
          "fast");
      assertThat(cwd.resolve("backup/PG_VERSION")).hasContent(String.valueOf(PgVersions.highest()));
      userOk(cwd, path, "jwalreceiver", "verifybackup", "backup");
      archivesAsTheUnitWould(cwd, server);
    }
  }

  /**
   * The command line the systemd unit runs, with the options of the env file example the package
   * ships (only the server changed), streams WAL and stops cleanly on SIGINT, the unit's
   * KillSignal. systemd itself cannot run here (it is not PID 1), so the unit's ExecStart is
   * spelled out.
   */
  private static void archivesAsTheUnitWould(Path cwd, PostgresServer server)
      throws IOException, InterruptedException {
    Map<String, String> example = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of(EXAMPLES, "receivewal.env"))) {
      if (!line.isBlank() && !line.startsWith("#")) {
        String[] kv = line.split("=", 2);
        example.put(kv[0], kv[1]);
      }
    }
    assertThat(example).containsKeys("PGHOST", "PGPORT", "PGUSER", "JWALRECEIVER_RECEIVEWAL_OPTS");
    Path wal = Files.createDirectories(cwd.resolve("wal"));
    Path log = cwd.resolve("receivewal.log");
    List<String> command =
        new ArrayList<>(
            List.of(
                "env",
                "-i",
                "-C",
                cwd.toString(),
                "PATH=/usr/bin:/bin",
                "PGHOST=" + server.host(),
                "PGPORT=" + server.port(),
                "PGUSER=" + PostgresServer.SUPERUSER,
                "/usr/bin/jwalreceiver",
                "receivewal",
                "-D",
                wal.toString()));
    command.addAll(List.of(example.get("JWALRECEIVER_RECEIVEWAL_OPTS").split("\\s+")));
    Process receivewal =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      Waits.await(
          STEP,
          () -> {
            try (Stream<Path> files = Files.list(wal)) {
              return files.anyMatch(f -> f.getFileName().toString().endsWith(".partial"));
            } catch (IOException e) {
              return false;
            }
          },
          () -> "a .partial in " + wal + "; receivewal's output:\n" + readQuietly(log));
      Tools.run(STEP, "kill", "-INT", String.valueOf(receivewal.pid()));
      assertThat(receivewal.waitFor(STEP.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
          .isTrue();
      assertThat(receivewal.exitValue()).as(readQuietly(log)).isZero();
    } finally {
      receivewal.destroyForcibly();
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  @Test
  @Order(5)
  void systemdUnitVerifies(@TempDir Path dir) throws IOException {
    assumeTrue(Tools.installed("systemd-analyze"), "systemd-analyze is not installed");
    Path instance = dir.resolve("jwalreceiver-receivewal@main.service");
    Files.copy(Path.of("/lib/systemd/system", UNIT), instance);
    List<String> verify = new ArrayList<>(List.of("systemd-analyze", "verify"));
    if (!staged("share/man/man1/jwalreceiver-receivewal.1")) {
      // Its Documentation= names that page; without it installed, verify would fail on man.
      verify.add("--man=no");
    }
    verify.add(instance.toString());
    Tools.Result r = Tools.run(STEP, verify);
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.all()).doesNotContain(instance.getFileName().toString());
  }

  @Test
  @Order(6)
  void lintianFindsNothing() {
    assumeTrue(Tools.installed("lintian"), "lintian is not installed");
    Tools.Result r = Tools.run(STEP, "lintian", "--pedantic", deb.toString());
    System.out.println(r.all());
    List<String> tags =
        r.stdout().lines().filter(l -> l.matches("[EWIPX]: .*")).collect(Collectors.toList());
    if (!staged("share/man/man1/jwalreceiver.1")) {
      tags.remove("W: jwalreceiver: no-manual-page [usr/bin/jwalreceiver]");
    }
    assertThat(tags).as(r.all()).isEmpty();
  }

  /**
   * The postinst made a class-data sharing archive for the machine's Java (the java on PATH) in
   * /var/cache/jwalreceiver, and a command runs with it rather than with the one made at package
   * time ({@link CdsArchives#PROVE_SHARING}: the JVM names the archive it opened and exits rather
   * than run without it).
   */
  @Test
  @Order(7)
  void installationMakesTheCdsArchiveForTheInstalledJava(@TempDir Path cwd) throws IOException {
    String machine = CdsArchives.runtimeLine(CdsArchives.javaOn(ROOT_PATH));
    CdsArchives.assertCacheIsFor(machine);
    assertThat(Path.of("/usr/share/jwalreceiver/lib/jwalreceiver.classlist")).isNotEmptyFile();
    assertRunsWithTheCache(cwd, "jwalreceiver", "--help");
    assertRunsWithTheCache(cwd, LINKS.resolve("pg_basebackup").toString(), "--help");
  }

  /**
   * A JDK update, as dpkg sees it: the cached archive is for the runtime before (its runtime file
   * says so), so commands fall back to the package's own archive (when that one is for this Java)
   * or none; then a package that ships a file under /usr/lib/jvm ({@link FakeJdkPackage}) is
   * installed, which runs the postinst's trigger: the archive is made anew for this Java and used.
   * Removing that package triggers it too, which makes the archive again where there was none.
   */
  @Test
  @Order(8)
  void aPackageChangingUsrLibJvmRemakesTheCdsArchive(@TempDir Path dir) throws IOException {
    String machine = CdsArchives.runtimeLine(CdsArchives.javaOn(ROOT_PATH));
    Files.writeString(
        CdsArchives.CACHE_RUNTIME,
        "JAVA_RUNTIME_VERSION=\"17.0.1+12-Debian-1deb12u1\" OS_ARCH=\"x86_64\"\n");
    Object before = CdsArchives.fileKey(CdsArchives.CACHE_ARCHIVE);
    Tools.Result stale =
        user(dir, ROOT_PATH, "env", "JWALRECEIVER_JAVA_OPTS=-Xlog:cds", "jwalreceiver", "--help");
    CdsArchives.assertFellBackFromTheCache(stale, machine);

    try (FakeJdkPackage jdk = FakeJdkPackage.build(dir)) {
      assertThat(jdk.install(ROOT_PATH).stdout()).contains("Processing triggers for " + PACKAGE);
      CdsArchives.assertCacheIsFor(machine);
      assertThat(CdsArchives.fileKey(CdsArchives.CACHE_ARCHIVE))
          .as("a new file")
          .isNotEqualTo(before);
      assertRunsWithTheCache(dir, "jwalreceiver", "--help");

      Tools.Result removed = Tools.run(STEP, "rm", "-r", CdsArchives.CACHE.toString());
      assertThat(removed.exitCode()).as(removed.all()).isZero();
      assertThat(jdk.purge(ROOT_PATH).stdout()).contains("Processing triggers for " + PACKAGE);
      CdsArchives.assertCacheIsFor(machine);
      assertRunsWithTheCache(dir, "jwalreceiver", "--help");
    }
  }

  /** Runs a command as {@link #user} does, asserting it ran with the archive in the cache. */
  private static void assertRunsWithTheCache(Path cwd, String... command) {
    CdsArchives.assertRanWith(
        user(cwd, ROOT_PATH, CdsArchives.provingSharing(command)), CdsArchives.CACHE_ARCHIVE);
  }

  @ParameterizedTest(name = "Barman, PostgreSQL {0}")
  @MethodSource(PgVersions.SPREAD)
  @Order(10)
  void barmanBacksUpAndRecoversThroughThePackagesLinks(int major) throws IOException {
    try (BarmanScenario barman = new BarmanScenario(LINKS)) {
      barman.backsUpAndRecovers(major);
    }
  }

  /**
   * {@code dpkg -r} removes the CDS archive the postinst made (/var/cache/jwalreceiver, made from
   * the removed jar) and {@code dpkg --purge} everything the package installed, and neither touches
   * what the user wrote: an instance's env file and a WAL archive under /var/lib/jwalreceiver,
   * written before, are still there after both (and are then removed by the test, with the
   * directories made for them).
   */
  @Test
  @Order(100)
  void removeAndPurgeLeaveNothingBehindButWhatTheUserWrote() throws IOException {
    Tools.Result listed = Tools.run(STEP, "dpkg", "-L", PACKAGE);
    assertThat(listed.exitCode()).as(listed.all()).isZero();
    Path envDir = Path.of("/etc/jwalreceiver/receivewal");
    Path userEnv = envDir.resolve("debian-package-it.env");
    Files.writeString(userEnv, "PGHOST=db1.example.com\n");
    Path walRoot = Path.of("/var/lib/jwalreceiver");
    boolean walRootExisted = Files.exists(walRoot);
    Path userWal = walRoot.resolve("debian-package-it/000000010000000000000001");
    Files.createDirectories(userWal.getParent());
    Files.writeString(userWal, "a segment");
    assertThat(CdsArchives.CACHE_ARCHIVE).isRegularFile();
    try {
      Tools.Result removed = Tools.run(STEP, "env", "PATH=" + ROOT_PATH, "dpkg", "-r", PACKAGE);
      assertThat(removed.exitCode()).as("dpkg -r: %s", removed.all()).isZero();
      assertThat(Tools.run(STEP, "dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE).stdout())
          .isEqualTo("config-files");
      assertThat(CdsArchives.CACHE).as("the CDS archive, after dpkg -r").doesNotExist();
      assertThat(CdsArchives.CACHE.getParent()).isDirectory();
      assertThat(userEnv).hasContent("PGHOST=db1.example.com");
      assertThat(userWal).hasContent("a segment");

      Tools.Result r = Tools.run(STEP, "env", "PATH=" + ROOT_PATH, "dpkg", "--purge", PACKAGE);
      installed = r.exitCode() != 0;
      assertThat(r.exitCode()).as("dpkg --purge: %s", r.all()).isZero();
      assertThat(Tools.run(STEP, "dpkg-query", "-W", PACKAGE).exitCode())
          .as("dpkg forgets a purged package")
          .isNotZero();
      assertThat(CdsArchives.CACHE).as("the CDS archive, after dpkg --purge").doesNotExist();
      assertThat(userEnv).as("the user's env file").hasContent("PGHOST=db1.example.com");
      assertThat(userWal).as("the user's WAL archive").hasContent("a segment");
    } finally {
      Files.deleteIfExists(userEnv);
      Files.deleteIfExists(userWal);
      Files.deleteIfExists(userWal.getParent());
      if (!walRootExisted) {
        Files.deleteIfExists(walRoot);
      }
    }
    for (Path dir : List.of(envDir, envDir.getParent())) {
      if (!existedBefore.getOrDefault(dir, false)) {
        Files.delete(dir);
      }
    }

    List<Path> left = new ArrayList<>();
    for (String line : listed.stdout().lines().toList()) {
      Path p = Path.of(line);
      if (!existedBefore.getOrDefault(p, false) && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        left.add(p);
      }
    }
    assertThat(left).as("what dpkg -L listed and did not exist before the install").isEmpty();
    existedBefore.forEach(
        (p, existed) -> {
          if (existed) {
            assertThat(p).as("a directory the package shares with others").exists();
          }
        });
    assertThat(Path.of("/usr/share/jwalreceiver")).doesNotExist();
    assertThat(Path.of("/usr/lib/jwalreceiver")).doesNotExist();
    // Only what names jwalreceiver counts: the tests in between may add an account (useradd
    // writes /etc/passwd- and the like), which is not the package's doing.
    Set<Path> etcNew = etc();
    etcNew.removeAll(etcBefore);
    System.out.println("new under /etc during the test: " + etcNew);
    assertThat(etcNew)
        .as("new under /etc after the purge")
        .noneMatch(p -> p.toString().contains("jwalreceiver"));
  }
}
