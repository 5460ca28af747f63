// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The byte value of the secret-carrying message records: copies both ways, equal by content. */
class ByteStringTest {

  @Test
  void copiesInAndOutAndComparesByContent() {
    byte[] source = {1, 2, 3};
    ByteString b = ByteString.copyOf(source);
    source[0] = 9;
    byte[] out = b.toArray();
    out[1] = 9;

    assertThat(b.toArray()).containsExactly(1, 2, 3);
    assertThat(b.length()).isEqualTo(3);
    assertThat(b)
        .isEqualTo(ByteString.copyOf(new byte[] {1, 2, 3}))
        .hasSameHashCodeAs(ByteString.copyOf(new byte[] {1, 2, 3}))
        .isNotEqualTo(ByteString.copyOf(new byte[] {1, 2}));
  }

  @Test
  void theViewIsReadOnlyAndTheTextShowsOnlyTheLength() {
    ByteString b =
        ByteString.copyOf("p=proof".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    ByteBuffer view = b.view();

    assertThat(view.isReadOnly()).isTrue();
    assertThat(view.remaining()).isEqualTo(7);
    assertThat(b).hasToString("7 bytes");
  }
}
