// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import org.jspecify.annotations.Nullable;

/** An integer option checked with the PostgreSQL tools' words (their option_parse_int). */
final class IntOption {

  private IntOption() {}

  /**
   * Parses {@code value} of {@code option} ({@code -s/--status-interval}).
   *
   * @return the value, or null after printing {@code invalid value "%s" for option %s} or {@code %s
   *     must be in range %d..%d}
   */
  static @Nullable Integer parse(Cli cli, String value, String option, int min, int max) {
    long v;
    try {
      v = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      cli.error("invalid value \"" + value + "\" for option " + option, null, null);
      return null;
    }
    if (v < min || v > max) {
      cli.error(option + " must be in range " + min + ".." + max, null, null);
      return null;
    }
    return (int) v;
  }
}
