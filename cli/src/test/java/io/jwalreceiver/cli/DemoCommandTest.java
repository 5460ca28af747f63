// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jwalreceiver demo}'s options, without servers. */
class DemoCommandTest {

  @Test
  void helpDescribesTheOptions() {
    assertThat(CliRun.help("demo").out())
        .contains("Usage: jwalreceiver demo")
        .contains("--keep")
        .contains("--pg-version=N")
        .contains("(default: " + DemoCommand.DEFAULT_VERSION + ")")
        .contains("--pg-binaries-dir=DIR")
        .contains("--s3")
        .contains("receivewal --target s3://")
        .contains("-Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies")
        .contains("-?, --help");
  }

  @Test
  void refusesAnUnsupportedVersionBeforeStartingAnything() {
    CliRun.of(Map.of(), "demo", "--pg-version", "12")
        .assertErrorOnly(
            "jwalreceiver: error: unsupported PostgreSQL version 12 for --pg-version (13 to 18)");
  }

  @Test
  void s3NeedsFifteenOrLater() {
    CliRun.of(Map.of(), "demo", "--s3", "--pg-version", "14")
        .assertErrorOnly(
            "jwalreceiver: error: --s3 needs --pg-version 15 or later (receivewal starts at its"
                + " slot's position only from 15 on)");
  }

  @Test
  void s3WithoutTheJarFailsInOneLineBeforeStartingAnything(@TempDir Path emptyRepository) {
    String jar = System.getProperty("s3proxy.jar");
    String repository = System.getProperty("maven.repo.local");
    System.setProperty("s3proxy.jar", emptyRepository.resolve("missing.jar").toString());
    System.setProperty("maven.repo.local", emptyRepository.toString());
    try {
      CliRun r = CliRun.of(Map.of(), "demo", "--s3", "--pg-version", "15");
      assertThat(r.exitCode()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().lines().toList())
          .singleElement()
          .asString()
          .startsWith("jwalreceiver: error: no S3Proxy 4.1.0 jar (-Ds3proxy.jar=")
          .contains(
              emptyRepository
                  .resolve("org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar")
                  .toString())
          .endsWith(
              "get it with: mvn dependency:get"
                  + " -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies");
    } finally {
      restore("s3proxy.jar", jar);
      restore("maven.repo.local", repository);
    }
  }

  private static void restore(String property, @Nullable String value) {
    if (value == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, value);
    }
  }
}
