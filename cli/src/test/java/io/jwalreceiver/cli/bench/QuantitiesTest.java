// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuantitiesTest {

  @Test
  void bytesUsePostgresqlUnits() {
    assertThat(Quantities.parseBytes("32MB")).isEqualTo(32L << 20);
    assertThat(Quantities.parseBytes("1GB")).isEqualTo(1L << 30);
    assertThat(Quantities.parseBytes("512kB")).isEqualTo(512L << 10);
    assertThat(Quantities.parseBytes("2GiB")).isEqualTo(2L << 30);
    assertThat(Quantities.parseBytes("1.5MB")).isEqualTo(3L << 19);
    assertThat(Quantities.parseBytes("4096")).isEqualTo(4096);
  }

  @Test
  void badBytesAreRefused() {
    assertThat(Quantities.parseBytes("")).isEqualTo(-1);
    assertThat(Quantities.parseBytes("MB")).isEqualTo(-1);
    assertThat(Quantities.parseBytes("10 parsecs")).isEqualTo(-1);
    assertThat(Quantities.parseBytes("-5MB")).isEqualTo(-1);
    assertThat(Quantities.parseBytes("0")).isEqualTo(-1);
  }

  @Test
  void durations() {
    assertThat(Quantities.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Quantities.parseDuration("30")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Quantities.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Quantities.parseDuration("5min")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Quantities.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Quantities.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Quantities.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void badDurationsAreRefused() {
    assertThat(Quantities.parseDuration("soon")).isNull();
    assertThat(Quantities.parseDuration("0s")).isNull();
    assertThat(Quantities.parseDuration("3 fortnights")).isNull();
  }
}
