// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.Lsn;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.compress.Compression.Algorithm;
import io.jwalreceiver.testkit.Tools;
import io.jwalreceiver.wal.ResumePoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SegmentFileSink} with gzip, LZ4 and zstd: names, contents (decompressed with the JDK and
 * the libraries, and with the command-line tools where installed), flushes, resume and the {@link
 * ResumePoint} round trip.
 */
class CompressedSegmentFileSinkTest {

  private static final WalSegmentSize SIZE = new WalSegmentSize(1 << 20);
  private static final int SEG = SIZE.bytes();
  private static final TimelineId TLI_1 = TimelineId.FIRST;

  /** Segment 2 of timeline 1 starts at 0/200000 with 1 MiB segments. */
  private static final long SEG_2 = 2L * SEG;

  @TempDir Path dir;

  @RegisterExtension final OpenedSinks opened = new OpenedSinks();

  static Stream<Compression> compressions() {
    return Stream.of(
        Compression.of(Algorithm.GZIP),
        Compression.parse("gzip:1"),
        Compression.of(Algorithm.LZ4),
        Compression.parse("lz4:9"),
        Compression.of(Algorithm.ZSTD),
        Compression.parse("zstd:level=1,workers=2"));
  }

  private SegmentFileSink open(Compression compression) {
    SegmentFileSink sink =
        SegmentFileSink.open(dir, SIZE, SegmentFileOptions.DEFAULTS.withCompression(compression));
    opened.add(sink);
    return sink;
  }

  /** An open sink that has started timeline 1 at segment 2 (0/2000000). */
  private SegmentFileSink openAtSegment2(Compression compression) {
    SegmentFileSink sink = open(compression);
    sink.startTimeline(TLI_1, SEG_2);
    return sink;
  }

  /** Compressible like WAL: records with headers, text, zero runs, and some noise. */
  private static byte[] walLike(int n, long seed) {
    Random random = new Random(seed);
    byte[] bytes = new byte[n];
    byte[] text =
        "INSERT INTO accounts VALUES (42, 'jwalreceiver', now()); -- "
            .getBytes(StandardCharsets.US_ASCII);
    int i = 0;
    while (i < n) {
      int kind = random.nextInt(4);
      int len = Math.min(n - i, 16 + random.nextInt(400));
      for (int j = 0; j < len; j++) {
        bytes[i + j] =
            kind == 0 ? (byte) random.nextInt() : kind == 1 ? text[j % text.length] : (byte) 0;
      }
      i += len;
    }
    return bytes;
  }

  private Path file(String name) {
    return dir.resolve(name);
  }

  private static String name(long lsn) {
    return SegmentName.of(TLI_1, Lsn.of(lsn), SIZE).fileName();
  }

  private static InputStream decoder(Compression compression, InputStream raw) throws IOException {
    switch (compression.algorithm()) {
      case GZIP:
        return new GZIPInputStream(raw);
      case LZ4:
        return new LZ4FrameInputStream(raw);
      case ZSTD:
        return new ZstdInputStreamNoFinalizer(raw);
      default:
        throw new IllegalArgumentException(compression.toString());
    }
  }

  /** Decompresses a complete file; any truncation or corruption fails. */
  private static byte[] decompress(Compression compression, Path file) throws IOException {
    try (InputStream in = decoder(compression, Files.newInputStream(file))) {
      return in.readAllBytes();
    }
  }

  /**
   * Decompresses whatever a file still being written makes readable: everything up to its last
   * flush, then the decoder meets the unfinished end.
   */
  private static byte[] decompressPrefix(Compression compression, Path file) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    InputStream raw = Files.newInputStream(file);
    InputStream in =
        compression.algorithm() == Algorithm.ZSTD
            ? new ZstdInputStreamNoFinalizer(raw).setContinuous(true)
            : decoder(compression, raw);
    try (in) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // the unfinished end of the stream
    }
    return out.toByteArray();
  }

  private List<String> fileNames() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  // ---------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("compressions")
  void writesCompressedSegmentsAcrossBoundaries(Compression compression) throws IOException {
    SegmentFileSink sink = open(compression);
    byte[] wal = walLike(2 * SEG + SEG / 2, 42);
    sink.startTimeline(TLI_1, SEG_2);

    // Uneven pieces, heap (read-only views, as the receiver passes them) and direct, one of them
    // spanning a whole segment and both of its boundaries.
    int[] pieces = {1, 8191, 100_000, SEG + 7, 3, 70_000, Integer.MAX_VALUE};
    int from = 0;
    for (int i = 0; i < pieces.length; i++) {
      int n = Math.min(pieces[i], wal.length - from);
      ByteBuffer payload;
      if (i % 2 == 0) {
        payload = ByteBuffer.wrap(wal, from, n).asReadOnlyBuffer();
      } else {
        payload = ByteBuffer.allocateDirect(n).put(wal, from, n).flip();
      }
      sink.write(TLI_1, SEG_2 + from, payload);
      assertThat(payload.hasRemaining()).isFalse();
      from += n;
    }
    sink.flush();
    assertThat(sink.durablePosition()).isEqualTo(SEG_2 + wal.length);
    sink.close();

    String ext = compression.extension();
    assertThat(fileNames())
        .containsExactly(
            "000000010000000000000002" + ext,
            "000000010000000000000003" + ext,
            "000000010000000000000004" + ext + ".partial");
    assertThat(decompress(compression, file("000000010000000000000002" + ext)))
        .isEqualTo(Arrays.copyOfRange(wal, 0, SEG));
    assertThat(decompress(compression, file("000000010000000000000003" + ext)))
        .isEqualTo(Arrays.copyOfRange(wal, SEG, 2 * SEG));
    // A segment left partial is a finished stream of what was received, as pg_receivewal leaves
    // it: not pre-sized, nothing past the data.
    assertThat(decompress(compression, file("000000010000000000000004" + ext + ".partial")))
        .isEqualTo(Arrays.copyOfRange(wal, 2 * SEG, wal.length));
    assertThat(Files.size(file("000000010000000000000002" + ext))).isLessThan(SEG);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("compressions")
  void partialIsNotPreSizedAndIsRenamedWhenComplete(Compression compression) throws IOException {
    SegmentFileSink sink = openAtSegment2(compression);
    Path partial = file("000000010000000000000002" + compression.extension() + ".partial");
    Path complete = file("000000010000000000000002" + compression.extension());
    assertThat(partial).exists();
    assertThat(Files.size(partial)).isLessThan(100);

    byte[] wal = walLike(SEG, 7);
    SegmentCompletion.writeInTwoSteps(
        sink,
        TLI_1,
        SEG_2,
        wal,
        partial,
        complete,
        () -> assertThat(file("000000010000000000000002.partial")).doesNotExist());
    assertThat(decompress(compression, complete)).isEqualTo(wal);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("compressions")
  void flushPutsEveryWrittenByteIntoTheFile(Compression compression) throws IOException {
    SegmentFileSink sink = openAtSegment2(compression);
    Path partial = file("000000010000000000000002" + compression.extension() + ".partial");
    byte[] wal = walLike(SEG / 2, 9);
    int from = 0;
    for (int n : new int[] {5, 40_000, 123, 200_000}) {
      sink.write(TLI_1, SEG_2 + from, ByteBuffer.wrap(wal, from, n));
      from += n;
      sink.requestFlush();
      sink.flush();
      // What is durable is readable from the file as it is now: the compressor was flushed.
      assertThat(sink.durablePosition()).isEqualTo(SEG_2 + from);
      assertThat(decompressPrefix(compression, partial))
          .isEqualTo(Arrays.copyOfRange(wal, 0, from));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("compressions")
  void resumeTruncatesTheCompressedPartialAndRewritesIt(Compression compression)
      throws IOException {
    Path partial = file("000000010000000000000002" + compression.extension() + ".partial");
    // Whatever is there (an older, longer stream, or garbage) goes: any size is accepted.
    Files.write(partial, walLike(3 * SEG, 1));
    Path plainPartial = file("000000010000000000000002.partial");
    Files.write(plainPartial, new byte[12345]);
    SegmentFileSink sink = open(compression);

    sink.startTimeline(TLI_1, SEG_2);
    assertThat(Files.size(partial)).isLessThan(100);
    byte[] fresh = walLike(1000, 2);
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(fresh));
    sink.close();

    assertThat(decompress(compression, partial)).isEqualTo(fresh);
    // Files of another compression are not ours to touch (pg_receivewal leaves them too).
    assertThat(Files.size(plainPartial)).isEqualTo(12345);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("compressions")
  void resumePointAcceptsWhatTheSinkCompleted(Compression compression) throws IOException {
    SegmentFileSink sink = openAtSegment2(compression);
    byte[] wal = walLike(SEG + 100, 3);
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(wal));
    sink.close();
    List<String> warnings = new ArrayList<>();

    // The partial of segment 3 wins over the completed segment 2: rewrite segment 3.
    assertThat(ResumePoint.scan(dir, SIZE, warnings::add))
        .contains(
            new ResumePoint(
                TLI_1,
                Lsn.of(SEG_2 + SEG),
                "000000010000000000000003" + compression.extension() + ".partial"));
    Files.delete(file("000000010000000000000003" + compression.extension() + ".partial"));
    assertThat(ResumePoint.scan(dir, SIZE, warnings::add))
        .contains(
            new ResumePoint(
                TLI_1, Lsn.of(SEG_2 + SEG), "000000010000000000000002" + compression.extension()));
    assertThat(warnings).isEmpty();
  }

  @Test
  void noSyncKeepsDataInTheCompressorAndReportsTheWrittenPosition() throws IOException {
    SegmentFileSink sink =
        SegmentFileSink.open(
            dir,
            SIZE,
            SegmentFileOptions.DEFAULTS
                .withSyncPolicy(SyncPolicy.NEVER)
                .withCompression(Compression.of(Algorithm.GZIP)));
    opened.add(sink);
    sink.startTimeline(TLI_1, SEG_2);
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(walLike(1000, 4)));
    sink.flush();
    assertThat(sink.durablePosition()).isEqualTo(SEG_2 + 1000);
  }

  // ---- the command-line tools, where installed -------------------------------------------

  static Stream<Compression> toolChecks() {
    return Stream.of(
        Compression.parse("gzip:1"), Compression.of(Algorithm.LZ4), Compression.parse("zstd:5"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("toolChecks")
  void commandLineToolAcceptsCompletedSegments(Compression compression) throws Exception {
    String tool = compression.algorithm().toolName(); // gzip, lz4, zstd: the programs' names
    assumeTrue(Tools.installed(tool), tool + " is not installed");
    SegmentFileSink sink = openAtSegment2(compression);
    byte[] wal = walLike(2 * SEG + 10, 5);
    // Flushes in between: sync-flush points inside the stream must not upset the tools.
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(wal, 0, SEG / 3));
    sink.flush();
    sink.write(TLI_1, SEG_2 + SEG / 3, ByteBuffer.wrap(wal, SEG / 3, wal.length - SEG / 3));
    sink.close();

    for (String segment : List.of(name(SEG_2), name(SEG_2 + SEG))) {
      Path file = file(segment + compression.extension());
      Tools.Result test = Tools.run(Duration.ofSeconds(60), tool, "-t", file.toString());
      assertThat(test.exitCode()).as(tool + " -t " + file + ": " + test.all()).isZero();
      // And the tool's own decompression gives the WAL back.
      Process cat = new ProcessBuilder(tool, "-dc", file.toString()).start();
      byte[] content = cat.getInputStream().readAllBytes();
      assertThat(cat.waitFor(60, TimeUnit.SECONDS)).isTrue();
      int offset = segment.equals(name(SEG_2)) ? 0 : SEG;
      assertThat(content).isEqualTo(Arrays.copyOfRange(wal, offset, offset + SEG));
    }
  }
}
