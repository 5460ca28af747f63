// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

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
        .contains("-?, --help");
  }

  @Test
  void refusesAnUnsupportedVersionBeforeStartingAnything() {
    CliRun.of(Map.of(), "demo", "--pg-version", "12")
        .assertErrorOnly(
            "jwalreceiver: error: unsupported PostgreSQL version 12 for --pg-version (13 to 18)");
  }
}
