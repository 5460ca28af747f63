// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A timeline ID: an unsigned 32-bit number, at least 1 (protocol-notes §3).
 *
 * <p>The value is held in an {@code int} and read as unsigned, so IDs above {@code 2^31 - 1} are
 * negative {@code int}s; use {@link #asLong()} for arithmetic. {@link #toString()} is the decimal
 * form used in replication commands ({@code TIMELINE 2}); {@link #hex()} is the 8-digit form used
 * in file names.
 *
 * @param value the ID as an unsigned 32-bit number, never 0
 */
public record TimelineId(int value) implements Comparable<TimelineId> {

  /** Timeline 1, the one {@code initdb} creates. It has no history file. */
  public static final TimelineId FIRST = new TimelineId(1);

  private static final long MAX_UNSIGNED = 0xFFFF_FFFFL;

  /**
   * Validates the ID.
   *
   * @param value the ID as an unsigned 32-bit number
   * @throws PgException with SQLSTATE 22023 when {@code value} is 0
   */
  public TimelineId {
    if (value == 0) {
      throw new PgException(SqlState.INVALID_PARAMETER_VALUE, "invalid timeline 0");
    }
  }

  /**
   * The timeline with the given ID, for values read as a 64-bit number (IDENTIFY_SYSTEM reports the
   * timeline as {@code int8} from PostgreSQL 16).
   *
   * @param value between 1 and {@code 2^32 - 1}
   * @return the timeline
   * @throws PgException with SQLSTATE 22023 when {@code value} is out of range
   */
  public static TimelineId of(long value) {
    if (value < 1 || value > MAX_UNSIGNED) {
      throw new PgException(SqlState.INVALID_PARAMETER_VALUE, "invalid timeline " + value);
    }
    return new TimelineId((int) value);
  }

  /**
   * Parses the decimal form, for example {@code 2}. Only ASCII digits are accepted: no sign, no
   * blanks, no hex.
   *
   * @param text between 1 and 4294967295 in decimal (leading zeros allowed)
   * @return the timeline
   * @throws PgException with SQLSTATE 22023 when {@code text} is not such a number
   */
  public static TimelineId parse(String text) {
    Objects.requireNonNull(text, "text");
    // More than 10 significant digits cannot be a 32-bit number; strip leading zeros first.
    int start = 0;
    while (start < text.length() - 1 && text.charAt(start) == '0') {
      start++;
    }
    if (text.isEmpty() || text.length() - start > 10) {
      throw invalid(text);
    }
    long result = 0;
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw invalid(text);
      }
      result = result * 10 + (c - '0');
    }
    if (result < 1 || result > MAX_UNSIGNED) {
      throw invalid(text);
    }
    return new TimelineId((int) result);
  }

  private static PgException invalid(String text) {
    return new PgException(
        SqlState.INVALID_PARAMETER_VALUE, "invalid timeline ID: \"" + text + "\"");
  }

  /**
   * The ID as a non-negative {@code long}, for arithmetic and comparisons.
   *
   * @return between 1 and {@code 2^32 - 1}
   */
  public long asLong() {
    return Integer.toUnsignedLong(value);
  }

  /**
   * The 8-digit upper-case hex form used in WAL file names.
   *
   * @return for example {@code 00000002}
   */
  public String hex() {
    return String.format(Locale.ROOT, "%08X", value);
  }

  /**
   * The name of this timeline's history file.
   *
   * @return for example {@code 00000002.history}
   */
  public String historyFileName() {
    return hex() + ".history";
  }

  /** Unsigned comparison: a child timeline always has a larger ID than its parent. */
  @Override
  public int compareTo(TimelineId other) {
    return Integer.compareUnsigned(value, other.value);
  }

  /*
   * equals and hashCode are written out: a record's generated ones are linked through
   * java.lang.runtime.ObjectMethods (method handles, spun classes) at their first call, a cost
   * every backup and receiver would pay at start (issue #19).
   */

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof TimelineId t && value == t.value;
  }

  @Override
  public int hashCode() {
    return Integer.hashCode(value);
  }

  /**
   * The decimal form, as used in {@code START_REPLICATION … TIMELINE n}.
   *
   * @return for example {@code 2}
   */
  @Override
  public String toString() {
    return Integer.toUnsignedString(value);
  }
}
