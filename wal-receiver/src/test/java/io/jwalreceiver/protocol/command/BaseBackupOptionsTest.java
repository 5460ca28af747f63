// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BASE_BACKUP's text in both syntaxes, pinned to the bytes the option record rendered before its
 * two renderers became one option list.
 */
class BaseBackupOptionsTest {

  private static final BaseBackupOptions DEFAULTS =
      new BaseBackupOptions(
          "pg_basebackup base backup",
          true,
          false,
          false,
          false,
          0,
          false,
          true,
          "yes",
          null,
          null,
          null,
          null,
          null,
          false);

  private static final BaseBackupOptions EVERYTHING =
      new BaseBackupOptions(
          "it's a \\ test",
          true,
          true,
          true,
          true,
          1024,
          true,
          false,
          "force-encode",
          "SHA256",
          "server",
          "/tmp/x",
          "gzip",
          "level=5",
          true);

  private static final BaseBackupOptions BLACKHOLE =
      new BaseBackupOptions(
          "l",
          false,
          false,
          false,
          true,
          0,
          false,
          true,
          "no",
          null,
          "blackhole",
          null,
          "lz4",
          null,
          false);

  static Stream<Arguments> texts() {
    return Stream.of(
        Arguments.of(
            DEFAULTS,
            150000,
            "BASE_BACKUP ( LABEL 'pg_basebackup base backup', PROGRESS, WAIT 0, MANIFEST 'yes',"
                + " TARGET 'client')"),
        Arguments.of(
            DEFAULTS,
            140000,
            "BASE_BACKUP LABEL 'pg_basebackup base backup' PROGRESS NOWAIT MANIFEST 'yes'"),
        Arguments.of(
            EVERYTHING,
            170000,
            "BASE_BACKUP ( LABEL 'it''s a \\ test', PROGRESS, CHECKPOINT 'fast', WAL, MAX_RATE"
                + " 1024, TABLESPACE_MAP, VERIFY_CHECKSUMS 0, MANIFEST 'force-encode',"
                + " MANIFEST_CHECKSUMS 'SHA256', TARGET 'server', TARGET_DETAIL '/tmp/x',"
                + " COMPRESSION 'gzip', COMPRESSION_DETAIL 'level=5', INCREMENTAL)"),
        Arguments.of(
            EVERYTHING,
            130000,
            "BASE_BACKUP LABEL 'it''s a \\ test' PROGRESS FAST WAL MAX_RATE 1024 TABLESPACE_MAP"
                + " NOVERIFY_CHECKSUMS MANIFEST 'force-encode' MANIFEST_CHECKSUMS 'SHA256'"),
        Arguments.of(
            BLACKHOLE,
            150000,
            "BASE_BACKUP ( LABEL 'l', MANIFEST 'no', TARGET 'blackhole', COMPRESSION 'lz4')"),
        Arguments.of(BLACKHOLE, 140000, "BASE_BACKUP LABEL 'l' MANIFEST 'no'"));
  }

  @ParameterizedTest
  @MethodSource("texts")
  void rendersTheSyntaxOfTheServerVersion(
      BaseBackupOptions options, int serverVersionNum, String expected) {
    assertThat(options.text(serverVersionNum)).isEqualTo(expected);
  }
}
