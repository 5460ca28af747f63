// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.archive.upload.WalFileName.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WalFileNameTest {

  @Test
  void recognisesWhatReceivewalWrites() {
    assertThat(WalFileName.parse("00000002.history"))
        .contains(new WalFileName("00000002.history", Kind.HISTORY, 2, 0));
    assertThat(WalFileName.parse("0000000A00000001000000FF"))
        .contains(new WalFileName("0000000A00000001000000FF", Kind.SEGMENT, 10, 0x1_0000_00FFL));
    assertThat(WalFileName.parse("000000010000000000000003.zst").orElseThrow().kind())
        .isEqualTo(Kind.SEGMENT);
    assertThat(WalFileName.parse("000000010000000000000003.gz.partial").orElseThrow().kind())
        .isEqualTo(Kind.PARTIAL);
    assertThat(WalFileName.parse("000000010000000000000003.partial").orElseThrow().position())
        .isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "00000002.history.tmp",
        "00000000.history",
        "000000000000000000000003",
        "00000001000000000000000a",
        "000000010000000000000003.bz2",
        "000000010000000000000003.partial.tmp",
        "000000010000000000000003.00000028.backup",
        ".jwalreceiver",
        "xlogtemp",
        "archive_status"
      })
  void ignoresEverythingElse(String name) {
    assertThat(WalFileName.parse(name)).isEmpty();
  }

  @Test
  void uploadOrderIsTimelineThenHistoryThenPosition() {
    List<WalFileName> files = new ArrayList<>();
    for (String n :
        List.of(
            "000000020000000100000000",
            "000000010000000000000007.partial",
            "00000002.history",
            "0000000100000000000000FF",
            "000000020000000000000007.partial",
            "000000010000000000000007",
            "000000010000000100000000")) {
      files.add(WalFileName.parse(n).orElseThrow());
    }
    files.sort(WalFileName.UPLOAD_ORDER);
    assertThat(files)
        .extracting(WalFileName::fileName)
        .containsExactly(
            "000000010000000000000007",
            "000000010000000000000007.partial",
            "0000000100000000000000FF",
            "000000010000000100000000",
            "00000002.history",
            "000000020000000000000007.partial",
            "000000020000000100000000");
  }
}
