// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEGMENT;
import static io.jwalreceiver.cli.faults.FaultKit.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive's file system fills up mid-stream (a small tmpfs made for the test, 40 MiB for the
 * default two cycles, filled by a filler file until about two segments are left): the archiver
 * fails with SQLSTATE 53100 and {@code No space left on device} naming the file, keeps retrying,
 * never acknowledges WAL it has not written (the slot and pg_stat_replication are checked against
 * the files while the disk is full), and archives everything once the filler is deleted. Skipped
 * when a tmpfs cannot be mounted (not root).
 */
class DiskFullIT {

  /** Free space left by the filler: the current segment, the spare, and part of another. */
  private static final long HEADROOM = 2L * SEGMENT.bytes() + SEGMENT.bytes() / 2;

  @TempDir Path tmp;

  @FaultTest.On15
  void stopsAcknowledgingWhenFullAndResumesWhenSpaceReturns(int major) throws Exception {
    int cycles = FaultKit.count("diskfull", 2, 5);
    Path mnt = Files.createDirectories(tmp.resolve("small"));
    // Room for the archive the load writes over all cycles; the filler takes the rest.
    int mounted =
        exitCode(
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "size=" + (16 + 12 * cycles) + "m",
            "tmpfs",
            mnt.toString());
    assumeTrue(mounted == 0, "cannot mount a tmpfs (needs root)");
    PostgresServer server = PostgresServer.shared(FaultKit.options(major));
    String slot = "faults_diskfull";
    String app = "faults_diskfull";
    Path dir = Files.createDirectory(mnt.resolve("archive"));
    Path filler = mnt.resolve("filler");
    FaultKit.Events events = new FaultKit.Events();
    long checked = 0;
    String firstError = null;
    try {
      try (FaultKit.Rig rig = new FaultKit.Rig(server, slot, dir, events, 20)) {
        FaultKit.Running archiver = rig.archiver;
        for (int cycle = 1; cycle <= cycles; cycle++) {
          FaultKit.await(
              TIMEOUT,
              () -> archiver.failure() != null || FaultKit.streaming(server, app),
              () ->
                  "streaming; attempts "
                      + events.starts.get()
                      + ", errors "
                      + events.errors
                      + ", server: "
                      + server.queryString(
                          "SELECT coalesce(string_agg("
                              + "application_name || ' ' || state, ', '), 'none') FROM pg_stat_replication"));
          assertThat(archiver.failure()).isNull();
          fill(filler, Files.getFileStore(mnt).getUsableSpace() - HEADROOM);
          int before = events.errors.size();
          FaultKit.await(TIMEOUT, () -> diskFullErrors(events) > before, () -> "a disk-full error");
          // Full, and retried at least once more while full.
          long seenFull = diskFullErrors(events);
          FaultKit.await(
              TIMEOUT, () -> diskFullErrors(events) > seenFull, () -> "a retry that fails again");
          if (firstError == null) {
            synchronized (events.errors) {
              firstError =
                  events.errors.stream()
                      .filter(e -> e.sqlState().equals(SqlState.DISK_FULL))
                      .findFirst()
                      .map(PgException::getMessage)
                      .orElseThrow();
            }
          }
          long acknowledged = rig.acknowledged(rig.sampler.takeMax());
          checked +=
              FaultKit.assertHoldsUpTo(
                  dir, server, TimelineId.FIRST, acknowledged, "disk full, cycle " + cycle);
          // Space returns: everything written meanwhile is archived.
          Files.delete(filler);
          long target = FaultKit.lsn(server.currentWalLsn());
          FaultKit.await(
              TIMEOUT,
              () -> Long.compareUnsigned(events.received.get(), target) >= 0,
              () -> "archiving to resume past " + FaultKit.text(target));
        }
        assertThat(rig.load.bytes()).isPositive();
        events.awaitArchiveEnd(server, TIMEOUT);
      }
      for (PgException e : events.errors) {
        assertThat(e.sqlState().code()).as(e.render()).isIn("53100", "08006");
      }
      assertThat(firstError)
          .matches("could not write .*\"" + dir + "/.*\": No space left on device");
      long bytes = FaultKit.assertArchiveIntact(dir, server, TimelineId.FIRST);
      FaultKit.report(
          "disk full, PostgreSQL " + major,
          "disk-full recoveries",
          cycles,
          "failed attempts while full",
          diskFullErrors(events),
          "first error",
          firstError,
          "acknowledged bytes re-read while full",
          checked,
          "WAL bytes checked",
          bytes,
          "bytes lost",
          0);
    } finally {
      FaultKit.awaitSlotInactive(server, slot);
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
      assertThat(exitCode("umount", mnt.toString())).isZero();
    }
  }

  private static long diskFullErrors(FaultKit.Events events) {
    synchronized (events.errors) {
      return events.errors.stream().filter(e -> e.sqlState().equals(SqlState.DISK_FULL)).count();
    }
  }

  /** A file of real blocks (not sparse), so that the space is taken. */
  private static void fill(Path file, long bytes) throws IOException {
    ByteBuffer block = ByteBuffer.allocate(1 << 16);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long written = 0;
      while (written < bytes) {
        block.clear();
        block.limit((int) Math.min(block.capacity(), bytes - written));
        written += ch.write(block);
      }
    }
  }

  private static int exitCode(String... command) {
    return Tools.run(Duration.ofSeconds(30), command).exitCode();
  }
}
