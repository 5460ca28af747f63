// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.compress;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.compress.Compression.Algorithm;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Compression#parse}: PostgreSQL 15+'s {@code -Z} syntax, defaults and messages. */
class CompressionTest {

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("0", new Compression(Algorithm.NONE, 0, 0, false)),
        Arguments.of("", new Compression(Algorithm.NONE, 0, 0, false)),
        Arguments.of("none", new Compression(Algorithm.NONE, 0, 0, false)),
        Arguments.of("none:0", new Compression(Algorithm.NONE, 0, 0, false)),
        Arguments.of("5", new Compression(Algorithm.GZIP, 5, 0, false)),
        Arguments.of("9", new Compression(Algorithm.GZIP, 9, 0, false)),
        Arguments.of("gzip", new Compression(Algorithm.GZIP, -1, 0, false)),
        Arguments.of("gzip:1", new Compression(Algorithm.GZIP, 1, 0, false)),
        Arguments.of("gzip:level=9", new Compression(Algorithm.GZIP, 9, 0, false)),
        Arguments.of("gzip:-1", new Compression(Algorithm.GZIP, -1, 0, false)),
        Arguments.of("lz4", new Compression(Algorithm.LZ4, 0, 0, false)),
        Arguments.of("lz4:0", new Compression(Algorithm.LZ4, 0, 0, false)),
        Arguments.of("lz4:level=12", new Compression(Algorithm.LZ4, 12, 0, false)),
        Arguments.of("zstd", new Compression(Algorithm.ZSTD, 3, 0, false)),
        Arguments.of("zstd:-7", new Compression(Algorithm.ZSTD, -7, 0, false)),
        Arguments.of("zstd:level=22", new Compression(Algorithm.ZSTD, 22, 0, false)),
        Arguments.of("zstd:level=1,workers=3", new Compression(Algorithm.ZSTD, 1, 3, false)),
        Arguments.of("zstd:workers=2,long", new Compression(Algorithm.ZSTD, 3, 2, true)),
        Arguments.of("zstd:long=off", new Compression(Algorithm.ZSTD, 3, 0, false)),
        Arguments.of("zstd:level=5,level=6", new Compression(Algorithm.ZSTD, 6, 0, false)));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @MethodSource("accepted")
  void parsesSpecification(String option, Compression expected) {
    assertThat(Compression.parse(option)).isEqualTo(expected);
  }

  static Stream<Arguments> rejected() {
    String spec = "invalid compression specification: ";
    return Stream.of(
        // 020_pg_receivewal.pl and 010_pg_basebackup.pl
        Arguments.of(
            "none:1", spec + "compression algorithm \"none\" does not accept a compression level"),
        Arguments.of("none+", "unrecognized compression algorithm: \"none+\""),
        Arguments.of("extrasquishy", "unrecognized compression algorithm: \"extrasquishy\""),
        Arguments.of("gzip:", spec + "found empty string where a compression option was expected"),
        Arguments.of("gzip:thunk", spec + "unrecognized compression option: \"thunk\""),
        Arguments.of("gzip:level", spec + "compression option \"level\" requires a value"),
        Arguments.of(
            "gzip:level=", spec + "value for compression option \"level\" must be an integer"),
        Arguments.of(
            "gzip:level=high", spec + "value for compression option \"level\" must be an integer"),
        Arguments.of(
            "gzip:level=236",
            spec
                + "compression algorithm \"gzip\" expects a compression level between 1 and 9"
                + " (default at -1)"),
        Arguments.of(
            "gzip:level=9,", spec + "found empty string where a compression option was expected"),
        Arguments.of(
            "gzip:workers=3",
            spec + "compression algorithm \"gzip\" does not accept a worker count"),
        Arguments.of(
            "gzip:long",
            spec + "compression algorithm \"gzip\" does not support long-distance mode"),
        Arguments.of(
            "10",
            spec
                + "compression algorithm \"gzip\" expects a compression level between 1 and 9"
                + " (default at -1)"),
        Arguments.of(
            "gzip:0",
            spec
                + "compression algorithm \"gzip\" expects a compression level between 1 and 9"
                + " (default at -1)"),
        Arguments.of(
            "lz4:13",
            spec
                + "compression algorithm \"lz4\" expects a compression level between 1 and 12"
                + " (default at 0)"),
        Arguments.of(
            "zstd:23",
            spec
                + "compression algorithm \"zstd\" expects a compression level between -131072"
                + " and 22 (default at 3)"),
        Arguments.of(
            "zstd:long=maybe",
            spec + "value for compression option \"long\" must be a Boolean value"),
        Arguments.of("zstd:workers", spec + "compression option \"workers\" requires a value"),
        Arguments.of(
            "lz4:workers=2", spec + "compression algorithm \"lz4\" does not accept a worker count"),
        // A given option counts even at its default value; the level is checked first.
        Arguments.of(
            "gzip:workers=0",
            spec + "compression algorithm \"gzip\" does not accept a worker count"),
        Arguments.of(
            "lz4:long=off",
            spec + "compression algorithm \"lz4\" does not support long-distance mode"),
        Arguments.of(
            "gzip:workers=2,level=99",
            spec
                + "compression algorithm \"gzip\" expects a compression level between 1 and 9"
                + " (default at -1)"),
        Arguments.of("GZIP", "unrecognized compression algorithm: \"GZIP\""),
        Arguments.of("5x", "unrecognized compression algorithm: \"5x\""));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @MethodSource("rejected")
  void rejectsWithThePostgresMessage(String option, String message) {
    assertPgException(() -> Compression.parse(option), SqlState.INVALID_PARAMETER_VALUE)
        .hasMessage(message);
  }

  @Test
  void constructorValidatesLikeTheParser() {
    assertThatThrownBy(() -> new Compression(Algorithm.GZIP, 50, 0, false))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("expects a compression level between 1 and 9");
    assertThatThrownBy(() -> new Compression(Algorithm.LZ4, 0, 2, false))
        .hasMessageContaining("does not accept a worker count");
    assertThatThrownBy(() -> new Compression(Algorithm.ZSTD, 3, -1, false))
        .hasMessageContaining("must not be negative");
    assertThat(Compression.of(Algorithm.LZ4, 12)).isEqualTo(Compression.parse("lz4:12"));
  }

  @Test
  void namesFilesAsPgReceivewalDoes() {
    assertThat(Compression.NONE.extension()).isEmpty();
    assertThat(Compression.parse("gzip:1").extension()).isEqualTo(".gz");
    assertThat(Compression.parse("lz4").extension()).isEqualTo(".lz4");
    assertThat(Compression.parse("zstd").extension()).isEqualTo(".zst");
    assertThat(Compression.parse("zstd:level=1,workers=3")).hasToString("zstd:level=1,workers=3");
    assertThat(Compression.NONE).hasToString("none");
  }
}
