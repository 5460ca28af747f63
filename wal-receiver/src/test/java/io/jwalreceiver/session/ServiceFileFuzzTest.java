// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Fuzz target for the service file reader ({@code pg_service.conf}; see docs/fuzzing.md).
 *
 * <p>The input is a service file, looked up for the service named by its first line's text after
 * {@code [} up to {@code ]} (or {@code s}). What must hold: reading ends with a result or a 08001
 * error, never another exception; a result sets only libpq keywords other than {@code service} and
 * {@code servicefile}, with values free of line ends and NUL; and a result says "found" whenever it
 * sets anything.
 */
class ServiceFileFuzzTest {

  @FuzzTest
  void parse(byte[] data) throws IOException {
    String text = new String(data, StandardCharsets.ISO_8859_1);
    int open = text.indexOf('[');
    int close = text.indexOf(']', open + 1);
    String service =
        open >= 0 && close > open
            ? new String(data, open + 1, close - open - 1, StandardCharsets.UTF_8)
            : "s";
    ServiceFile.Result result;
    try {
      result =
          ServiceFile.parse(
              new ByteArrayInputStream(data), "fuzz.conf", service, ConnInfo.KEYWORDS);
    } catch (PgException e) {
      assertThat(e.sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE);
      return;
    }
    Map<String, String> values = result.values();
    assertThat(ConnInfo.KEYWORDS).containsAll(values.keySet());
    assertThat(values).doesNotContainKeys("service", "servicefile");
    values.values().forEach(v -> assertThat(v).doesNotContain("\n", "\u0000"));
    if (!values.isEmpty()) {
      assertThat(result.found()).isTrue();
    }
  }
}
