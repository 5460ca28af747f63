// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineHistoryFile.Entry;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SegmentFileSinkTest {

  private static final WalSegmentSize SIZE = new WalSegmentSize(1 << 20);
  private static final int SEG = SIZE.bytes();
  private static final TimelineId TLI_1 = TimelineId.FIRST;
  private static final TimelineId TLI_2 = new TimelineId(2);

  /** Segment 2 of timeline 1 starts at 0/200000 with 1 MiB segments. */
  private static final long SEG_2 = 2L * SEG;

  @TempDir Path dir;

  @RegisterExtension final OpenedSinks opened = new OpenedSinks();

  private SegmentFileSink open(SegmentFileOptions options) {
    return track(SegmentFileSink.open(dir, SIZE, options));
  }

  /** A sink with the default options that has started timeline 1 at segment 2 (0/2000000). */
  private SegmentFileSink openAtSegment2() {
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);
    sink.startTimeline(TLI_1, SEG_2);
    return sink;
  }

  /** {@link #openAtSegment2()} after a write of ten bytes at the segment's start. */
  private SegmentFileSink openWithTenBytesWritten() {
    SegmentFileSink sink = openAtSegment2();
    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(10));
    return sink;
  }

  private SegmentFileSink open(ControlledChannels channels) {
    return track(SegmentFileSink.open(dir, SIZE, SegmentFileOptions.DEFAULTS, channels));
  }

  private SegmentFileSink track(SegmentFileSink sink) {
    opened.add(sink);
    return sink;
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private Path file(String name) {
    return dir.resolve(name);
  }

  private static String name(TimelineId tli, long lsn) {
    return SegmentName.of(tli, Lsn.of(lsn), SIZE).fileName();
  }

  private static void await(BooleanSupplier condition) {
    Waits.await(Duration.ofSeconds(10), condition, "the condition");
  }

  // ---------------------------------------------------------------------------------------

  @Test
  void reportsEachForceOfWalToTheSyncListener() throws Exception {
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);
    List<Long> forces = java.util.Collections.synchronizedList(new ArrayList<>());
    sink.onSync(forces::add);
    sink.startTimeline(TLI_1, SEG_2);
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(randomBytes(1000, 3)));
    sink.flush();
    assertThat(forces).hasSize(1);
    // A completed segment is forced once more.
    sink.write(TLI_1, SEG_2 + 1000, ByteBuffer.wrap(randomBytes(SEG - 1000, 4)));
    sink.flush();
    assertThat(forces).hasSize(2).allSatisfy(n -> assertThat(n).isPositive());
  }

  @Test
  void reportsNoForceWithoutSync() {
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS.withSyncPolicy(SyncPolicy.NEVER));
    List<Long> forces = java.util.Collections.synchronizedList(new ArrayList<>());
    sink.onSync(forces::add);
    sink.startTimeline(TLI_1, SEG_2);
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(randomBytes(SEG, 5)));
    sink.flush();
    assertThat(forces).isEmpty();
  }

  @Test
  void writesAcrossSegmentBoundariesIntoExactSegmentFiles() throws IOException {
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);
    byte[] wal = randomBytes(2 * SEG + SEG / 2, 42);
    sink.startTimeline(TLI_1, SEG_2);

    // Uneven pieces, one of them spanning a whole segment and both of its boundaries.
    int[] pieces = {1, 8191, 100_000, SEG + 7, 3, Integer.MAX_VALUE};
    int from = 0;
    for (int piece : pieces) {
      int n = Math.min(piece, wal.length - from);
      ByteBuffer payload = ByteBuffer.wrap(wal, from, n).asReadOnlyBuffer();
      sink.write(TLI_1, SEG_2 + from, payload);
      assertThat(payload.hasRemaining()).isFalse();
      from += n;
    }
    assertThat(from).isEqualTo(wal.length);
    assertThat(sink.writtenPosition()).isEqualTo(SEG_2 + wal.length);
    sink.flush();
    assertThat(sink.durablePosition()).isEqualTo(sink.writtenPosition());
    sink.close();

    assertThat(Files.readAllBytes(file("000000010000000000000002")))
        .isEqualTo(Arrays.copyOfRange(wal, 0, SEG));
    assertThat(Files.readAllBytes(file("000000010000000000000003")))
        .isEqualTo(Arrays.copyOfRange(wal, SEG, 2 * SEG));
    byte[] partial = Files.readAllBytes(file("000000010000000000000004.partial"));
    assertThat(partial).hasSize(SEG);
    assertThat(Arrays.copyOfRange(partial, 0, SEG / 2))
        .isEqualTo(Arrays.copyOfRange(wal, 2 * SEG, wal.length));
    assertThat(Arrays.copyOfRange(partial, SEG / 2, SEG)).containsOnly(0);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "000000010000000000000002",
              "000000010000000000000003",
              "000000010000000000000004.partial");
    }
  }

  /**
   * A first segment file the sink created for a start that no WAL reached (the server refused
   * START_REPLICATION, or a stop before the first message) is gone after close, as pg_receivewal,
   * which opens its file on the first WAL message, leaves nothing; one that was already there, or
   * that received WAL, stays.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "created and no WAL,       false, 0,    false",
    "created and some WAL,     false, 1000, true",
    "already there and no WAL, true,  0,    true"
  })
  void aCreatedFirstSegmentThatNoWalReachedIsRemovedAtClose(
      String caseName, boolean existed, int walBytes, boolean kept) throws IOException {
    Path partial = file("000000010000000000000002.partial");
    if (existed) {
      Files.write(partial, new byte[SEG]);
    }
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);
    sink.startTimeline(TLI_1, SEG_2);
    assertThat(partial).exists();
    if (walBytes > 0) {
      sink.write(TLI_1, SEG_2, ByteBuffer.wrap(randomBytes(walBytes, 11)));
    }
    sink.close();
    assertThat(Files.exists(partial)).as(caseName).isEqualTo(kept);
  }

  @Test
  void createsPreZeroedPartialThatIsRenamedWhenComplete() throws IOException {
    SegmentFileSink sink = openAtSegment2();
    Path partial = file("000000010000000000000002.partial");
    Path complete = file("000000010000000000000002");

    // Full size before the first byte arrives, and real zeros.
    assertThat(partial).exists();
    assertThat(Files.size(partial)).isEqualTo(SEG);
    assertThat(Files.readAllBytes(partial)).containsOnly(0);

    byte[] wal = randomBytes(SEG, 7);
    SegmentCompletion.writeInTwoSteps(sink, TLI_1, SEG_2, wal, partial, complete, () -> {});
    assertThat(complete).hasBinaryContent(wal);
  }

  @Test
  void createsFilesOwnerOnlyOrGroupReadable() throws IOException {
    SegmentFileSink sink = openAtSegment2();
    assertThat(Files.getPosixFilePermissions(file("000000010000000000000002.partial")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    sink.close();

    SegmentFileSink group = open(SegmentFileOptions.DEFAULTS.withGroupAccess(true));
    group.startTimeline(TLI_1, 3L * SEG);
    Set<PosixFilePermission> mode =
        Files.getPosixFilePermissions(file("000000010000000000000003.partial"));
    // The umask may remove group bits, but never adds more than 0640.
    assertThat(PosixFilePermissions.fromString("rw-r-----")).containsAll(mode);
    assertThat(mode).contains(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void reusesEmptyPartialAndZeroFillsIt() throws IOException {
    Path partial = file("000000010000000000000002.partial");
    Files.createFile(partial);
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);

    sink.startTimeline(TLI_1, SEG_2);

    assertThat(Files.size(partial)).isEqualTo(SEG);
    assertThat(Files.readAllBytes(partial)).containsOnly(0);
  }

  @Test
  void reusesFullSizePartialAndRewritesItFromTheStart() throws IOException {
    Path partial = file("000000010000000000000002.partial");
    byte[] old = randomBytes(SEG, 1);
    Files.write(partial, old);
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);

    sink.startTimeline(TLI_1, SEG_2);
    assertThat(sink.writtenPosition()).isEqualTo(SEG_2);
    assertThat(sink.durablePosition()).isEqualTo(SEG_2);
    byte[] fresh = randomBytes(1000, 2);
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(fresh));
    sink.close();

    byte[] content = Files.readAllBytes(partial);
    assertThat(content).hasSize(SEG);
    assertThat(Arrays.copyOfRange(content, 0, 1000)).isEqualTo(fresh);
    // pg_receivewal leaves the rest of a reused file as it was.
    assertThat(Arrays.copyOfRange(content, 1000, SEG))
        .isEqualTo(Arrays.copyOfRange(old, 1000, SEG));
  }

  @Test
  void rejectsPartialOfAnyOtherSize() throws IOException {
    Files.write(file("000000010000000000000002.partial"), new byte[12345]);
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);

    assertThatThrownBy(() -> sink.startTimeline(TLI_1, SEG_2))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.IO_ERROR))
        .hasMessage(
            "write-ahead log file \"000000010000000000000002.partial\" has 12345 bytes,"
                + " should be 0 or 1048576");
    // The sink is broken from then on.
    assertThatThrownBy(() -> sink.write(TLI_1, SEG_2, ByteBuffer.allocate(1)))
        .isInstanceOf(PgException.class)
        .hasMessageContaining("has 12345 bytes");
  }

  @Test
  void rejectsWritesThatDoNotContinueThePreviousOne() {
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS);
    assertThatThrownBy(() -> sink.write(TLI_1, SEG_2, ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("startTimeline");

    sink.startTimeline(TLI_1, SEG_2);
    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(10));
    assertThatThrownBy(() -> sink.write(TLI_1, SEG_2 + 11, ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("0/20000B")
        .hasMessageContaining("0/20000A");
    assertThatThrownBy(() -> sink.write(TLI_2, SEG_2 + 10, ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("timeline 2");
    assertThatThrownBy(() -> sink.startTimeline(TLI_1, SEG_2 + 10))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void durablePositionWaitsForTheForce() throws Exception {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink = open(channels);
    sink.startTimeline(TLI_1, SEG_2);
    channels.blockDataForces();

    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(randomBytes(1000, 3)));
    sink.requestFlush();
    assertThat(channels.forceEntered.await(10, TimeUnit.SECONDS)).isTrue();
    Thread.sleep(20);
    // The force has started but not returned: nothing may be reported as durable yet.
    assertThat(sink.durablePosition()).isEqualTo(SEG_2);
    assertThat(sink.writtenPosition()).isEqualTo(SEG_2 + 1000);

    channels.releaseForces();
    await(() -> sink.durablePosition() == SEG_2 + 1000);
  }

  @Test
  void durablePositionNeverPassesWhatAForceCovered() throws Exception {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink = open(channels);
    channels.sink.set(sink);
    List<String> violations = new CopyOnWriteArrayList<>();
    sink.onDurable(
        position -> {
          if (Long.compareUnsigned(position, channels.forcedUpTo.get()) > 0) {
            violations.add(Lsn.of(position) + " > " + Lsn.of(channels.forcedUpTo.get()));
          }
        });
    sink.startTimeline(TLI_1, SEG_2);
    byte[] chunk = randomBytes(8192 + 13, 4);
    long position = SEG_2;
    // About 3.5 segments, with a flush request after every write.
    for (int i = 0; i < 450; i++) {
      sink.write(TLI_1, position, ByteBuffer.wrap(chunk));
      position += chunk.length;
      sink.requestFlush();
      assertThat(Long.compareUnsigned(sink.durablePosition(), sink.writtenPosition()))
          .isLessThanOrEqualTo(0);
    }
    sink.flush();

    assertThat(violations).isEmpty();
    assertThat(sink.durablePosition()).isEqualTo(position);
    assertThat(file(name(TLI_1, SEG_2 + 2L * SEG))).exists();
  }

  @Test
  void oneForceCoversAllWritesBeforeIt() throws Exception {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink = open(channels);
    List<Long> published = new CopyOnWriteArrayList<>();
    sink.onDurable(published::add);
    sink.startTimeline(TLI_1, SEG_2);
    channels.blockDataForces();

    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(100));
    sink.requestFlush();
    assertThat(channels.forceEntered.await(10, TimeUnit.SECONDS)).isTrue();
    // While the first force runs, three more writes and flush requests pile up.
    for (int i = 1; i <= 3; i++) {
      sink.write(TLI_1, SEG_2 + 100L * i, ByteBuffer.allocate(100));
      sink.requestFlush();
    }
    channels.releaseForces();
    sink.flush();

    // One force for the first write, one for the three that waited: group commit. The listener
    // runs after flush() is released, so wait for it.
    await(() -> published.size() == 2);
    assertThat(channels.dataForces.get()).isEqualTo(2);
    assertThat(published).containsExactly(SEG_2 + 100, SEG_2 + 400);
    assertThat(sink.durablePosition()).isEqualTo(SEG_2 + 400);
  }

  @Test
  void flusherFailureSurfacesOnNextWrite() throws Exception {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink = open(channels);
    sink.startTimeline(TLI_1, SEG_2);
    channels.forceFailure.set(new IOException("Input/output error"));

    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(100));
    sink.requestFlush();
    AtomicReference<PgException> thrown = new AtomicReference<>();
    await(
        () -> {
          try {
            sink.write(TLI_1, sink.writtenPosition(), ByteBuffer.allocate(1));
            return false;
          } catch (PgException e) {
            thrown.set(e);
            return true;
          }
        });
    assertThat(java.util.Objects.requireNonNull(thrown.get()).sqlState())
        .isEqualTo(SqlState.IO_ERROR);
    assertThat(thrown.get())
        .hasMessageContaining("could not fsync file")
        .hasMessageContaining("000000010000000000000002.partial")
        .hasMessageEndingWith("Input/output error");
    assertThat(sink.durablePosition()).isEqualTo(SEG_2);
    assertThatThrownBy(sink::flush).isInstanceOf(PgException.class);
    assertThatThrownBy(sink::requestFlush).isInstanceOf(PgException.class);
    // Already reported: close releases everything without throwing again.
    sink.close();
  }

  @Test
  void unreportedFlusherFailureIsThrownByClose() throws Exception {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink = open(channels);
    sink.startTimeline(TLI_1, SEG_2);
    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(100));
    channels.forceFailure.set(new IOException("Input/output error"));

    assertThatThrownBy(sink::close)
        .isInstanceOf(PgException.class)
        .hasMessageContaining("could not fsync file");
    sink.close();
  }

  @Test
  void diskFullWhileZeroFillingIsSqlState53100() {
    ControlledChannels channels = new ControlledChannels();
    channels.writeFailure.set(new IOException("No space left on device"));
    SegmentFileSink sink = open(channels);

    assertThatThrownBy(() -> sink.startTimeline(TLI_1, SEG_2))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.DISK_FULL))
        .hasMessageContaining(SegmentFileSink.SPARE_FILE_NAME)
        .hasMessageEndingWith("No space left on device");
  }

  @Test
  void diskFullWhileWritingWalIsSqlState53100() {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink = open(channels);
    sink.startTimeline(TLI_1, SEG_2);
    channels.walWriteFailure.set(new IOException("No space left on device"));

    assertThatThrownBy(() -> sink.write(TLI_1, SEG_2, ByteBuffer.allocate(100)))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.DISK_FULL))
        .hasMessageContaining("000000010000000000000002.partial");
  }

  @Test
  void writesHistoryFileAtomically() throws IOException {
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS.withMarkDone(true));
    TimelineHistoryFile history =
        TimelineHistoryFile.of(
            TLI_2, List.of(new Entry(TLI_1, Lsn.parse("0/2000158"), "no recovery target")));
    assertThat(sink.hasHistoryFile(TLI_2)).isFalse();

    sink.writeHistoryFile(history);

    assertThat(sink.hasHistoryFile(TLI_2)).isTrue();
    assertThat(file("00000002.history")).hasBinaryContent(history.content());
    assertThat(file("00000002.history.tmp")).doesNotExist();
    assertThat(file("archive_status/00000002.history.done")).isEmptyFile();
  }

  @Test
  void marksCompletedSegmentsDoneAndTellsTheListener() throws IOException {
    SegmentFileSink sink = open(SegmentFileOptions.DEFAULTS.withMarkDone(true));
    List<SegmentName> completed = new CopyOnWriteArrayList<>();
    sink.onSegmentCompleted(completed::add);
    sink.startTimeline(TLI_1, SEG_2);

    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(SEG + 10));
    sink.flush();

    assertThat(completed).containsExactly(SegmentName.of(TLI_1, Lsn.of(SEG_2), SIZE));
    assertThat(file("archive_status/000000010000000000000002.done")).isEmptyFile();
    assertThat(file("archive_status/000000010000000000000003.done")).doesNotExist();
  }

  @Test
  void startTimelineLeavesTheOldSegmentPartial() throws IOException {
    SegmentFileSink sink = openAtSegment2();
    byte[] old = randomBytes(1000, 5);
    sink.write(TLI_1, SEG_2, ByteBuffer.wrap(old));

    // After a promotion the new timeline repeats its first segment from the start.
    sink.startTimeline(TLI_2, SEG_2);

    assertThat(sink.writtenPosition()).isEqualTo(SEG_2);
    assertThat(sink.durablePosition()).isEqualTo(SEG_2);
    byte[] oldFile = Files.readAllBytes(file("000000010000000000000002.partial"));
    assertThat(Arrays.copyOfRange(oldFile, 0, 1000)).isEqualTo(old);
    assertThat(file("000000020000000000000002.partial")).exists();
    assertThatThrownBy(() -> sink.write(TLI_1, SEG_2, ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class);

    byte[] fresh = randomBytes(SEG, 6);
    sink.write(TLI_2, SEG_2, ByteBuffer.wrap(fresh));
    sink.flush();
    assertThat(file("000000020000000000000002")).hasBinaryContent(fresh);
    assertThat(file("000000010000000000000002.partial")).exists();
  }

  @Test
  void closeIsIdempotentAndLeavesNoSpare() throws IOException {
    SegmentFileSink sink = openWithTenBytesWritten();

    sink.close();
    sink.close();

    assertThat(file("000000010000000000000002.partial")).exists();
    assertThat(file(SegmentFileSink.SPARE_DIRECTORY)).doesNotExist();
    assertThat(listing()).containsExactly("000000010000000000000002.partial");
    assertThatThrownBy(() -> sink.write(TLI_1, SEG_2 + 10, ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void removesAStaleSpareOnOpen() throws IOException {
    Files.createDirectory(file(SegmentFileSink.SPARE_DIRECTORY));
    Files.write(spare(), new byte[100]);
    // Where earlier builds kept the spare.
    Files.write(file("xlogtemp.jwalreceiver"), new byte[100]);
    SegmentFileSink sink = openAtSegment2();
    assertThat(Files.size(file("000000010000000000000002.partial"))).isEqualTo(SEG);
    assertThat(file("xlogtemp.jwalreceiver")).doesNotExist();
  }

  /**
   * Barman's streaming archiver moves every entry of the directory that is not a WAL file name
   * (Python's {@code glob("*")}, which skips dot entries) to its errors directory, and the
   * completed segments to its archive, while the receiver runs. The spare must not be visible to
   * such a scan, and moving completed segments away must not disturb the receiver.
   */
  @Test
  void directoryHoldsOnlyWhatPgReceivewalLeavesWhileOthersMoveSegmentsAway() throws IOException {
    SegmentFileSink sink = openWithTenBytesWritten();
    sink.flush();
    // The spare for the next segment is prepared after the first segment is opened.
    await(() -> Files.isRegularFile(spare()) && sizeOf(spare()) == SEG);
    assertThat(listing()).containsExactly("000000010000000000000002.partial");

    Path moved = Files.createDirectory(dir.resolve(".elsewhere"));
    long position = SEG_2 + 10;
    for (int segment = 2; segment < 6; segment++) {
      byte[] wal = randomBytes(SEG, segment);
      long end = SEG_2 + (segment - 1L) * SEG;
      // To 10 bytes into the next segment, which opens its .partial.
      sink.write(TLI_1, position, ByteBuffer.wrap(wal, 0, (int) (end + 10 - position)));
      position = end + 10;
      sink.flush();
      String completed = name(TLI_1, end - SEG);
      assertThat(listing()).containsExactly(completed, name(TLI_1, end) + ".partial");
      // What an archiver does: take the completed segment away.
      Files.move(file(completed), moved.resolve(completed));
    }
    sink.close();
    assertThat(listing()).containsExactly(name(TLI_1, position - 10) + ".partial");
    assertThat(file(SegmentFileSink.SPARE_DIRECTORY)).doesNotExist();
  }

  /** Taking the spare forces the directory it enters and the hidden one it leaves. */
  @Test
  void takingTheSpareForcesBothDirectories() {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink = open(channels);
    sink.startTimeline(TLI_1, SEG_2);
    await(() -> Files.isRegularFile(spare()) && sizeOf(spare()) == SEG);
    channels.forcedPaths.clear();

    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(SEG + 1));
    sink.flush();

    assertThat(channels.forcedPaths).contains(dir, file(SegmentFileSink.SPARE_DIRECTORY));
    assertThat(file(name(TLI_1, SEG_2 + SEG) + ".partial")).exists();
  }

  private Path spare() {
    return dir.resolve(SegmentFileSink.SPARE_DIRECTORY).resolve(SegmentFileSink.SPARE_FILE_NAME);
  }

  private static long sizeOf(Path path) {
    try {
      return Files.size(path);
    } catch (IOException e) {
      return -1;
    }
  }

  /** The entries of the output directory a glob or a shell {@code *} sees (no dot entries). */
  private List<String> listing() throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    }
  }

  @Test
  void neverPolicyReportsWrittenPositionWithoutForcing() {
    ControlledChannels channels = new ControlledChannels();
    SegmentFileSink sink =
        track(
            SegmentFileSink.open(
                dir, SIZE, SegmentFileOptions.DEFAULTS.withSyncPolicy(SyncPolicy.NEVER), channels));
    sink.startTimeline(TLI_1, SEG_2);
    sink.write(TLI_1, SEG_2, ByteBuffer.allocate(SEG + 5));
    assertThat(sink.durablePosition()).isEqualTo(SEG_2 + SEG + 5);
    sink.flush();
    sink.close();

    assertThat(channels.allForces.get()).isZero();
    assertThat(file("000000010000000000000002")).exists();
  }

  @Test
  void steadyStateWritesDoNotAllocate() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    SegmentFileSink sink = openAtSegment2();
    ByteBuffer payload = ByteBuffer.allocateDirect(100);
    long position = SEG_2;
    for (int i = 0; i < 2000; i++) {
      payload.clear();
      sink.write(TLI_1, position, payload);
      position += 100;
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 5000; i++) {
      payload.clear();
      sink.write(TLI_1, position, payload);
      position += 100;
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    // A few bytes per write would mean a buffer or a boxed value per call.
    assertThat(allocated / 5000).isLessThan(8);
  }

  // ---------------------------------------------------------------------------------------

  /**
   * Real channels with switches: block group-commit forces ({@code force(false)}), fail forces of
   * files holding WAL, fail writes, and count forces; it also records how far forces provably
   * reached.
   */
  private static final class ControlledChannels implements FileChannelFactory {
    final AtomicReference<IOException> writeFailure = new AtomicReference<>();
    final AtomicReference<IOException> walWriteFailure = new AtomicReference<>();
    final AtomicReference<IOException> forceFailure = new AtomicReference<>();
    final AtomicInteger dataForces = new AtomicInteger();
    final AtomicInteger allForces = new AtomicInteger();
    final AtomicReference<SegmentFileSink> sink = new AtomicReference<>();

    /** Every path forced, in order. */
    final List<Path> forcedPaths = new CopyOnWriteArrayList<>();

    /** The written position read before a force started, once that force has returned. */
    final AtomicLong forcedUpTo = new AtomicLong();

    volatile CountDownLatch forceEntered = new CountDownLatch(1);
    private volatile @Nullable CountDownLatch gate;

    void blockDataForces() {
      forceEntered = new CountDownLatch(1);
      gate = new CountDownLatch(1);
    }

    void releaseForces() {
      CountDownLatch g = gate;
      if (g != null) {
        g.countDown();
      }
    }

    @Override
    public FileChannel open(
        Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
        throws IOException {
      return new ControlledChannel(FileChannel.open(path, options, attributes), path);
    }

    private final class ControlledChannel extends ForwardingFileChannel {
      private volatile boolean hasWal;
      private volatile long walEnd;

      private final Path path;

      ControlledChannel(FileChannel delegate, Path path) {
        super(delegate);
        this.path = path;
      }

      @Override
      public void force(boolean metaData) throws IOException {
        SegmentFileSink s = sink.get();
        long before = s == null ? 0 : s.writtenPosition();
        allForces.incrementAndGet();
        forcedPaths.add(path);
        IOException failure = forceFailure.get();
        if (failure != null && hasWal) {
          throw failure;
        }
        if (!metaData) {
          dataForces.incrementAndGet();
          forceEntered.countDown();
          CountDownLatch g = gate;
          if (g != null) {
            try {
              g.await();
            } catch (InterruptedException e) {
              throw new IOException(e);
            }
          }
        }
        super.force(metaData);
        // This force covered the WAL written into this file before it started, no more.
        forcedUpTo.accumulateAndGet(Math.min(before, walEnd), Math::max);
      }

      @Override
      public int write(ByteBuffer src, long position) throws IOException {
        IOException failure = writeFailure.get();
        if (failure != null) {
          throw failure;
        }
        if (!src.isDirect()) {
          // WAL payloads are heap buffers in these tests; zero-filling uses a direct one.
          hasWal = true;
          failure = walWriteFailure.get();
          if (failure != null) {
            throw failure;
          }
          SegmentFileSink s = sink.get();
          if (s != null) {
            // The sink hands one segment's share at a time; `written` is where it starts.
            walEnd = Math.max(walEnd, s.writtenPosition() + src.remaining());
          }
        }
        return super.write(src, position);
      }

      @Override
      public int write(ByteBuffer src) throws IOException {
        IOException failure = writeFailure.get();
        if (failure != null) {
          throw failure;
        }
        return super.write(src);
      }
    }
  }
}
