// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.testkit.PgVersions;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * A table of test cases run on every selected PostgreSQL version: for a {@code @MethodSource} whose
 * test takes the major version first and one case's values after it.
 */
final class PgVersionCases {

  private PgVersionCases() {}

  /**
   * Every {@link PgVersions#selected()} version with every case, in that order (all cases of the
   * lowest version first): {@code (major, case values...)}.
   */
  static Stream<Arguments> crossed(Arguments... cases) {
    return PgVersions.selected().stream()
        .flatMap(major -> Arrays.stream(cases).map(c -> withMajor(major, c)));
  }

  private static Arguments withMajor(int major, Arguments c) {
    Object[] values = c.get();
    Object[] all = new Object[values.length + 1];
    all[0] = major;
    System.arraycopy(values, 0, all, 1, values.length);
    return Arguments.of(all);
  }
}
