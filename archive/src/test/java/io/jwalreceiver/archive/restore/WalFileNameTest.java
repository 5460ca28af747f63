// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WalFileNameTest {

  @Test
  void aSegmentIsLookedForPlainThenCompressedThenAsPartial() {
    WalFileName name = WalFileName.parse("000000010000000000000003");
    assertThat(name.kind()).isEqualTo(WalFileName.Kind.SEGMENT);
    assertThat(name.candidates())
        .containsExactly(
            "000000010000000000000003",
            "000000010000000000000003.gz",
            "000000010000000000000003.lz4",
            "000000010000000000000003.zst",
            "000000010000000000000003.partial",
            "000000010000000000000003.gz.partial",
            "000000010000000000000003.lz4.partial",
            "000000010000000000000003.zst.partial");
    assertThat(name.compressionOf("000000010000000000000003.lz4.partial")).isEqualTo(".lz4");
    assertThat(WalFileName.isPartial("000000010000000000000003.lz4.partial")).isTrue();
  }

  @Test
  void aHistoryFileHasNoPartialAndABackupHistoryFileOnlyItsName() {
    assertThat(WalFileName.parse("0000000A.history").candidates())
        .containsExactly(
            "0000000A.history",
            "0000000A.history.gz",
            "0000000A.history.lz4",
            "0000000A.history.zst");
    assertThat(WalFileName.parse("000000010000000000000003.00000028.backup").candidates())
        .containsExactly("000000010000000000000003.00000028.backup");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "../000000010000000000000003",
        "/tmp/000000010000000000000003",
        "pg_wal/000000010000000000000003",
        "00000001000000000000000a",
        "000000010000000000000003.partial",
        "000000010000000000000003.gz",
        "00000002.history/../x",
        "RECOVERYXLOG",
        "0000000100000000000000030"
      })
  void anythingElseIsRefusedNeverUsedAsAPath(String name) {
    assertThatThrownBy(() -> WalFileName.parse(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid WAL file name \"" + name + "\"");
  }
}
