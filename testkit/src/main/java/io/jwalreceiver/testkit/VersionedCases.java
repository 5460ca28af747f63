// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.util.Arrays;
import java.util.stream.Stream;

/**
 * A table of cases run on every selected PostgreSQL version: the arguments of a test parameterised
 * by major version and by the columns of one row.
 *
 * <pre>{@code
 * static Stream<Object[]> logins() {
 *   return VersionedCases.onEachSelected(new Object[][] {{REPL_MD5}, {REPL_SCRAM}});
 * }
 * @ParameterizedTest @MethodSource("logins")
 * void logsIn(int major, String user) { ... }
 * }</pre>
 */
public final class VersionedCases {

  private VersionedCases() {}

  /**
   * Each row on each {@linkplain PgVersions#selected() selected} version.
   *
   * @param rows the cases, one array of columns each
   * @return {@code (major, row[0], row[1], ...)} for every selected major and row, versions outer
   *     (a {@code @MethodSource} takes each array as one invocation's arguments)
   */
  public static Stream<Object[]> onEachSelected(Object[][] rows) {
    return PgVersions.selected().stream()
        .flatMap(
            major ->
                Arrays.stream(rows)
                    .map(
                        row -> {
                          Object[] columns = new Object[row.length + 1];
                          columns[0] = major;
                          System.arraycopy(row, 0, columns, 1, row.length);
                          return columns;
                        }));
  }
}
