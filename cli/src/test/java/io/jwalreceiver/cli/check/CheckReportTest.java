// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.cli.check.CheckItem.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The two renderings of a report, without a server. */
class CheckReportTest {

  private static final CheckReport MIXED =
      new CheckReport(
          List.of(
              CheckItem.ok("wal_level", "wal_level = replica"),
              CheckItem.warn("slot", "no slot given (-S)", "jwalreceiver slot create NAME"),
              CheckItem.fail(
                  "role",
                  "role \"a\\b\" lacks the REPLICATION attribute",
                  "SQL: ALTER ROLE \"a\\b\" REPLICATION;\nthen reconnect")));

  @Test
  void textHasOneLinePerItemWithFixLinesIndentedBelow() {
    assertThat(MIXED.toText())
        .isEqualTo(
            "OK    wal_level = replica\n"
                + "WARN  no slot given (-S)\n"
                + "      fix: jwalreceiver slot create NAME\n"
                + "FAIL  role \"a\\b\" lacks the REPLICATION attribute\n"
                + "      fix: SQL: ALTER ROLE \"a\\b\" REPLICATION;\n"
                + "           then reconnect\n"
                + "3 checks: 1 OK, 1 WARN, 1 FAIL\n");
  }

  @Test
  void jsonEscapesAndKeepsNullFixes() {
    assertThat(MIXED.toJson())
        .isEqualToIgnoringWhitespace(
            "{\"status\":\"FAIL\",\"ok\":1,\"warn\":1,\"fail\":1,\"items\":["
                + "{\"name\":\"wal_level\",\"status\":\"OK\",\"message\":\"wal_level = replica\","
                + "\"fix\":null},"
                + "{\"name\":\"slot\",\"status\":\"WARN\",\"message\":\"no slot given (-S)\","
                + "\"fix\":\"jwalreceiver slot create NAME\"},"
                + "{\"name\":\"role\",\"status\":\"FAIL\","
                + "\"message\":\"role \\\"a\\\\b\\\" lacks the REPLICATION attribute\","
                + "\"fix\":\"SQL: ALTER ROLE \\\"a\\\\b\\\" REPLICATION;\\nthen reconnect\"}]}");
  }

  @Test
  void onlyAFailFailsTheReport() {
    assertThat(MIXED.failed()).isTrue();
    assertThat(MIXED.worst()).isEqualTo(Status.FAIL);
    CheckReport warned = new CheckReport(MIXED.items().subList(0, 2));
    assertThat(warned.failed()).isFalse();
    assertThat(warned.worst()).isEqualTo(Status.WARN);
    assertThat(new CheckReport(List.of()).worst()).isEqualTo(Status.OK);
    assertThat(new CheckReport(List.of(MIXED.items().get(0))).summary())
        .isEqualTo("1 check: 1 OK, 0 WARN, 0 FAIL");
  }
}
