// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.PgBinaries;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * Which PostgreSQL major versions the integration tests run against.
 *
 * <p>The choice comes from system properties set by failsafe:
 *
 * <ul>
 *   <li>{@code pg.versions}: a comma-separated list such as {@code 13,18}; blank or unset means
 *       every {@linkplain #SUPPORTED supported} version;
 *   <li>{@code pg.bin} ({@link PgBinaries#BIN_PROPERTY}): a local installation's {@code bin}
 *       directory; when set, it is the only selected version (its major is read from {@code
 *       postgres --version}).
 * </ul>
 *
 * <p>Typical use in a parameterised test:
 *
 * <pre>{@code
 * @ParameterizedTest @MethodSource(PgVersions.SELECTED)
 * void streams(int major) { PostgresServer server = PostgresServer.shared(major); ... }
 * }</pre>
 */
public final class PgVersions {

  /** The major versions this project supports, ascending. */
  public static final List<Integer> SUPPORTED = List.of(13, 14, 15, 16, 17, 18);

  /** System property naming the selected versions. */
  public static final String VERSIONS_PROPERTY = "pg.versions";

  /**
   * The fully qualified name of {@link #selected()}, for {@code @MethodSource(PgVersions.SELECTED)}
   * on a test parameterised by major version.
   */
  public static final String SELECTED = "io.jwalreceiver.testkit.PgVersions#selected";

  /**
   * The fully qualified name of {@link #only15()}, for {@code @MethodSource(PgVersions.ONLY_15)} on
   * a test that runs on the default version alone.
   */
  public static final String ONLY_15 = "io.jwalreceiver.testkit.PgVersions#only15";

  /**
   * The fully qualified name of {@link #spread()}, for {@code @MethodSource(PgVersions.SPREAD)} on
   * a long test whose version-dependent paths the oldest, the middle and the newest version cover.
   */
  public static final String SPREAD = "io.jwalreceiver.testkit.PgVersions#spread";

  private PgVersions() {}

  /**
   * The selected major versions, ascending and without duplicates.
   *
   * @return the versions from {@code pg.versions}, or just the local install's major when {@code
   *     pg.bin} is set
   * @throws IllegalArgumentException if {@code pg.versions} is malformed or names an unsupported
   *     version
   */
  public static List<Integer> selected() {
    Optional<PgBinaries.LocalInstall> local = PgBinaries.localInstall();
    if (local.isPresent()) {
      return List.of(local.get().major());
    }
    return parse(System.getProperty(VERSIONS_PROPERTY));
  }

  /**
   * The selected versions among the given ones.
   *
   * @param majors the versions a test is meant for
   * @return those of {@code majors} that are {@linkplain #selected() selected}, ascending (empty
   *     when none is)
   */
  public static List<Integer> selectedAmong(int... majors) {
    List<Integer> wanted = Arrays.stream(majors).boxed().toList();
    return selected().stream().filter(wanted::contains).toList();
  }

  /**
   * PostgreSQL 15 when it is selected, otherwise nothing: the default version of the tests that run
   * on one version only (its client tools serve as oracles).
   *
   * @return {@code [15]} or an empty list
   */
  public static List<Integer> only15() {
    return selectedAmong(15);
  }

  /**
   * 13, 15 and 18, as far as they are selected: the oldest supported version, the one whose client
   * tools are the oracles, and the newest. The versions of the long loops (the fault suite's kill
   * and cut loops, Barman's backup and recovery), where six runs would cost minutes and add little.
   *
   * @return those of 13, 15, 18 that are selected
   */
  public static List<Integer> spread() {
    return selectedAmong(13, 15, 18);
  }

  /**
   * The highest selected major version.
   *
   * @return the last element of {@link #selected()}
   */
  public static int highest() {
    List<Integer> versions = selected();
    return versions.get(versions.size() - 1);
  }

  /**
   * The lowest selected major version.
   *
   * @return the first element of {@link #selected()}
   */
  public static int lowest() {
    return selected().get(0);
  }

  /**
   * Parses a {@code pg.versions} value.
   *
   * @param value comma- or whitespace-separated majors, or {@code null}/blank for all supported
   * @return the majors, ascending and without duplicates
   * @throws IllegalArgumentException on a malformed or unsupported version
   */
  static List<Integer> parse(@Nullable String value) {
    if (value == null || value.isBlank()) {
      return SUPPORTED;
    }
    TreeSet<Integer> majors = new TreeSet<>();
    for (String token : value.split("[,\\s]+")) {
      if (token.isEmpty()) {
        continue;
      }
      majors.add(parseMajor(token));
    }
    if (majors.isEmpty()) {
      return SUPPORTED;
    }
    return List.copyOf(majors);
  }

  /**
   * Parses one major version; {@code 16.11} or {@code 16.11.0} are accepted and mean 16.
   *
   * @param token the text
   * @return the major version
   */
  static int parseMajor(String token) {
    String trimmed = token.trim().toLowerCase(Locale.ROOT);
    if (trimmed.startsWith("pg")) {
      trimmed = trimmed.substring(2);
    }
    int dot = trimmed.indexOf('.');
    String majorText = dot < 0 ? trimmed : trimmed.substring(0, dot);
    int major;
    try {
      major = Integer.parseInt(majorText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          VERSIONS_PROPERTY + ": not a PostgreSQL major version: '" + token + "'", e);
    }
    if (!SUPPORTED.contains(major)) {
      throw new IllegalArgumentException(
          VERSIONS_PROPERTY
              + ": unsupported PostgreSQL version "
              + major
              + " (supported: "
              + SUPPORTED
              + ")");
    }
    return major;
  }

  /**
   * Skips the calling test (a JUnit assumption) unless the server is at least the given major.
   *
   * @param server the server under test
   * @param minMajor the lowest major the test supports
   */
  public static void assumeAtLeast(PostgresServer server, int minMajor) {
    assumeAtLeast(server.majorVersion(), minMajor);
  }

  /**
   * Skips the calling test (a JUnit assumption) unless {@code major >= minMajor}.
   *
   * @param major the version under test
   * @param minMajor the lowest major the test supports
   */
  public static void assumeAtLeast(int major, int minMajor) {
    Assumptions.assumeTrue(
        major >= minMajor, () -> "needs PostgreSQL " + minMajor + "+, have " + major);
  }
}
