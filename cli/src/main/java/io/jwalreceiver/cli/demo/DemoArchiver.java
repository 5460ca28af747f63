// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileOptions;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The demo's WAL archiving step: our {@link WalReceiver} streams from the primary into an archive
 * directory on its own slot, in the background, until the segment that a {@code pg_switch_wal()}
 * finishes is complete; then the archive is listed.
 */
final class DemoArchiver {

  private final Transcript say;
  private final DemoHost host;
  private final Path archive;
  private final Duration wait;
  private volatile @Nullable WalReceiver receiver;

  /**
   * @param archive the archive directory (exists)
   * @param wait how long streaming may take to start, and to reach the segment's end
   */
  DemoArchiver(Transcript say, DemoHost host, Path archive, Duration wait) {
    this.say = say;
    this.host = host;
    this.archive = archive;
    this.wait = wait;
  }

  /** Asks a running receiver to stop (Ctrl-C, clean-up); nothing when none runs. */
  void requestStop() {
    WalReceiver r = receiver;
    if (r != null) {
      r.requestStop();
    }
  }

  /**
   * Streams until the segment the primary switches away from is complete in the archive.
   *
   * @param primary the server
   * @param slot the archiver's slot (exists)
   * @param role the replication role
   * @param passFile the password file with the role's password
   */
  void archive(DemoServer primary, String slot, String role, Path passFile) {
    ConnectionConfig config =
        ConnectionConfig.of(DemoServer.HOST, primary.port(), role).toBuilder()
            .passFile(passFile)
            .fallbackApplicationName("pg_receivewal")
            .build();
    CountDownLatch streaming = new CountDownLatch(1);
    AtomicReference<@Nullable RuntimeException> failure = new AtomicReference<>();
    WalReceiver r =
        new WalReceiver(
            config,
            ReceiverOptions.defaults().withSlotName(slot).withLoop(false),
            (size, groupAccess) ->
                SegmentFileSink.open(
                    archive, size, SegmentFileOptions.DEFAULTS.withGroupAccess(groupAccess)),
            size -> ResumePoint.scan(archive, size, host::warning),
            new WalReceiver.Listener() {
              @Override
              public void streamingStarted(TimelineId timeline, Lsn start) {
                say.say(
                    "receivewal: starting log streaming at "
                        + start
                        + " (timeline "
                        + timeline
                        + ")");
                streaming.countDown();
              }
            },
            InstantSource.system());
    receiver = r;
    Thread thread =
        new Thread(
            () -> {
              try {
                r.run();
              } catch (RuntimeException e) {
                failure.set(e);
              } finally {
                streaming.countDown();
              }
            },
            "jwalreceiver-demo-receivewal");
    thread.setDaemon(true);
    thread.start();
    try {
      if (!streaming.await(wait.toSeconds(), TimeUnit.SECONDS)) {
        r.requestStop();
        throw new Demo.Failure(
            "receivewal did not start streaming within " + wait.toSeconds() + " s");
      }
      throwIfFailed(failure);
      String switchWal = "SELECT pg_switch_wal()";
      say.say("finishing the current WAL segment on the primary, so a complete one arrives:");
      say.command("psql " + primary.connect("postgres") + " -c \"" + switchWal + "\"");
      Lsn segmentEnd = switchSegment(primary, switchWal);
      r.stopAt(segmentEnd);
      thread.join(wait.toMillis());
      if (thread.isAlive()) {
        r.requestStop();
        thread.join(wait.toMillis());
        throw new Demo.Failure(
            "receivewal did not reach " + segmentEnd + " within " + wait.toSeconds() + " s");
      }
      throwIfFailed(failure);
      say.say(
          "receivewal: stopped at "
              + segmentEnd
              + " (Ctrl-C stops pg_receivewal and ours"
              + " the same way: flush, final status update, exit 0)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      r.requestStop();
      throw new Demo.Failure("interrupted while archiving WAL", e);
    } finally {
      receiver = null;
    }
  }

  /**
   * Runs {@code switchWal} on the primary and returns the end of the segment it finished (its
   * answer, when that is already a segment boundary).
   */
  static Lsn switchSegment(DemoServer primary, String switchWal) {
    Lsn switched = Lsn.parse(primary.value(switchWal));
    long bytes = WalSegmentSize.parseShow(primary.value("SHOW wal_segment_size")).bytes();
    return Lsn.of((switched.value() + bytes - 1) / bytes * bytes);
  }

  /** Prints the archive's files; throws unless at least one complete segment is there. */
  void list() {
    say.command("ls -l " + archive);
    int complete = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(archive)) {
      List<Path> sorted = new ArrayList<>();
      files.forEach(sorted::add);
      sorted.sort(null);
      for (Path f : sorted) {
        String name = f.getFileName().toString();
        if (name.matches("[0-9A-F]{24}")) {
          complete++;
        }
        say.say(String.format(Locale.ROOT, "%-32s %,12d bytes", name, Files.size(f)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + archive, e);
    }
    if (complete == 0) {
      throw new Demo.Failure("no complete WAL segment in " + archive);
    }
  }

  private static void throwIfFailed(AtomicReference<@Nullable RuntimeException> failure) {
    RuntimeException e = failure.get();
    if (e != null) {
      throw e;
    }
  }
}
