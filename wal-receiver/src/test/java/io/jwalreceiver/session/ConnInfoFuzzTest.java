// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Map;

/**
 * Fuzz target for {@link ConnInfo#parse}: conninfo strings and URIs, as a user, a script or a
 * {@code primary_conninfo} hands them over (see docs/fuzzing.md).
 *
 * <p>What must hold: a string is either rejected with 08001 or parsed into known keywords only;
 * rendering the result with {@link ConnInfo#toConnInfoString} and parsing that gives the same
 * keywords, values and order back.
 */
class ConnInfoFuzzTest {

  /** The input, read as UTF-8, is the connection string. */
  @FuzzTest
  void parse(byte[] data) {
    String conninfo = new String(data, StandardCharsets.UTF_8);
    Map<String, String> parsed;
    try {
      parsed = ConnInfo.parse(conninfo);
    } catch (PgException e) {
      assertThat(e.sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE);
      return;
    }
    assertThat(ConnInfo.KEYWORDS).containsAll(parsed.keySet());
    assertThat(parsed.values()).doesNotContainNull();
    String rendered = ConnInfo.toConnInfoString(parsed);
    Map<String, String> again = ConnInfo.parse(rendered);
    assertThat(again).as("parse(render(%s))", rendered).isEqualTo(parsed);
    assertThat(new ArrayList<>(again.keySet())).isEqualTo(new ArrayList<>(parsed.keySet()));
    assertThat(ConnInfo.isConnInfo(rendered) || parsed.isEmpty()).isTrue();
  }
}
