// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.util.stream.Stream;

/**
 * The {@code -Z} specifications upstream's {@code 010_pg_basebackup.pl} and {@code
 * 020_pg_receivewal.pl} reject, with PostgreSQL's message: one table for the receivewal parser's
 * tests and pg_basebackup's client-side parser's tests alike.
 */
public final class CompressionSpecCases {

  /** The prefix of a message about a malformed specification. */
  public static final String SPEC = "invalid compression specification: ";

  private CompressionSpecCases() {}

  /**
   * The rejected specifications.
   *
   * @return {@code (specification, message)} pairs, for a {@code @MethodSource}
   */
  public static Stream<Object[]> rejectedUpstream() {
    return Stream.of(
        new Object[][] {
          {"none:1", SPEC + "compression algorithm \"none\" does not accept a compression level"},
          {"none+", "unrecognized compression algorithm: \"none+\""},
          {"extrasquishy", "unrecognized compression algorithm: \"extrasquishy\""},
          {"gzip:", SPEC + "found empty string where a compression option was expected"},
          {"gzip:thunk", SPEC + "unrecognized compression option: \"thunk\""},
          {"gzip:level", SPEC + "compression option \"level\" requires a value"},
          {"gzip:level=", SPEC + "value for compression option \"level\" must be an integer"},
          {"gzip:level=high", SPEC + "value for compression option \"level\" must be an integer"},
          {"gzip:level=236", SPEC + gzipLevelRange()},
          {"gzip:level=9,", SPEC + "found empty string where a compression option was expected"},
          {
            "gzip:workers=3", SPEC + "compression algorithm \"gzip\" does not accept a worker count"
          },
          {
            "gzip:long", SPEC + "compression algorithm \"gzip\" does not support long-distance mode"
          },
        });
  }

  /**
   * The message body for a gzip level out of range.
   *
   * @return PostgreSQL's text after {@link #SPEC}
   */
  public static String gzipLevelRange() {
    return "compression algorithm \"gzip\" expects a compression level between 1 and 9"
        + " (default at -1)";
  }
}
