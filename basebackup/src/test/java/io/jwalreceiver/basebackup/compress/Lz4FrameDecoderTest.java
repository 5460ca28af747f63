// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import static io.jwalreceiver.basebackup.compress.CompressionFixtures.compressible;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.encode;
import static io.jwalreceiver.basebackup.compress.CompressionFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.testkit.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Lz4FrameDecoder} against our encoder (independent blocks, lz4-java) and the {@code lz4}
 * tool's linked blocks (what PostgreSQL's server-side LZ4 writes), with every optional field.
 */
class Lz4FrameDecoderTest {

  @TempDir Path tmp;

  private static byte[] data() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(compressible(1_200_000, 1));
    out.writeBytes(random(200_000, 2));
    out.writeBytes(new byte[300_000]);
    out.writeBytes(compressible(500_000, 3));
    return out.toByteArray();
  }

  /** Reads all with reads of random sizes. */
  private static byte[] readAll(InputStream in) throws IOException {
    Random r = new Random(4);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[300_000];
    int n;
    while ((n = in.read(buf, 0, 1 + r.nextInt(buf.length))) >= 0) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static byte[] decode(byte[] lz4) throws IOException {
    try (Lz4FrameDecoder d = new Lz4FrameDecoder(new ByteArrayInputStream(lz4))) {
      return readAll(d);
    }
  }

  @ParameterizedTest(name = "lz4:{0}")
  @ValueSource(ints = {0, 1, 9, 12})
  void readsWhatOurEncoderWrites(int level) throws IOException {
    byte[] data = data();
    assertThat(decode(encode(Compression.of(Compression.Algorithm.LZ4, level), 0, data, level)))
        .isEqualTo(data);
    assertThat(decode(encode(Compression.of(Compression.Algorithm.LZ4), 0, new byte[0], 1)))
        .isEmpty();
  }

  /** {@code lz4 <flags>} on {@code data}, or null when the tool is missing. */
  private byte[] lz4Tool(byte[] data, List<String> flags) throws Exception {
    Path lz4 = Path.of("/usr/bin/lz4");
    Assumptions.assumeTrue(Files.isExecutable(lz4), "lz4 not installed");
    Path in = tmp.resolve("in");
    Path out = tmp.resolve("out.lz4");
    Files.deleteIfExists(out);
    Files.write(in, data);
    List<String> cmd = new ArrayList<>(List.of(lz4.toString(), "-q", "-f"));
    cmd.addAll(flags);
    cmd.addAll(List.of(in.toString(), out.toString()));
    Tools.Result r = Tools.run(Duration.ofSeconds(60), cmd);
    assertThat(r.exitCode()).as(r.all()).isZero();
    return Files.readAllBytes(out);
  }

  @ParameterizedTest(name = "lz4 {0}")
  @ValueSource(
      strings = {
        "-BD -B4",
        "-BD -B5 -BX --content-size",
        "-BD -B6 --no-frame-crc",
        "-BD -B7 -9",
        "-BI -B4 -BX",
        "-1"
      })
  void readsTheLz4ToolsFramesIncludingLinkedBlocks(String flags) throws Exception {
    byte[] data = data();
    byte[] lz4 = lz4Tool(data, List.of(flags.split(" ")));
    assertThat(decode(lz4)).isEqualTo(data);
  }

  @Test
  void readsConcatenatedAndSkippableFrames() throws Exception {
    byte[] a = compressible(300_000, 5);
    byte[] b = random(100_000, 6);
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.writeBytes(lz4Tool(a, List.of("-BD")));
    // A skippable frame: magic 0x184D2A5F, size 3, three bytes.
    both.writeBytes(new byte[] {0x5f, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3});
    both.writeBytes(encode(Compression.of(Compression.Algorithm.LZ4), 0, b, 1));
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(a);
    expected.writeBytes(b);
    assertThat(decode(both.toByteArray())).isEqualTo(expected.toByteArray());
  }

  @Test
  void refusesCorruptAndTruncatedFrames() throws Exception {
    byte[] data = compressible(500_000, 7);
    byte[] lz4 = lz4Tool(data, List.of("-BD", "-BX"));
    byte[] truncated = java.util.Arrays.copyOf(lz4, lz4.length - 10);
    assertThatThrownBy(() -> decode(truncated))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ended prematurely");
    byte[] flipped = lz4.clone();
    flipped[lz4.length / 2] ^= 0x40;
    assertThatThrownBy(() -> decode(flipped)).isInstanceOf(IOException.class);
    byte[] notLz4 = random(1000, 8);
    assertThatThrownBy(() -> decode(notLz4))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not an LZ4 frame");
    byte[] withoutContentCrc = lz4Tool(data, List.of("-BD"));
    withoutContentCrc[withoutContentCrc.length - 1] ^= 1;
    assertThatThrownBy(() -> decode(withoutContentCrc))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("content checksum mismatch");
  }

  @Test
  void blockDecoderRejectsMatchesBeforeTheWindow() {
    // Token: 0 literals, match length 4; offset 5 with nothing before it.
    byte[] block = {0x00, 5, 0, 0x10, 'x'};
    assertThatThrownBy(() -> Lz4FrameDecoder.decodeBlock(block, block.length, new byte[64], 0, 64))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("corrupt LZ4 block");
  }
}
