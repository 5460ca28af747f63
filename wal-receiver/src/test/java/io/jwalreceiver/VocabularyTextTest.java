// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The text forms the vocabulary types share: each parser takes non-canonical spellings of a value
 * and refuses malformed text with one {@link PgException} that quotes it.
 */
class VocabularyTextTest {

  static Stream<Arguments> malformed() {
    return Stream.of(
            malformed(
                "invalid WAL location",
                SqlState.INVALID_PARAMETER_VALUE,
                Lsn::parse,
                "",
                "/",
                "0/",
                "/0",
                "0",
                "5000028",
                "0/0/0",
                "1//0",
                "123456789/0",
                "0/123456789",
                "-1/0",
                "+1/0",
                "0/-1",
                "0/+1",
                " 0/0",
                "0/0 ",
                "0 /0",
                "0/ 0",
                "0x1/0",
                "G/0",
                "0/g",
                "0.1/0",
                "０/０",
                "0\\0"),
            malformed(
                "invalid timeline ID",
                SqlState.INVALID_PARAMETER_VALUE,
                TimelineId::parse,
                "",
                "0",
                "00",
                "-1",
                "+1",
                " 1",
                "1 ",
                "0x1",
                "A",
                "1.0",
                "4294967296",
                "99999999999",
                "18446744073709551617",
                "１"),
            malformed(
                "WAL segment size could not be parsed",
                SqlState.PROTOCOL_VIOLATION,
                WalSegmentSize::parseShow,
                "",
                "MB",
                "16mb",
                "16Mb",
                "16KB",
                "16 MB",
                " 16MB",
                "16MB ",
                "-16MB",
                "+16MB",
                "16.0MB",
                "0x1000000",
                "16MiB",
                "16M",
                "99999999999999MB",
                "9999999999999GB",
                "１６MB"))
        .flatMap(Function.identity());
  }

  private static Stream<Arguments> malformed(
      String what, SqlState state, Function<String, ?> parser, String... texts) {
    return Stream.of(texts).map(text -> arguments(what, text, state, parser));
  }

  @ParameterizedTest(name = "{0}: \"{1}\"")
  @MethodSource("malformed")
  void rejectsMalformedText(String what, String text, SqlState state, Function<String, ?> parser) {
    assertPgException(() -> parser.apply(text), state).hasMessage(what + ": \"" + text + "\"");
  }

  /** Non-canonical text, and the canonical text of the value it means. */
  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        // Hex digits in lower and mixed case.
        "Lsn        | 0/5000028a         | 0/5000028A",
        "Lsn        | abcdef01/fedcba98  | ABCDEF01/FEDCBA98",
        "Lsn        | fFfFfFfF/aBcD      | FFFFFFFF/ABCD",
        // Zero-padded halves.
        "Lsn        | 00000000/05000028  | 0/5000028",
        "Lsn        | 00000001/00000000  | 1/0",
        "Lsn        | 0000/0000          | 0/0",
        "Lsn        | 00000016/00000001  | 16/1",
        // Leading zeros.
        "TimelineId | 01                 | 1",
        "TimelineId | 0000000002         | 2",
        "TimelineId | 00004294967295     | 4294967295",
      })
  void parsesNonCanonicalText(String type, String text, String canonical) {
    Function<String, ?> parser =
        switch (type) {
          case "Lsn" -> Lsn::parse;
          case "TimelineId" -> TimelineId::parse;
          default -> throw new IllegalArgumentException(type);
        };
    assertThat(parser.apply(text)).hasToString(canonical).isEqualTo(parser.apply(canonical));
  }
}
