// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.compress;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.compress.Compression.Algorithm;
import io.jwalreceiver.testkit.CompressionSpecCases;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Compression#parse}: PostgreSQL 15+'s {@code -Z} syntax, defaults and messages. */
class CompressionTest {

  /** The option and what it means: algorithm, level, workers, long-distance mode. */
  @ParameterizedTest(name = "\"{0}\"")
  @CsvSource(
      delimiter = '|',
      value = {
        "0                      | NONE | 0  | 0 | false",
        "''                     | NONE | 0  | 0 | false",
        "none                   | NONE | 0  | 0 | false",
        "none:0                 | NONE | 0  | 0 | false",
        "5                      | GZIP | 5  | 0 | false",
        "9                      | GZIP | 9  | 0 | false",
        "gzip                   | GZIP | -1 | 0 | false",
        "gzip:1                 | GZIP | 1  | 0 | false",
        "gzip:level=9           | GZIP | 9  | 0 | false",
        "gzip:-1                | GZIP | -1 | 0 | false",
        "lz4                    | LZ4  | 0  | 0 | false",
        "lz4:0                  | LZ4  | 0  | 0 | false",
        "lz4:level=12           | LZ4  | 12 | 0 | false",
        "zstd                   | ZSTD | 3  | 0 | false",
        "zstd:-7                | ZSTD | -7 | 0 | false",
        "zstd:level=22          | ZSTD | 22 | 0 | false",
        "zstd:level=1,workers=3 | ZSTD | 1  | 3 | false",
        "zstd:workers=2,long    | ZSTD | 3  | 2 | true",
        "zstd:long=off          | ZSTD | 3  | 0 | false",
        "zstd:level=5,level=6   | ZSTD | 6  | 0 | false",
      })
  void parsesSpecification(
      String option, Algorithm algorithm, int level, int workers, boolean longMode) {
    assertThat(Compression.parse(option))
        .isEqualTo(new Compression(algorithm, level, workers, longMode));
  }

  static Stream<Object[]> rejected() {
    String spec = CompressionSpecCases.SPEC;
    String gzipLevel = spec + CompressionSpecCases.gzipLevelRange();
    return Stream.concat(
        // 020_pg_receivewal.pl and 010_pg_basebackup.pl
        CompressionSpecCases.rejectedUpstream(),
        Stream.of(
            new Object[][] {
              {"10", gzipLevel},
              {"gzip:0", gzipLevel},
              {
                "lz4:13",
                spec
                    + "compression algorithm \"lz4\" expects a compression level between 1 and 12"
                    + " (default at 0)"
              },
              {
                "zstd:23",
                spec
                    + "compression algorithm \"zstd\" expects a compression level between -131072"
                    + " and 22 (default at 3)"
              },
              {
                "zstd:long=maybe",
                spec + "value for compression option \"long\" must be a Boolean value"
              },
              {"zstd:workers", spec + "compression option \"workers\" requires a value"},
              {
                "lz4:workers=2",
                spec + "compression algorithm \"lz4\" does not accept a worker count"
              },
              // A given option counts even at its default value; the level is checked first.
              {
                "gzip:workers=0",
                spec + "compression algorithm \"gzip\" does not accept a worker count"
              },
              {
                "lz4:long=off",
                spec + "compression algorithm \"lz4\" does not support long-distance mode"
              },
              {"gzip:workers=2,level=99", gzipLevel},
              {"GZIP", "unrecognized compression algorithm: \"GZIP\""},
              {"5x", "unrecognized compression algorithm: \"5x\""},
            }));
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
