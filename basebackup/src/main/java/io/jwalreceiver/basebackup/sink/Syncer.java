// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.stream.StageTimes;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Makes a backup durable while it is still arriving: finished files are handed over with their
 * channel still open, and one background thread forces and closes them, so the fsyncs overlap the
 * transfer instead of following it. {@link #finish} waits for the queue, then forces every
 * directory that received entries (deepest first), as pg_basebackup's final sync does.
 *
 * <p>With syncing off ({@code -N}), channels are closed at once and nothing is forced.
 */
final class Syncer {

  private final boolean enabled;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Item> queue = new ArrayDeque<>();
  private final Set<Path> directories = new LinkedHashSet<>();
  private @Nullable Thread thread;
  private @Nullable PgException failure;
  private boolean busy;
  private boolean stopped;
  private StageTimes times = StageTimes.OFF;

  private record Item(Path path, FileChannel channel) {}

  Syncer(boolean enabled) {
    this.enabled = enabled;
  }

  /** Times the forces (set before the first file is handed over). */
  void timed(StageTimes t) {
    this.times = t;
  }

  /** Hands over a finished file: forced and closed in the background. */
  void fileDone(Path path, FileChannel channel) {
    if (!enabled) {
      close(channel);
      return;
    }
    lock.lock();
    try {
      rethrow();
      if (thread == null) {
        thread = new Thread(this::run, "backup-fsync");
        thread.setDaemon(true);
        thread.start();
      }
      queue.add(new Item(path, channel));
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Remembers a directory to force at the end. */
  void directory(Path dir) {
    if (enabled) {
      lock.lock();
      try {
        directories.add(dir);
      } finally {
        lock.unlock();
      }
    }
  }

  /** Waits for every queued file, then forces the directories. */
  void finish() {
    if (!enabled) {
      return;
    }
    lock.lock();
    try {
      while ((!queue.isEmpty() || busy) && failure == null) {
        changed.awaitUninterruptibly();
      }
      stopped = true;
      changed.signalAll();
      rethrow();
    } finally {
      lock.unlock();
    }
    Path[] dirs = directories.toArray(new Path[0]);
    java.util.Arrays.sort(dirs, (a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
    long t = times.start();
    for (Path d : dirs) {
      forceDirectory(d);
    }
    times.end(StageTimes.Stage.FSYNC, t);
  }

  /** Stops the thread and closes whatever is still queued, without forcing. */
  void abort() {
    lock.lock();
    try {
      stopped = true;
      for (Item i : queue) {
        close(i.channel);
      }
      queue.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    while (true) {
      Item item;
      lock.lock();
      try {
        while (queue.isEmpty() && !stopped) {
          changed.awaitUninterruptibly();
        }
        if (queue.isEmpty()) {
          return;
        }
        item = queue.poll();
        busy = true;
      } finally {
        lock.unlock();
      }
      PgException error = null;
      long t = times.start();
      try {
        item.channel.force(true);
        times.end(StageTimes.Stage.FSYNC, t);
      } catch (IOException e) {
        error = OutputDirectory.ioError("could not fsync file \"" + item.path + "\"", e);
      } finally {
        close(item.channel);
      }
      lock.lock();
      try {
        busy = false;
        if (error != null && failure == null) {
          failure = error;
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private void rethrow() {
    if (failure != null) {
      throw new PgException(
          failure.sqlState(), Objects.requireNonNullElse(failure.getMessage(), ""), failure);
    }
  }

  static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      throw new PgException(
          SqlState.IO_ERROR,
          "could not fsync directory \"" + dir + "\": " + OutputDirectory.reason(e),
          e);
    }
  }

  private static void close(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // The data was forced (or syncing is off); a failing close changes nothing we report.
    }
  }
}
