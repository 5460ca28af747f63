// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.basebackup.sink.OutputDirectory;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SystemIdentity;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileOptions;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.jwalreceiver.wal.segment.SyncPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * {@code jwalreceiver bench wal}: streams WAL with the library's {@link WalReceiver} into a
 * discarding sink or the real {@link SegmentFileSink} (default fsync policy) for a duration or a
 * byte count, and measures throughput, CPU per GB and, with {@code --synchronous}, the
 * acknowledgement latency.
 *
 * <p>Where it starts: {@code --start LSN}, else a slot's {@code restart_lsn} ({@code -S}), else the
 * server's current position. A slot only supplies the position: the stream does not use it, so the
 * slot is neither advanced nor marked active, and the archiver that owns it loses nothing.
 * Streaming from an older position measures catch-up throughput.
 */
public final class WalBench implements Measured<WalBench.Result> {

  /**
   * What to run.
   *
   * @param replication the replication connection's settings
   * @param sql a plain session to the same server (slot lookup, {@code --generate})
   * @param slot read the start position from this slot, or null
   * @param start start here, or null
   * @param duration stop after this long, or null
   * @param bytes stop after this many bytes, or 0
   * @param sink where the WAL goes
   * @param directory for {@code DISK}: new or empty; what we create is removed unless {@code keep}
   * @param keep leave the directory's contents
   * @param synchronous flush and acknowledge every write (measures acknowledgement latency)
   * @param generate make WAL on the server while running
   */
  public record Settings(
      ConnectionConfig replication,
      ConnectionConfig sql,
      @Nullable String slot,
      @Nullable Lsn start,
      @Nullable Duration duration,
      long bytes,
      SinkKind sink,
      @Nullable Path directory,
      boolean keep,
      boolean synchronous,
      boolean generate) {}

  /**
   * What a run measured.
   *
   * @param serverVersion the server's {@code server_version}
   * @param start where streaming started (segment start)
   * @param end the end of the last byte received
   * @param bytes bytes of WAL received
   * @param messages XLogData messages received
   * @param seconds from the start of streaming to the end of the final flush
   * @param cpuSeconds process CPU time over the same interval
   * @param latency acknowledgement latency ({@code --synchronous} only), or null
   * @param generatedBytes WAL made by {@code --generate}, or -1 without it
   * @param directory where the WAL was written ({@code DISK}), or null
   * @param kept whether the files were left there
   */
  public record Result(
      String serverVersion,
      Lsn start,
      Lsn end,
      long bytes,
      long messages,
      double seconds,
      double cpuSeconds,
      AckLatency.@Nullable Summary latency,
      long generatedBytes,
      @Nullable Path directory,
      boolean kept)
      implements BenchResult {}

  private final Settings settings;
  private final Consumer<ServerError> notices;
  private final CpuClock cpu = new CpuClock();
  private volatile @Nullable WalReceiver receiver;
  private volatile @Nullable WalGenerator filling;
  private volatile boolean stopRequested;
  private volatile long startLsn;
  private volatile long receivedEnd;
  private volatile long messages;
  private volatile long startNanos;

  public WalBench(Settings settings, Consumer<ServerError> notices) {
    this.settings = settings;
    this.notices = notices;
  }

  /** Bytes received so far (for the progress line; any thread). */
  @Override
  public long bytesSoFar() {
    long s = startLsn;
    long e = receivedEnd;
    return s == 0 || e == 0 ? 0 : e - s;
  }

  /** Seconds since streaming started, 0 before. */
  @Override
  public double secondsSoFar() {
    long t = startNanos;
    return t == 0 ? 0 : (System.nanoTime() - t) / 1e9;
  }

  /** Ends the run early (Ctrl-C); the figures so far are reported. Thread-safe. */
  public void stop() {
    stopRequested = true;
    WalGenerator g = filling;
    if (g != null) {
      g.halt();
    }
    WalReceiver r = receiver;
    if (r != null) {
      r.requestStop();
    }
  }

  /**
   * Runs the benchmark.
   *
   * @throws PgException on any failure: connection, server error, directory not empty, a generator
   *     statement refused
   */
  @Override
  public Result run() {
    String version;
    TimelineId timeline;
    try (ReplicationConnection conn = ReplicationConnection.open(settings.replication(), notices)) {
      SystemIdentity id = conn.identifySystem();
      version = conn.serverVersionString();
      timeline = id.timeline();
    }
    Lsn start = settings.start();
    if (start == null && settings.slot() != null) {
      start = slotRestartLsn(settings.slot());
    }
    OutputDirectory dir =
        settings.sink() == SinkKind.DISK
            ? OutputDirectory.prepare(
                Objects.requireNonNull(settings.directory(), "--sink disk has a directory"))
            : null;
    AckLatency latency = settings.synchronous() ? new AckLatency() : null;
    ReceiverOptions options =
        ReceiverOptions.defaults().withLoop(false).withSynchronous(settings.synchronous());
    if (start != null) {
      options = options.withStart(timeline, start);
    }
    WalReceiver r;
    WalGenerator generator = null;
    ReplicationConnection holder = null;
    Thread timer = null;
    boolean ok = false;
    try {
      if (settings.generate()) {
        // The WAL we make is held by a temporary slot on a connection of its own (dropped by the
        // server when that connection ends, whatever happens to us): a checkpoint during the run
        // cannot remove a segment before it is streamed. The stream itself does not use the slot.
        holder = ReplicationConnection.open(settings.replication(), notices);
        holder.createPhysicalSlot("jwalreceiver_bench_" + holder.backendPid(), true, true);
        generator = WalGenerator.connect(settings.sql());
        if (settings.bytes() > 0) {
          // Catch-up: the WAL is made first, then streamed from where it began.
          if (start == null) {
            options = options.withStart(timeline, generator.firstPosition());
          }
          filling = generator;
          if (!stopRequested) {
            generator.fill(settings.bytes());
          }
          filling = null;
        } else {
          generator.startBackground(() -> receivedEnd, this::stop);
        }
      }
      r = newReceiver(options, dir, latency);
      receiver = r;
      if (stopRequested) {
        r.requestStop();
      }
      if (settings.duration() != null) {
        timer = stopAfter(settings.duration());
      }
      r.run();
      long endNanos = System.nanoTime();
      double cpuSeconds = cpu.secondsSinceMark();
      if (timer != null) {
        timer.interrupt();
      }
      long generated = -1;
      if (generator != null) {
        WalGenerator g = generator;
        generator = null;
        g.stop();
        generated = g.generatedBytes();
      }
      long s = startLsn;
      long e = receivedEnd == 0 ? s : receivedEnd;
      double seconds = startNanos == 0 ? 0 : (endNanos - startNanos) / 1e9;
      ok = true;
      return new Result(
          version,
          Lsn.of(s),
          Lsn.of(e),
          e - s,
          messages,
          seconds,
          cpuSeconds,
          latency == null ? null : latency.summary(),
          generated,
          dir == null ? null : dir.path(),
          dir != null && settings.keep());
    } finally {
      if (timer != null) {
        timer.interrupt();
      }
      if (generator != null) {
        generator.abort();
      }
      if (holder != null) {
        holder.close();
      }
      if (dir != null && (!settings.keep() || !ok)) {
        dir.cleanUp();
      }
    }
  }

  private WalReceiver newReceiver(
      ReceiverOptions options, @Nullable OutputDirectory dir, @Nullable AckLatency latency) {
    return new WalReceiver(
        settings.replication(),
        options,
        (size, groupAccess) ->
            settings.sink() == SinkKind.DISCARD
                ? new DiscardWalSink()
                : SegmentFileSink.open(
                    Objects.requireNonNull(dir, "--sink disk").path(),
                    size,
                    SegmentFileOptions.DEFAULTS
                        .withSyncPolicy(SyncPolicy.ON_REQUEST)
                        .withGroupAccess(groupAccess)),
        size -> Optional.empty(),
        new Measure(latency),
        InstantSource.system());
  }

  /** The slot's restart_lsn; the slot itself is not touched. */
  private Lsn slotRestartLsn(String slot) {
    if (!slot.matches("[a-z0-9_]{1,63}")) {
      throw new PgException(
          SqlState.INVALID_NAME,
          "replication slot name \"" + slot + "\" contains invalid character",
          null,
          "Replication slot names may only contain lower case letters, numbers, and the"
              + " underscore character.",
          null);
    }
    QueryResult r;
    try (ReplicationConnection conn = ReplicationConnection.open(settings.sql(), notices)) {
      r =
          conn.query(
              "SELECT slot_type, restart_lsn FROM pg_catalog.pg_replication_slots"
                  + " WHERE slot_name = '"
                  + slot
                  + "'");
    }
    if (r.rows().isEmpty()) {
      throw new PgException(
          SqlState.UNDEFINED_OBJECT, "replication slot \"" + slot + "\" does not exist");
    }
    List<String> row = r.rows().get(0);
    if (!"physical".equals(row.get(0))) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "cannot use a logical replication slot for physical replication");
    }
    if (row.get(1) == null) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "replication slot \"" + slot + "\" does not reserve WAL",
          null,
          "Create it with reserved WAL (jwalreceiver slot create), or give a start position"
              + " with --start.",
          null);
    }
    return Lsn.parse(row.get(1));
  }

  private Thread stopAfter(Duration d) {
    Thread t =
        new Thread(
            () -> {
              try {
                while (startNanos == 0 && !stopRequested) {
                  Thread.sleep(5);
                }
                long left = d.toNanos() - (System.nanoTime() - startNanos);
                if (left > 0) {
                  TimeUnit.NANOSECONDS.sleep(left);
                }
                stop();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "bench-wal-timer");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Counts what arrives, stops at the byte count, feeds the latency tracker. */
  private final class Measure implements WalReceiver.Listener {
    private final @Nullable AckLatency latency;
    private long count;

    Measure(@Nullable AckLatency latency) {
      this.latency = latency;
    }

    @Override
    public void streamingStarted(TimelineId tli, Lsn start) {
      if (startNanos == 0) {
        startLsn = start.value();
        cpu.mark();
        startNanos = System.nanoTime();
      }
    }

    @Override
    public void received(long end) {
      if (latency != null) {
        latency.arrived(end, System.nanoTime());
      }
      receivedEnd = end;
      messages = ++count;
      if (settings.bytes() > 0 && end - startLsn >= settings.bytes()) {
        stop();
      }
    }

    @Override
    public void statusSent(long write, long flush) {
      if (latency != null) {
        latency.acknowledged(flush, System.nanoTime());
      }
    }

    @Override
    public void timelineSwitched(TimelineId from, TimelineId to, Lsn start) {
      // Bytes are counted by position; a switch repeats part of a segment, which is received
      // again and not counted twice.
    }
  }
}
