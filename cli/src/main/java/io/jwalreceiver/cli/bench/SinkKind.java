// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Where a bench sends what it receives: {@code --sink discard|disk} of both benches. */
public enum SinkKind {
  /** Dropped as it arrives: measures the stream alone. */
  DISCARD,
  /** Written to a directory, as the real tool writes it. */
  DISK;

  /**
   * Parses a {@code --sink} value.
   *
   * @param value the option's value, or null when not given (the default: {@link #DISCARD})
   * @return the kind, or null when {@code value} is neither {@code discard} nor {@code disk}
   */
  public static @Nullable SinkKind parse(@Nullable String value) {
    if (value == null) {
      return DISCARD;
    }
    return switch (value) {
      case "discard" -> DISCARD;
      case "disk" -> DISK;
      default -> null;
    };
  }

  /** The option's value for this kind, as the reports show it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The message for a {@code --sink} value {@link #parse} did not take.
   *
   * @param value the value given
   * @return the usage error's text
   */
  public static String invalid(@Nullable String value) {
    return "invalid sink \"" + value + "\", must be \"discard\" or \"disk\"";
  }
}
