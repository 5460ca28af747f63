// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.util.Objects;

/**
 * The size of one WAL segment file, as the server reports it (protocol-notes §2.2, §3).
 *
 * <p>A power of two between 1 MiB and 1 GiB, chosen at {@code initdb} time. It always comes from
 * the server ({@code SHOW wal_segment_size}, see {@link #parseShow(String)}); there is deliberately
 * no default. It maps an {@link Lsn} to a segment number and an offset inside that segment.
 *
 * @param bytes the segment size in bytes
 */
public record WalSegmentSize(int bytes) {

  private static final long MIN_BYTES = 1L << 20;
  private static final long MAX_BYTES = 1L << 30;
  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final long TIB = 1L << 40;

  /**
   * Validates the size.
   *
   * @param bytes the segment size in bytes
   * @throws PgException with SQLSTATE 08P01 when {@code bytes} is not a power of two between 1 MiB
   *     and 1 GiB; the message and detail are those of {@code pg_receivewal}
   */
  public WalSegmentSize {
    checkValid(bytes);
  }

  /**
   * Parses the output of {@code SHOW wal_segment_size}: a decimal number followed by a unit ({@code
   * 16MB}, {@code 1GB}). {@code B}, {@code kB} and {@code TB} and a bare number of bytes are
   * accepted too, although servers print sizes in {@code MB} or {@code GB}. Units are
   * case-sensitive, as in PostgreSQL's configuration syntax.
   *
   * @param text the value of the only column of the result row
   * @return the validated size
   * @throws PgException with SQLSTATE 08P01 when the text cannot be parsed or the size is invalid
   */
  public static WalSegmentSize parseShow(String text) {
    Objects.requireNonNull(text, "text");
    int digits = 0;
    while (digits < text.length() && text.charAt(digits) >= '0' && text.charAt(digits) <= '9') {
      digits++;
    }
    // 13 digits exceed every valid size in every unit, and keep the multiplication below 2^63.
    if (digits == 0 || digits > 13) {
      throw unparseable(text);
    }
    long number = Long.parseLong(text.substring(0, digits));
    long multiplier =
        switch (text.substring(digits)) {
          case "", "B" -> 1;
          case "kB" -> KIB;
          case "MB" -> MIB;
          case "GB" -> GIB;
          case "TB" -> TIB;
          default -> throw unparseable(text);
        };
    long bytes;
    try {
      bytes = Math.multiplyExact(number, multiplier);
    } catch (ArithmeticException e) {
      throw unparseable(text);
    }
    checkValid(bytes);
    return new WalSegmentSize((int) bytes);
  }

  private static void checkValid(long bytes) {
    if (bytes < MIN_BYTES || bytes > MAX_BYTES || Long.bitCount(bytes) != 1) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "remote server reported invalid WAL segment size (" + bytes + " bytes)",
          "The WAL segment size must be a power of two between 1 MB and 1 GB.",
          null,
          null);
    }
  }

  private static PgException unparseable(String text) {
    return new PgException(
        SqlState.PROTOCOL_VIOLATION, "WAL segment size could not be parsed: \"" + text + "\"");
  }

  /** log2 of the size: segment arithmetic is shifts and masks. */
  private int shift() {
    return Integer.numberOfTrailingZeros(bytes);
  }

  /**
   * The number of the segment that contains {@code lsn}: {@code lsn / size}.
   *
   * @param lsn a WAL position
   * @return the segment number, between 0 and {@code 2^64 / size - 1}
   */
  public long segmentNumber(Lsn lsn) {
    return lsn.value() >>> shift();
  }

  /**
   * The offset of {@code lsn} inside its segment: {@code lsn mod size}.
   *
   * @param lsn a WAL position
   * @return between 0 and {@code size - 1}
   */
  public int offset(Lsn lsn) {
    return (int) (lsn.value() & (bytes - 1L));
  }

  /**
   * The position of the first byte of a segment.
   *
   * @param segmentNumber the segment number
   * @return {@code segmentNumber * size}
   * @throws IllegalArgumentException when the segment number is negative or past the end of the
   *     64-bit WAL address space
   */
  public Lsn segmentStart(long segmentNumber) {
    if (segmentNumber < 0 || segmentNumber > maxSegmentNumber()) {
      throw new IllegalArgumentException(
          "segment number " + segmentNumber + " out of range for segment size " + this);
    }
    return Lsn.of(segmentNumber << shift());
  }

  /**
   * The largest segment number: the segment that ends at {@code FFFFFFFF/FFFFFFFF}.
   *
   * @return {@code 2^64 / size - 1}
   */
  public long maxSegmentNumber() {
    return -1L >>> shift();
  }

  /**
   * The number of segments per 4 GiB "log id", the unit of the middle 8 hex digits of a segment
   * file name (256 for 16 MiB, 4096 for 1 MiB).
   *
   * @return {@code 0x100000000 / size}
   */
  public long segmentsPerXLogId() {
    return 0x1_0000_0000L >>> shift();
  }

  /**
   * The size the way {@code SHOW wal_segment_size} prints it; {@link #parseShow(String)} reads it
   * back.
   *
   * @return for example {@code 16MB} or {@code 1GB}
   */
  @Override
  public String toString() {
    return bytes >= GIB ? bytes / GIB + "GB" : bytes / MIB + "MB";
  }
}
