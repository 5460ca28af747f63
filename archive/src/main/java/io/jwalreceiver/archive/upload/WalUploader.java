// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.upload.WalFileName.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Uploads the completed WAL files of receivewal's spool directory ({@code -D}) to an object store,
 * under {@code wal/<file name>}, on its own thread: the rules of {@link UploadPlan}, in upload
 * order, one file at a time. When an upload fails, later files wait (the archive never has a gap):
 * the file is retried after 1 s, then after twice as long each time up to 60 s, with one warning
 * per failure.
 *
 * <p>Idempotent and resumable: on start it lists {@code wal/} once; a file whose object is there
 * with the same size (and, for the newest {@value #VERIFIED_AT_START} of them, the same SHA-256
 * where the store reports one) counts as uploaded. An object that differs is never replaced: it is
 * reported like a failure, until someone removes it. Objects become visible only complete (an S3
 * PUT, a directory store's rename), so a kill at any point leaves no incomplete object under a
 * final name.
 *
 * <p>After the store confirmed a file, the local copy is removed (unless {@link
 * UploadOptions#keepLocal}) when {@link UploadPlan#mayRemove} allows it and removals are {@link
 * #allowRemovals allowed}: the receive loop's resume scan must not see files vanish under it.
 *
 * <p>Woken by {@link #wake} (a segment completed) and every {@link UploadOptions#scanInterval}. On
 * {@link #close(Duration)} it uploads what is complete, for at most the given time, then stops.
 */
public final class WalUploader implements AutoCloseable {

  /** What the uploader tells; every method runs on the upload thread. */
  public interface Listener {
    /** A file was stored under {@code location} (not told for files found there at start). */
    default void uploaded(String fileName, String location) {}

    /** An uploaded file was removed from the spool. */
    default void removed(String fileName) {}

    /** One line: a failure and when the next attempt comes. */
    default void warning(String message) {}
  }

  /** How many files found in the store at start are also compared by SHA-256. */
  static final int VERIFIED_AT_START = 16;

  private final Path spool;
  private final ObjectStore store;
  private final ArchiveLayout layout;
  private final UploadOptions options;
  private final Listener listener;
  private final InstantSource clock;
  private final Object monitor = new Object();

  // Upload thread only.
  private final StoredWal stored;
  private final Set<String> uploaded = new HashSet<>();
  private String lastFailure = "";

  // Read by metrics.
  private volatile int pendingFiles;
  private volatile @Nullable Instant oldestPending;
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong uploadedFiles = new AtomicLong();

  /** Held while files are removed, and to change {@link #removalsAllowed}. */
  private final Object removalLock = new Object();

  private volatile boolean removalsAllowed;
  private volatile @Nullable WalFileName newestUploadedSegment;

  // Under the monitor.
  private long wakeups;
  private boolean stopping;
  private long abandonAt;

  private @Nullable Thread thread;
  private volatile boolean drained;

  /**
   * An uploader; nothing runs before {@link #start}.
   *
   * @param spool receivewal's directory
   * @param store the store; not closed here
   * @param layout where WAL files go in the store ({@link ArchiveLayout#STORE})
   * @param clock for the age of the oldest file not uploaded
   */
  public WalUploader(
      Path spool,
      ObjectStore store,
      ArchiveLayout layout,
      UploadOptions options,
      Listener listener,
      InstantSource clock) {
    this.spool = Objects.requireNonNull(spool, "spool");
    this.store = Objects.requireNonNull(store, "store");
    this.layout = Objects.requireNonNull(layout, "layout");
    this.options = Objects.requireNonNull(options, "options");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.stored = new StoredWal(store, layout);
  }

  /** Starts the upload thread. */
  public void start() {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    Thread t = new Thread(this::loop, "jwalreceiver-upload");
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  /** Asks for a scan now (a segment was completed). Quick; any thread. */
  public void wake() {
    synchronized (monitor) {
      wakeups++;
      monitor.notifyAll();
    }
  }

  /**
   * Allows or stops the removal of uploaded files: off while receivewal may be scanning the spool
   * for its resume point (from the start of an attempt to connect until its sink is open). Off at
   * first. Stopping waits for a removal under way, so that no file vanishes after this returns.
   */
  public void allowRemovals(boolean allowed) {
    synchronized (removalLock) {
      removalsAllowed = allowed;
    }
  }

  /** Completed files not uploaded yet (as of the last scan). */
  public int pendingFiles() {
    return pendingFiles;
  }

  /** When the oldest completed file not uploaded yet was written; null when none is waiting. */
  public @Nullable Instant oldestPending() {
    return oldestPending;
  }

  /** Seconds since the oldest completed file not uploaded yet was written; 0 when none. */
  public double lagSeconds() {
    Instant oldest = oldestPending;
    if (oldest == null) {
      return 0;
    }
    return Math.max(0, Duration.between(oldest, clock.instant()).toMillis() / 1000.0);
  }

  /** Failed attempts (uploads, the listing, conflicts) so far. */
  public long failures() {
    return failures.get();
  }

  /**
   * The newest completed segment the store holds, with every one before it in this run's order
   * (uploaded now, or found there at start); null before the first.
   */
  public @Nullable WalFileName newestUploadedSegment() {
    return newestUploadedSegment;
  }

  /** Files uploaded so far (not counting those found already stored at start). */
  public long uploadedFiles() {
    return uploadedFiles.get();
  }

  /**
   * Uploads what is complete, for at most {@code maxWait}, then stops the thread.
   *
   * @return true when every eligible file was uploaded
   */
  public boolean close(Duration maxWait) {
    Thread t = thread;
    if (t == null) {
      return true;
    }
    synchronized (monitor) {
      stopping = true;
      abandonAt = System.nanoTime() + maxWait.toNanos();
      monitor.notifyAll();
    }
    try {
      t.join(maxWait.toMillis() + 1000);
      if (t.isAlive()) {
        t.interrupt();
        t.join(5000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return drained;
  }

  /** {@link #close(Duration)} with 30 s. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  // ================================================================= upload thread

  private void loop() {
    Duration delay = options.firstRetryDelay();
    while (true) {
      long generation;
      boolean stopRequested;
      synchronized (monitor) {
        generation = wakeups;
        stopRequested = stopping;
      }
      Pass pass;
      String failure = null;
      try {
        pass = pass();
      } catch (IOException | RuntimeException e) {
        failures.incrementAndGet();
        failure = String.valueOf(e.getMessage());
        pass = Pass.FAILED;
      }
      if (pass == Pass.DONE) {
        drained = true;
        delay = options.firstRetryDelay();
      } else {
        drained = false;
      }
      synchronized (monitor) {
        // Done only with a pass that began after the stop request: it saw every completed file.
        if (stopping && ((stopRequested && pass == Pass.DONE) || pastDeadline())) {
          return;
        }
      }
      if (pass == Pass.FAILED) {
        if (failure == null) {
          failure = lastFailure;
        }
        listener.warning(failure + "; retrying in " + seconds(delay) + " s");
        if (!pause(delay, generation, stopRequested, false)) {
          return;
        }
        delay = min(delay.multipliedBy(2), options.maxRetryDelay());
      } else if (!pause(options.scanInterval(), generation, stopRequested, true)) {
        return;
      }
    }
  }

  /** One scan: list the store once, upload what is pending in order, remove what may go. */
  enum Pass {
    DONE,
    FAILED,
    ABANDONED
  }

  /** Runs one pass on the calling thread; the loop's body, and what tests drive. */
  Pass pass() throws IOException {
    List<LocalFile> spoolFiles;
    try {
      spoolFiles = scanSpool();
    } catch (IOException e) {
      failures.incrementAndGet();
      lastFailure = "could not read directory \"" + spool + "\": " + message(e);
      return Pass.FAILED;
    }
    if (!stored.listed()) {
      try {
        Set<String> local = new HashSet<>();
        for (LocalFile f : spoolFiles) {
          local.add(f.name().fileName());
        }
        stored.list(local);
      } catch (IOException e) {
        failures.incrementAndGet();
        lastFailure =
            "could not list \"" + store.describe(layout.walPrefix()) + "\": " + message(e);
        return Pass.FAILED;
      }
    }
    Map<String, LocalFile> byName = new HashMap<>();
    List<WalFileName> names = new ArrayList<>();
    for (LocalFile f : spoolFiles) {
      byName.put(f.name().fileName(), f);
      names.add(f.name());
    }
    uploaded.retainAll(byName.keySet());
    stored.retainConflicts(byName.keySet());
    UploadPlan plan = UploadPlan.of(names, stored.summary());
    List<LocalFile> pending = new ArrayList<>();
    for (WalFileName f : plan.eligible()) {
      if (!uploaded.contains(f.fileName())) {
        pending.add(Objects.requireNonNull(byName.get(f.fileName())));
      }
    }
    try {
      for (int i = 0; i < pending.size(); i++) {
        publishLag(pending.subList(i, pending.size()));
        if (abandoned()) {
          return Pass.ABANDONED;
        }
        LocalFile file = pending.get(i);
        boolean storedNow;
        try {
          storedNow = stored.store(file.name(), spool.resolve(file.name().fileName()));
        } catch (IOException e) {
          failures.incrementAndGet();
          lastFailure =
              Files.exists(spool.resolve(file.name().fileName()))
                  ? "could not upload \"" + file.name() + "\": " + message(e)
                  : "\"" + file.name() + "\" disappeared from " + spool + " before its upload";
          return Pass.FAILED;
        }
        uploaded.add(file.name().fileName());
        if (file.name().kind() == Kind.SEGMENT) {
          // In upload order, never past a failure: the archive is contiguous up to here.
          newestUploadedSegment = file.name();
        }
        stored.recordStored(file.name());
        if (storedNow) {
          uploadedFiles.incrementAndGet();
          listener.uploaded(file.name().fileName(), store.describe(stored.key(file.name())));
        }
      }
      publishLag(List.of());
    } finally {
      removeUploaded(plan, spoolFiles);
    }
    return Pass.DONE;
  }

  private void removeUploaded(UploadPlan plan, List<LocalFile> spoolFiles) {
    if (options.keepLocal()) {
      return;
    }
    synchronized (removalLock) {
      removeUploadedLocked(plan, spoolFiles);
    }
  }

  private void removeUploadedLocked(UploadPlan plan, List<LocalFile> spoolFiles) {
    if (!removalsAllowed) {
      return;
    }
    for (LocalFile f : spoolFiles) {
      String name = f.name().fileName();
      if (!uploaded.contains(name) || !plan.mayRemove(f.name()) || !removalsAllowed) {
        continue;
      }
      try {
        Files.deleteIfExists(spool.resolve(name));
        uploaded.remove(name);
        listener.removed(name);
      } catch (IOException e) {
        listener.warning(
            "could not remove uploaded file \"" + spool.resolve(name) + "\": " + message(e));
      }
    }
  }

  private void publishLag(List<LocalFile> waiting) {
    Instant oldest = null;
    for (LocalFile f : waiting) {
      if (oldest == null || f.modified().isBefore(oldest)) {
        oldest = f.modified();
      }
    }
    pendingFiles = waiting.size();
    oldestPending = oldest;
  }

  /** The WAL files in the spool (regular files with WAL names), with size and time. */
  private List<LocalFile> scanSpool() throws IOException {
    List<LocalFile> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(spool)) {
      for (Path p : entries) {
        Optional<WalFileName> name = WalFileName.parse(p.getFileName().toString());
        if (name.isEmpty()) {
          continue;
        }
        BasicFileAttributes attributes;
        try {
          attributes = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
          continue; // renamed or removed meanwhile
        }
        if (attributes.isRegularFile()) {
          files.add(new LocalFile(name.get(), attributes.lastModifiedTime().toInstant()));
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return files;
  }

  private boolean abandoned() {
    synchronized (monitor) {
      return stopping && pastDeadline();
    }
  }

  /** Under the monitor. */
  private boolean pastDeadline() {
    return System.nanoTime() - abandonAt >= 0;
  }

  /**
   * Waits for {@code duration}, for a wake-up after {@code generation} (when {@code wakeable}), or
   * for a stop request made after the pass began ({@code wasStopping} false); false when the thread
   * should end (the drain deadline passed, interrupted).
   */
  private boolean pause(Duration duration, long generation, boolean wasStopping, boolean wakeable) {
    long end = System.nanoTime() + duration.toNanos();
    synchronized (monitor) {
      while (true) {
        if (stopping && !wasStopping) {
          return true; // a stop request: drain now
        }
        if (wakeable && wakeups != generation) {
          return true;
        }
        long until = stopping ? Math.min(end, abandonAt) : end;
        long left = until - System.nanoTime();
        if (left <= 0) {
          return !(stopping && pastDeadline());
        }
        try {
          monitor.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static long seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000);
  }

  private static String message(IOException e) {
    String m = e.getMessage();
    if (e instanceof NoSuchFileException) {
      return "no such file: " + m;
    }
    return m == null ? e.getClass().getSimpleName() : m.replace('\n', ' ');
  }

  /** A WAL file in the spool. */
  private record LocalFile(WalFileName name, Instant modified) {}
}
