// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.GoldenFiles;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/** Shared pieces of the tar tests: golden files, chunkings, and a recording listener. */
final class TarFixtures {

  /** A complete server archive (with end blocks): 5 members, 12288 bytes. */
  static final String BASE_EXCERPT = "pg15-base-excerpt.tar";

  /** A complete server tablespace archive: one directory member and the end blocks. */
  static final String TABLESPACE = "pg15-tablespace-16384.tar";

  private TarFixtures() {}

  static byte[] golden(String name) {
    return GoldenFiles.load(name);
  }

  /** The archive without its last 1024 bytes: the shape PostgreSQL 13 and 14 send. */
  static byte[] withoutEndBlocks(byte[] tar) {
    return Arrays.copyOf(tar, tar.length - 1024);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Recomputes the unsigned checksum of a header after a test has patched it. */
  static void fixChecksum(byte[] h) {
    Arrays.fill(h, TarHeader.CHKSUM, TarHeader.CHKSUM + 8, (byte) ' ');
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    byte[] digits = String.format(Locale.ROOT, "%06o", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(digits, 0, h, TarHeader.CHKSUM, 6);
    h[TarHeader.CHKSUM + 6] = 0;
    h[TarHeader.CHKSUM + 7] = ' ';
  }

  // ---------------------------------------------------------------------------------------

  /** How a stream is cut into the chunks fed to the reader. */
  record Split(String description, Function<Integer, int[]> sizes) {

    static Split whole() {
      return new Split("whole", n -> new int[] {n});
    }

    static Split fixed(int size) {
      return new Split(
          "fixed(" + size + ")",
          n -> {
            int[] s = new int[(n + size - 1) / size];
            Arrays.fill(s, size);
            if (n % size != 0) {
              s[s.length - 1] = n % size;
            }
            return s;
          });
    }

    static Split oneByteAtATime() {
      return fixed(1);
    }

    static Split random(long seed, int maxChunk) {
      return new Split(
          "random(" + seed + ", " + maxChunk + ")",
          n -> {
            Random rnd = new Random(seed);
            List<Integer> s = new ArrayList<>();
            for (int left = n; left > 0; ) {
              int c = 1 + rnd.nextInt(Math.min(maxChunk, left));
              s.add(c);
              left -= c;
            }
            return s.stream().mapToInt(Integer::intValue).toArray();
          });
    }

    /** Cuts {@code data}; the chunks are separate arrays, as a transport would hand them out. */
    List<ByteBuffer> apply(byte[] data) {
      List<ByteBuffer> chunks = new ArrayList<>();
      int at = 0;
      for (int n : sizes.apply(data.length)) {
        if (n > 0) {
          chunks.add(ByteBuffer.wrap(Arrays.copyOfRange(data, at, at + n)));
          at += n;
        }
      }
      return chunks;
    }

    @Override
    public String toString() {
      return description;
    }
  }

  static List<Split> everySplit() {
    List<Split> splits = new ArrayList<>();
    splits.add(Split.whole());
    splits.add(Split.oneByteAtATime());
    splits.add(Split.fixed(511));
    splits.add(Split.fixed(512));
    splits.add(Split.fixed(513));
    splits.add(Split.fixed(7));
    splits.add(Split.fixed(100));
    for (long seed : new long[] {1, 2, 3, 42, 20240601, -7}) {
      splits.add(Split.random(seed, 64));
      splits.add(Split.random(seed, 2000));
    }
    return splits;
  }

  /** Feeds {@code data} cut by {@code split}, then calls finish(). */
  static Recorder read(byte[] data, Split split) {
    Recorder r = new Recorder();
    TarReader reader = new TarReader(r);
    for (ByteBuffer chunk : split.apply(data)) {
      reader.feed(chunk);
      assertThat(chunk.hasRemaining()).as("feed consumes the whole chunk").isFalse();
    }
    reader.finish();
    return r;
  }

  // ---------------------------------------------------------------------------------------

  /** One member as the listener saw it. */
  record Member(TarHeader header, byte[] data) {

    String text() {
      return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Member m && header.equals(m.header) && Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
      return header.hashCode() * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return header + " (" + data.length + " bytes)";
    }
  }

  /**
   * Records members and checks the listener contract as it goes: start, non-empty read-only data
   * views, end with the same header, data adding up to the size, end() at most once.
   */
  static class Recorder implements TarListener {
    final List<Member> members = new ArrayList<>();
    int ends;
    int dataCalls;
    private TarHeader open;
    private ByteArrayOutputStream data;

    @Override
    public void entryStart(TarHeader header) {
      assertThat(open).as("entryStart while %s is open", open).isNull();
      assertThat(ends).as("entryStart after end()").isZero();
      assertThat(header.isExtension()).as("extension members are folded").isFalse();
      open = header;
      data = new ByteArrayOutputStream();
    }

    @Override
    public void entryData(ByteBuffer view) {
      assertThat(open).as("entryData outside an entry").isNotNull();
      assertThat(view.hasRemaining()).as("empty data view").isTrue();
      assertThat(view.isReadOnly()).as("data view is read-only").isTrue();
      dataCalls++;
      byte[] b = new byte[view.remaining()];
      view.get(b);
      data.writeBytes(b);
      assertThat((long) data.size()).isLessThanOrEqualTo(open.size());
    }

    @Override
    public void entryEnd(TarHeader header) {
      assertThat(header).isSameAs(open);
      assertThat((long) data.size()).as("data bytes of %s", header.name()).isEqualTo(header.size());
      members.add(new Member(header, data.toByteArray()));
      open = null;
    }

    @Override
    public void end() {
      assertThat(open).as("end() while %s is open", open).isNull();
      ends++;
    }

    List<String> names() {
      return members.stream().map(m -> m.header().name()).toList();
    }
  }
}
