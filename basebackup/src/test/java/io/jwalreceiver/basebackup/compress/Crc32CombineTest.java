// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** {@link Crc32Combine} against the JDK's CRC-32 of the whole concatenation. */
class Crc32CombineTest {

  private static int crc(byte[] data, int offset, int length) {
    CRC32 c = new CRC32();
    c.update(data, offset, length);
    return (int) c.getValue();
  }

  @Test
  void combinedCrcEqualsTheCrcOfTheConcatenation() {
    Random random = new Random(42);
    byte[] data = new byte[3 * 1024 * 1024 + 17];
    random.nextBytes(data);
    int whole = crc(data, 0, data.length);
    // Cut points: empty parts, single bytes, powers of two and odd sizes.
    int[] cuts = {
      0, 1, 2, 7, 8, 255, 4096, 65_536, 262_144, 1_048_577, data.length - 1, data.length
    };
    for (int cut : cuts) {
      int a = crc(data, 0, cut);
      int b = crc(data, cut, data.length - cut);
      assertThat(Crc32Combine.combine(a, b, data.length - cut))
          .as("cut at " + cut)
          .isEqualTo(whole);
    }
  }

  @Test
  void manyBlocksFoldedInOrder() {
    Random random = new Random(7);
    byte[] data = new byte[5_000_000];
    random.nextBytes(data);
    int folded = crc(data, 0, 0);
    for (int off = 0; off < data.length; off += 262_144) {
      int len = Math.min(262_144, data.length - off);
      folded = Crc32Combine.combine(folded, crc(data, off, len), len);
    }
    assertThat(folded).isEqualTo(crc(data, 0, data.length));
  }

  @Test
  void aWrongPartGivesAnotherCrc() {
    byte[] data =
        "the quick brown fox jumps over the lazy dog"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int a = crc(data, 0, 10);
    int b = crc(data, 10, data.length - 10);
    assertThat(Crc32Combine.combine(a, b ^ 1, data.length - 10))
        .isNotEqualTo(crc(data, 0, data.length));
    assertThat(Crc32Combine.combine(a, b, data.length - 11))
        .isNotEqualTo(crc(data, 0, data.length));
  }
}
