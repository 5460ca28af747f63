// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The byte counts and durations of the bench options, with PostgreSQL's units: {@code 32MB}, {@code
 * 1GB}, {@code 512kB} (1024-based, as in postgresql.conf; {@code KiB/MiB/GiB/TiB} and plain bytes
 * too), {@code 500ms}, {@code 30s}, {@code 5min}/{@code 5m}, {@code 1h}.
 */
public final class Quantities {

  /** One MB as PostgreSQL counts it (and as every figure in the bench reports is). */
  public static final long MB = 1024L * 1024;

  /** One GB as PostgreSQL counts it. */
  public static final long GB = 1024L * MB;

  private static final Pattern NUMBER_UNIT =
      Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)\\s*");

  private Quantities() {}

  /**
   * A byte count.
   *
   * @return the bytes, or -1 when {@code s} is not a positive size with a known unit
   */
  public static long parseBytes(String s) {
    Matcher m = NUMBER_UNIT.matcher(s);
    if (!m.matches()) {
      return -1;
    }
    long factor;
    switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "b" -> factor = 1;
      case "kb", "kib", "k" -> factor = 1024;
      case "mb", "mib", "m" -> factor = MB;
      case "gb", "gib", "g" -> factor = GB;
      case "tb", "tib", "t" -> factor = 1024 * GB;
      default -> {
        return -1;
      }
    }
    double v = Double.parseDouble(m.group(1)) * factor;
    if (v < 1 || v > Long.MAX_VALUE / 2.0) {
      return -1;
    }
    return (long) v;
  }

  /**
   * A duration; a bare number is seconds.
   *
   * @return the duration, or null when {@code s} is not a positive duration with a known unit
   */
  public static @Nullable Duration parseDuration(String s) {
    Matcher m = NUMBER_UNIT.matcher(s);
    if (!m.matches()) {
      return null;
    }
    double millisPerUnit;
    switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> millisPerUnit = 1;
      case "", "s", "sec" -> millisPerUnit = 1000;
      case "m", "min" -> millisPerUnit = 60_000;
      case "h" -> millisPerUnit = 3_600_000;
      default -> {
        return null;
      }
    }
    double millis = Double.parseDouble(m.group(1)) * millisPerUnit;
    if (millis < 1 || millis > 1e12) {
      return null;
    }
    return Duration.ofMillis((long) millis);
  }
}
