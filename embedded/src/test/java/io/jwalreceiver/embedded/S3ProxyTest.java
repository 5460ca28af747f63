// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class S3ProxyTest {

  /**
   * The version lives in S3Proxy.VERSION; the build's copy (which the tests' jar comes from)
   * agrees.
   */
  @Test
  void theBuildFetchesTheVersionTheRuntimeLooksFor() throws IOException {
    String pom = Files.readString(Path.of("..", "pom.xml"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("<s3proxy\\.version>([^<]+)</s3proxy\\.version>").matcher(pom);
    assertThat(m.find()).as("s3proxy.version in the parent pom").isTrue();
    assertThat(m.group(1)).isEqualTo(S3Proxy.VERSION);
  }

  @Test
  void theRepositoryJarIsTheJarWithDependencies() {
    assertThat(S3Proxy.repositoryJar(Path.of("/r")))
        .isEqualTo(
            Path.of(
                "/r/org/gaul/s3proxy/"
                    + S3Proxy.VERSION
                    + "/s3proxy-"
                    + S3Proxy.VERSION
                    + "-jar-with-dependencies.jar"));
    assertThat(S3Proxy.ARTIFACT).isEqualTo("org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies");
  }
}
