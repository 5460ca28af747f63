// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.Compression.Algorithm;
import io.jwalreceiver.testkit.CompressionSpecCases;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pg_basebackup 15+'s {@code -Z} parsing: the client-side messages of upstream 010 items 5–6 and
 * 12–31 (pg-tools-features §3.1), the location prefixes, and the server-side pass-through.
 */
class BackupCompressionTest {

  /** Items 5–6 and 12–31: the spec and pg_basebackup's client-side message. */
  static Stream<Object[]> rejected() {
    return Stream.concat(
        CompressionSpecCases.rejectedUpstream(),
        Stream.<Object[]>of(
            new Object[] {
              "lz4:long=maybe",
              CompressionSpecCases.SPEC
                  + "value for compression option \"long\" must be a Boolean value"
            }));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @MethodSource("rejected")
  void rejectsClientSideSpecificationsWithPostgresMessages(String spec, String message) {
    for (String option : new String[] {spec, "client-" + spec}) {
      assertThatThrownBy(() -> BackupCompression.parse(option))
          .isInstanceOf(PgException.class)
          .hasMessage(message);
    }
  }

  @ParameterizedTest(name = "\"{0}\"")
  @MethodSource("rejected")
  void passesServerSideSpecificationsThroughUnvalidated(String spec, String ignored) {
    BackupCompression c = BackupCompression.parse("server-" + spec);
    assertThat(c.serverSide()).isTrue();
    assertThat(c.clientSide()).isFalse();
    assertThat(c.client()).isEqualTo(Compression.NONE);
    Compression.Spec split = Compression.split(spec);
    assertThat(c.serverAlgorithm()).isEqualTo(split.algorithm());
    assertThat(c.serverDetail()).isEqualTo(split.detail());
  }

  /** The option and the client-side compression it means (algorithm, level, workers, long). */
  @ParameterizedTest(name = "\"{0}\"")
  @CsvSource(
      delimiter = '|',
      value = {
        "1                        | GZIP | 1  | 0 | false",
        "9                        | GZIP | 9  | 0 | false",
        "0                        | NONE | 0  | 0 | false",
        "none                     | NONE | 0  | 0 | false",
        "gzip                     | GZIP | -1 | 0 | false",
        "gzip:1                   | GZIP | 1  | 0 | false",
        "client-gzip:5            | GZIP | 5  | 0 | false",
        "client-lz4:1             | LZ4  | 1  | 0 | false",
        "lz4                      | LZ4  | 0  | 0 | false",
        "zstd                     | ZSTD | 3  | 0 | false",
        "client-zstd:level=1,long | ZSTD | 1  | 0 | true",
        "client-zstd:workers=3    | ZSTD | 3  | 3 | false",
      })
  void parsesClientSideSpecifications(
      String option, Algorithm algorithm, int level, int workers, boolean longMode) {
    Compression expected = new Compression(algorithm, level, workers, longMode);
    BackupCompression c = BackupCompression.parse(option);
    assertThat(c.location()).isEqualTo(BackupCompression.Location.CLIENT);
    assertThat(c.client()).isEqualTo(expected);
    assertThat(c.clientSide()).isEqualTo(expected.compressed());
    assertThat(c.serverSide()).isFalse();
    assertThat(c.serverAlgorithm()).isNull();
  }

  @Test
  void gzipFlagIsClientGzipAtTheDefaultLevel() {
    assertThat(BackupCompression.gzip().client())
        .isEqualTo(new Compression(Algorithm.GZIP, -1, 0, false));
    assertThat(BackupCompression.gzip().clientSide()).isTrue();
    assertThat(BackupCompression.NONE.clientSide()).isFalse();
    assertThat(BackupCompression.NONE.serverSide()).isFalse();
  }

  @Test
  void serverSideSplitsLikeParseCompressOptions() {
    // COMPRESSION / COMPRESSION_DETAIL as pg_basebackup 15 sends them.
    assertServer("server-gzip", "gzip", null);
    assertServer("server-gzip:5", "gzip", "5");
    assertServer("server-lz4:level=5", "lz4", "level=5");
    assertServer("server-zstd:level=1,long", "zstd", "level=1,long");
    assertServer("server-5", "gzip", "5");
    assertServer("server-0", "none", "0");
    assertServer("server-none", "none", null);
    assertServer("server-gzip:level=9,", "gzip", "level=9,");
  }

  private static void assertServer(String option, String algorithm, String detail) {
    BackupCompression c = BackupCompression.parse(option);
    assertThat(c.serverSide()).as(option).isTrue();
    assertThat(c.serverAlgorithm()).as(option).isEqualTo(algorithm);
    assertThat(c.serverDetail()).as(option).isEqualTo(detail);
  }

  @Test
  void workersAreAdjustable() {
    assertThat(BackupCompression.gzip().gzipWorkers())
        .isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(BackupCompression.gzip().withGzipWorkers(0).gzipWorkers()).isZero();
    assertThatThrownBy(() -> BackupCompression.gzip().withGzipWorkers(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void zstdWorkersGivenInTheOptionAreUsedAsGivenEvenZero() {
    int cores = Runtime.getRuntime().availableProcessors();
    // Without workers=, zstd gets the compression threads; with it, exactly that many.
    assertThat(BackupCompression.parse("client-zstd").encoderThreads()).isEqualTo(cores);
    assertThat(BackupCompression.parse("client-zstd:workers=0").encoderThreads()).isZero();
    assertThat(BackupCompression.parse("client-zstd:level=5,workers=0").clientWorkersGiven())
        .isTrue();
    assertThat(BackupCompression.parse("zstd:workers=3").client().workers()).isEqualTo(3);
    // The environment's thread count does not override an explicit workers=.
    assertThat(BackupCompression.parse("client-zstd:workers=0").withGzipWorkers(4).encoderThreads())
        .isZero();
    assertThat(BackupCompression.parse("client-zstd").withGzipWorkers(4).encoderThreads())
        .isEqualTo(4);
    // gzip and lz4 always use the compression threads.
    assertThat(BackupCompression.parse("client-gzip:5").encoderThreads()).isEqualTo(cores);
    assertThat(BackupCompression.parse("client-lz4").withGzipWorkers(0).encoderThreads()).isZero();
  }
}
