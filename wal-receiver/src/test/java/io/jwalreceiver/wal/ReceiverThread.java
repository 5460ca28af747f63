// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.testkit.Waits;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A {@link WalReceiver} into a {@link SegmentFileSink} directory, run on its own thread, with what
 * it reported. {@link #close()} always stops and joins it (tests use try-with-resources).
 */
final class ReceiverThread implements AutoCloseable {

  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);

  final WalReceiver receiver;
  final Path directory;
  final AtomicReference<SegmentFileSink> sink = new AtomicReference<>();
  final AtomicReference<Throwable> failure = new AtomicReference<>();
  final AtomicLong maxFlushSent = new AtomicLong();

  /** Status updates whose flush position was ahead of the sink's durable position. */
  final List<String> flushAheadOfDisk = new CopyOnWriteArrayList<>();

  final List<String> started = new CopyOnWriteArrayList<>();
  final List<String> switches = new CopyOnWriteArrayList<>();
  final List<String> infos = new CopyOnWriteArrayList<>();
  private final Thread thread;

  private ReceiverThread(ConnectionConfig config, ReceiverOptions options, Path directory) {
    this.directory = directory;
    WalReceiver.Listener listener =
        new WalReceiver.Listener() {
          @Override
          public void streamingStarted(TimelineId timeline, Lsn start) {
            started.add(timeline + "@" + start);
          }

          @Override
          public void timelineSwitched(TimelineId from, TimelineId to, Lsn start) {
            switches.add(from + "->" + to + "@" + start);
          }

          @Override
          public void statusSent(long write, long flush) {
            maxFlushSent.accumulateAndGet(flush, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
            SegmentFileSink s = sink.get();
            // The durable position only grows within a timeline; read after the send, it must
            // cover the flush position that was sent.
            if (s != null && flush != 0 && Long.compareUnsigned(flush, s.durablePosition()) > 0) {
              flushAheadOfDisk.add(
                  "flush " + Lsn.of(flush) + " > durable " + Lsn.of(s.durablePosition()));
            }
          }

          @Override
          public void info(String message) {
            infos.add(message);
          }
        };
    this.receiver =
        new WalReceiver(
            config,
            options,
            (size, groupAccess) -> {
              SegmentFileSink s = SegmentFileSink.open(directory, size);
              sink.set(s);
              return s;
            },
            size -> ResumePoint.scan(directory, size, w -> infos.add("warning: " + w)),
            listener,
            InstantSource.system());
    this.thread =
        new Thread(
            () -> {
              try {
                receiver.run();
              } catch (Throwable t) {
                failure.set(t);
              }
            },
            "test-wal-receiver");
    this.thread.setDaemon(true);
  }

  static ReceiverThread start(ConnectionConfig config, ReceiverOptions options, Path dir) {
    ReceiverThread r = new ReceiverThread(config, options, dir);
    r.thread.start();
    return r;
  }

  boolean isAlive() {
    return thread.isAlive();
  }

  /** Polls {@code condition} until true; fails at the deadline or when the receiver died. */
  void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (!thread.isAlive()) {
        // One last look: it may have become true just as the receiver ended.
        if (condition.getAsBoolean()) {
          return;
        }
        fail("the receiver ended while waiting for " + what, failure.get());
      }
      if (System.nanoTime() > deadline) {
        fail("timed out after " + timeout + " waiting for " + what + "; receiver said " + infos);
      }
      Waits.sleep(50);
    }
  }

  /** Waits for the thread to return by itself and rethrows what it failed with. */
  void awaitEnd(Duration timeout) {
    Waits.join(thread, timeout);
    assertThat(thread.isAlive()).as("receiver still running after " + timeout).isFalse();
    Throwable t = failure.get();
    if (t != null) {
      fail("the receiver failed", t);
    }
  }

  /** requestStop(), then {@link #awaitEnd}. */
  void stop() {
    receiver.requestStop();
    awaitEnd(JOIN_TIMEOUT);
  }

  @Override
  public void close() {
    receiver.requestStop();
    Waits.join(thread, JOIN_TIMEOUT);
    if (thread.isAlive()) {
      thread.interrupt();
      Waits.join(thread, Duration.ofSeconds(5));
    }
  }
}
