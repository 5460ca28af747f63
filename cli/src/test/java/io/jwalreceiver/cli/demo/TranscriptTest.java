// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.session.QueryResult;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranscriptTest {

  @Test
  void laysOutRowsAsPsqlDoes() {
    QueryResult result =
        new QueryResult(
            List.of("id", "msg", "on_standby"),
            List.of(List.of("1", "hello from the primary", "t")),
            "SELECT 1");
    assertThat(Transcript.aligned(result))
        .containsExactly(
            " id |          msg           | on_standby",
            "----+------------------------+------------",
            " 1  | hello from the primary | t",
            "(1 row)");
  }

  @Test
  void printsNullsAsEmptyAndCountsRows() {
    QueryResult result =
        new QueryResult(
            List.of("slot_name", "restart_lsn"),
            List.of(Arrays.asList("a", null), List.of("bb", "0/3000000")),
            "SELECT 2");
    assertThat(Transcript.aligned(result))
        .containsExactly(
            " slot_name | restart_lsn",
            "-----------+-------------",
            " a         |",
            " bb        | 0/3000000",
            "(2 rows)");
  }
}
