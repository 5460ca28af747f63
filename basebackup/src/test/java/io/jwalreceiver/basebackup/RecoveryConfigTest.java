// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.session.ConnInfo;
import io.jwalreceiver.session.ConnectionConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** primary_conninfo from resolved settings: a host list is written as a list. */
class RecoveryConfigTest {

  private static Map<String, String> keywords(String conninfo) {
    ConnectionConfig cfg =
        ConnInfo.resolve(conninfo, null, null, null, Map.of(), "u", null, "x", p -> false);
    return RecoveryConfig.keywordsOf(cfg);
  }

  @Test
  void writesAHostListWithItsAddressesPortsAndTarget() {
    assertThat(
            keywords("host=a,b hostaddr=10.0.0.1, port=5433,5434 target_session_attrs=read-write"))
        .containsEntry("host", "a,b")
        .containsEntry("hostaddr", "10.0.0.1,")
        .containsEntry("port", "5433,5434")
        .containsEntry("target_session_attrs", "read-write");
  }

  @Test
  void writesASingleHostAsBefore() {
    assertThat(keywords("host=a hostaddr=10.0.0.1 port=5433 target_session_attrs=read-write"))
        .containsEntry("host", "a")
        .containsEntry("port", "5433")
        .doesNotContainKeys("hostaddr", "target_session_attrs");
  }
}
