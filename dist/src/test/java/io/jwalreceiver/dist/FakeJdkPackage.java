// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A Debian package made on the fly with {@code dpkg-deb} that ships one file under {@code
 * /usr/lib/jvm}, as a JDK or JRE package does: installing or removing it activates the file trigger
 * the jwalreceiver package declares on that directory ({@code interest-noawait /usr/lib/jvm}), as a
 * JDK security update would, without changing the machine's Java. It holds no {@code bin/java}, so
 * nothing that looks for runtimes under /usr/lib/jvm takes it for one. {@link #close} purges it.
 */
final class FakeJdkPackage implements AutoCloseable {

  /** The package's name, which no real package has. */
  static final String NAME = "jwalreceiver-it-fake-jdk";

  /** The one file it ships. */
  static final Path FILE = Path.of("/usr/lib/jvm", NAME, "README");

  private static final Duration STEP = Duration.ofMinutes(3);

  private final Path deb;
  private boolean installed;

  private FakeJdkPackage(Path deb) {
    this.deb = deb;
  }

  /**
   * Builds the package in {@code dir}.
   *
   * @param dir an empty directory of the test's
   * @return the package, not installed
   * @throws IOException if its files cannot be written
   */
  static FakeJdkPackage build(Path dir) throws IOException {
    Path root = dir.resolve("root");
    Path control = Files.createDirectories(root.resolve("DEBIAN")).resolve("control");
    Files.writeString(
        control,
        """
        Package: %s
        Version: 1.0
        Architecture: all
        Maintainer: jwalreceiver tests <jwalreceiver@example.org>
        Description: a file under /usr/lib/jvm, as a JDK package ships
         Built, installed and purged by DebianPackageIT to activate the jwalreceiver
         package's file trigger on /usr/lib/jvm.
        """
            .formatted(NAME));
    Path file = root.resolve(Path.of("/").relativize(FILE));
    Files.createDirectories(file.getParent());
    Files.writeString(file, "Not a Java runtime: a test package of jwalreceiver's.\n");
    Path deb = dir.resolve(NAME + ".deb");
    Tools.Result r =
        Tools.run(STEP, "dpkg-deb", "--root-owner-group", "-b", root.toString(), deb.toString());
    assertThat(r.exitCode()).as("dpkg-deb -b: %s", r.all()).isZero();
    return new FakeJdkPackage(deb);
  }

  /**
   * {@code dpkg -i}, which processes the triggers it activated before it returns.
   *
   * @param path the PATH dpkg runs with (and so the maintainer scripts it runs)
   * @return dpkg's result, asserted successful
   */
  Tools.Result install(String path) {
    assertThat(Tools.run(STEP, "dpkg-query", "-W", NAME).exitCode())
        .as("%s is not installed before the test", NAME)
        .isNotZero();
    installed = true;
    Tools.Result r = Tools.run(STEP, "env", "PATH=" + path, "dpkg", "-i", deb.toString());
    System.out.printf("[exit %d] dpkg -i %s%n%s", r.exitCode(), deb, r.all().indent(4));
    assertThat(r.exitCode()).as("dpkg -i %s: %s", deb, r.all()).isZero();
    assertThat(FILE).isRegularFile();
    return r;
  }

  /**
   * {@code dpkg --purge}, which removes the file under /usr/lib/jvm and so activates the trigger
   * again, processed before it returns.
   *
   * @param path the PATH dpkg runs with (and so the maintainer scripts it runs)
   * @return dpkg's result, asserted successful
   */
  Tools.Result purge(String path) {
    Tools.Result r = Tools.run(STEP, "env", "PATH=" + path, "dpkg", "--purge", NAME);
    System.out.printf("[exit %d] dpkg --purge %s%n%s", r.exitCode(), NAME, r.all().indent(4));
    assertThat(r.exitCode()).as("dpkg --purge %s: %s", NAME, r.all()).isZero();
    installed = false;
    assertThat(Tools.run(STEP, "dpkg-query", "-W", NAME).exitCode())
        .as("dpkg forgets the purged %s", NAME)
        .isNotZero();
    assertThat(FILE.getParent()).doesNotExist();
    return r;
  }

  /** Purges the package if it is still installed (a test stopped before {@link #purge(String)}). */
  @Override
  public void close() {
    if (installed) {
      Tools.run(STEP, "dpkg", "--purge", NAME);
      installed = false;
    }
  }
}
