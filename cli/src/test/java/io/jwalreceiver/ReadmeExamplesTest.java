// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The README's "Embed it in Java" examples are the bodies of two tests that run them against real
 * servers ({@code EmbedReceiveWalExampleIT}, {@code EmbedBaseBackupExampleIT}): the README shows
 * what compiles and works. This test fails when the page and the test drift apart.
 */
class ReadmeExamplesTest {

  /** The project root: surefire runs this module's tests in {@code cli/}. */
  private static final Path ROOT = Path.of("..");

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "receivewal, wal-receiver/src/test/java/io/jwalreceiver/examples/EmbedReceiveWalExampleIT.java",
    "basebackup, basebackup/src/test/java/io/jwalreceiver/examples/EmbedBaseBackupExampleIT.java"
  })
  void readmeShowsTheExampleTestsBodyVerbatim(String name, String test) throws IOException {
    String source = Files.readString(ROOT.resolve(test), StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile(
                "(?ms)^[ \\t]*// README-BEGIN "
                    + name
                    + "\\n(.*?)^[ \\t]*// README-END "
                    + name
                    + "\\n")
            .matcher(source);
    assertThat(m.find()).as("README-BEGIN/END %s markers in %s", name, test).isTrue();
    String example = dedent(m.group(1));
    assertThat(example.lines().count()).as("the %s example", name).isBetween(5L, 25L);

    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    assertThat(javaBlocks(readme)).as("```java blocks of README.md").contains(example);
  }

  private static List<String> javaBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("(?ms)^```java\\n(.*?)^```$").matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  /** Removes the indentation common to every non-blank line, as the README block has none. */
  private static String dedent(String text) {
    int indent =
        text.lines()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    StringBuilder out = new StringBuilder();
    text.lines().forEach(l -> out.append(l.isBlank() ? "" : l.substring(indent)).append('\n'));
    return out.toString();
  }
}
