// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.embedded.PgBinaries;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PgVersionsTest {

  @Test
  void blankOrMissingMeansAllSupported() {
    assertThat(PgVersions.parse(null)).containsExactly(13, 14, 15, 16, 17, 18);
    assertThat(PgVersions.parse("")).isEqualTo(PgVersions.SUPPORTED);
    assertThat(PgVersions.parse("  , ")).isEqualTo(PgVersions.SUPPORTED);
  }

  @Test
  void sortsAndDeduplicates() {
    assertThat(PgVersions.parse("18,13,13, 15")).containsExactly(13, 15, 18);
    assertThat(PgVersions.parse("16 14")).containsExactly(14, 16);
  }

  @ParameterizedTest
  @CsvSource({"15,15", "15.13.0,15", "16.11,16", "pg17,17", " 18 ,18"})
  void acceptsVersionSpellings(String token, int major) {
    assertThat(PgVersions.parseMajor(token)).isEqualTo(major);
  }

  @Test
  void rejectsUnsupportedOrMalformedVersions() {
    assertThatThrownBy(() -> PgVersions.parse("12,13"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported PostgreSQL version 12");
    assertThatThrownBy(() -> PgVersions.parse("latest"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'latest'");
  }

  @Test
  void everySupportedVersionHasServerBinaries() {
    assertThat(PgBinaries.VERSIONS.keySet())
        .containsExactlyInAnyOrderElementsOf(PgVersions.SUPPORTED);
  }

  @Test
  void optionsAccumulateWithoutSharingState() {
    PostgresServer.Options base = PostgresServer.Options.of(16);
    PostgresServer.Options changed =
        base.withTls(true)
            .withSetting("wal_level", "logical")
            .withSettings(Map.of("max_wal_size", "64MB"))
            .withHbaLine("host replication alice 127.0.0.1/32 reject")
            .withInitdbArgs("--wal-segsize=1")
            .withFast(false);
    assertThat(base.settings()).isEmpty();
    assertThat(base.tls()).isEqualTo(PostgresServer.Tls.OFF);
    assertThat(changed.tls()).isEqualTo(PostgresServer.Tls.ON);
    assertThat(changed.settings())
        .containsEntry("wal_level", "logical")
        .containsKey("max_wal_size");
    assertThat(changed.hbaLines()).hasSize(1);
    assertThat(changed.initdbArgs()).isEqualTo(List.of("--wal-segsize=1"));
    assertThat(changed.fast()).isFalse();
    assertThat(base.withTlsWrongHostname().tls()).isEqualTo(PostgresServer.Tls.WRONG_HOSTNAME);
    assertThat(base.withTls(true)).isEqualTo(PostgresServer.Options.of(16).withTls(true));
  }
}
