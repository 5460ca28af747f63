// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.util.Locale;
import java.util.Objects;

/**
 * A position in the write-ahead log: an unsigned 64-bit byte offset (protocol-notes §3).
 *
 * <p>The text form is {@code X/X}: the high and the low 32 bits in hexadecimal, separated by a
 * slash. {@link #toString()} prints it the way PostgreSQL 13–18 do (upper case, no zero padding);
 * {@link #parse(String)} also accepts lower case and zero padding, and rejects everything else.
 * Ordering is unsigned, so {@code FFFFFFFF/0} sorts after {@code 1/0}.
 *
 * @param value the position as an unsigned 64-bit number
 */
public record Lsn(long value) implements Comparable<Lsn> {

  /** {@code 0/0}: PostgreSQL's {@code InvalidXLogRecPtr}, meaning "unknown" or "none". */
  public static final Lsn INVALID = new Lsn(0L);

  /** At most 8 hex digits on either side of the slash. */
  private static final int MAX_HALF_DIGITS = 8;

  /**
   * The position with the given unsigned value.
   *
   * @param value the position as an unsigned 64-bit number; 0 gives {@link #INVALID}
   * @return the position
   */
  public static Lsn of(long value) {
    return value == 0L ? INVALID : new Lsn(value);
  }

  /**
   * Parses the {@code X/X} text form, case-insensitively, with or without zero padding.
   *
   * @param text for example {@code 0/5000028} or {@code 00000001/0000ABCD}
   * @return the position
   * @throws PgException with SQLSTATE 22023 when {@code text} has empty halves, more than 8 digits
   *     in a half, signs, blanks, or any character other than hex digits and one slash
   */
  public static Lsn parse(String text) {
    Objects.requireNonNull(text, "text");
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw invalid(text);
    }
    long high = parseHalf(text, 0, slash);
    long low = parseHalf(text, slash + 1, text.length());
    return of(high << 32 | low);
  }

  /** Parses {@code text[from, to)} as 1 to 8 hex digits; any other character is an error. */
  private static long parseHalf(String text, int from, int to) {
    int length = to - from;
    if (length < 1 || length > MAX_HALF_DIGITS) {
      throw invalid(text);
    }
    long result = 0;
    for (int i = from; i < to; i++) {
      int digit = hexDigit(text.charAt(i));
      if (digit < 0) {
        throw invalid(text);
      }
      result = result << 4 | digit;
    }
    return result;
  }

  /** ASCII hex digits only: {@link Character#digit} would also accept full-width digits. */
  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  private static PgException invalid(String text) {
    return new PgException(
        SqlState.INVALID_PARAMETER_VALUE, "invalid WAL location: \"" + text + "\"");
  }

  /**
   * Whether this is {@code 0/0}, which PostgreSQL uses for "no position".
   *
   * @return true for {@link #INVALID}
   */
  public boolean isInvalid() {
    return value == 0L;
  }

  /**
   * The position {@code bytes} further on.
   *
   * @param bytes a byte count, not negative
   * @return this position plus {@code bytes}
   * @throws IllegalArgumentException when {@code bytes} is negative
   * @throws ArithmeticException when the result would pass {@code FFFFFFFF/FFFFFFFF}
   */
  public Lsn plus(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative byte count: " + bytes);
    }
    long sum = value + bytes;
    if (Long.compareUnsigned(sum, value) < 0) {
      throw new ArithmeticException("WAL location overflow: " + this + " plus " + bytes + " bytes");
    }
    return of(sum);
  }

  /**
   * The byte distance from {@code other} to this position: positive when this position is after
   * {@code other}, negative when it is before.
   *
   * @param other the position to measure from
   * @return {@code this - other} in bytes
   * @throws ArithmeticException when the distance does not fit in a signed 64-bit number
   */
  public long minus(Lsn other) {
    if (Long.compareUnsigned(value, other.value) >= 0) {
      long distance = value - other.value;
      if (distance < 0) {
        throw distanceOverflow(other);
      }
      return distance;
    }
    long distance = other.value - value;
    // Long.MIN_VALUE is exactly -2^63 and still representable after negation.
    if (distance < 0 && distance != Long.MIN_VALUE) {
      throw distanceOverflow(other);
    }
    return -distance;
  }

  private ArithmeticException distanceOverflow(Lsn other) {
    return new ArithmeticException(
        "distance between WAL locations " + this + " and " + other + " overflows a long");
  }

  /**
   * Whether this position comes strictly before {@code other} (unsigned).
   *
   * @param other the position to compare with
   * @return true when {@code this < other}
   */
  public boolean isBefore(Lsn other) {
    return compareTo(other) < 0;
  }

  /**
   * Whether this position comes strictly after {@code other} (unsigned).
   *
   * @param other the position to compare with
   * @return true when {@code this > other}
   */
  public boolean isAfter(Lsn other) {
    return compareTo(other) > 0;
  }

  /**
   * The start of the WAL segment that contains this position.
   *
   * @param segmentSize the server's segment size
   * @return this position rounded down to a multiple of the segment size
   */
  public Lsn segmentStart(WalSegmentSize segmentSize) {
    return of(value & -(long) segmentSize.bytes());
  }

  /** Unsigned comparison of the positions. */
  @Override
  public int compareTo(Lsn other) {
    return Long.compareUnsigned(value, other.value);
  }

  /**
   * The text form as PostgreSQL 13–18 print it: {@code %X/%X}, upper case, no zero padding.
   *
   * @return for example {@code 0/5000028}
   */
  @Override
  public String toString() {
    return Integer.toHexString((int) (value >>> 32)).toUpperCase(Locale.ROOT)
        + '/'
        + Integer.toHexString((int) value).toUpperCase(Locale.ROOT);
  }
}
