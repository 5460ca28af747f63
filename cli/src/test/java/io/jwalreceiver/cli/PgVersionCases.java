// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.testkit.VersionedCases;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * {@link VersionedCases} for tables written as JUnit {@link Arguments}: for a {@code @MethodSource}
 * whose test takes the major version first and one case's values after it.
 */
final class PgVersionCases {

  private PgVersionCases() {}

  /**
   * Every selected version with every case, in that order (all cases of the lowest version first):
   * {@code (major, case values...)}.
   */
  static Stream<Arguments> crossed(Arguments... cases) {
    return VersionedCases.onEachSelected(
            Stream.of(cases).map(Arguments::get).toArray(Object[][]::new))
        .map(Arguments::of);
  }
}
