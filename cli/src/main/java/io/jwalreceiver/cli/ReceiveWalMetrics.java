// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.archive.upload.WalUploader;
import io.jwalreceiver.session.SystemIdentity;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * receivewal's Prometheus metrics: a {@link WalReceiver.Listener} (wrapping the one that prints
 * messages) and the sink's segment and sync callbacks, adapted to the Prometheus client so that
 * wal-receiver does not depend on it.
 *
 * <p>The receive loop calls {@link #received} and {@link #serverWalEnd} for every message, so those
 * only store into single-writer fields ({@code setRelease}: a plain store on x86, no lock, no
 * allocation); the Prometheus side reads them when scraped, through callback metrics. The counters
 * and the histogram that Prometheus owns are updated from the flusher and on reconnects only.
 */
final class ReceiveWalMetrics implements WalReceiver.Listener, AutoCloseable {

  /** Upper bounds of the fsync histogram, seconds: 0.1 ms to 10 s. */
  private static final double[] FSYNC_BUCKETS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final WalReceiver.Listener delegate;
  private final InstantSource clock;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Histogram fsyncSeconds;

  // Written by the receive thread only; read by scrapes.
  private final AtomicLong receivedLsn = new AtomicLong();
  private final AtomicLong receivedBytes = new AtomicLong();
  private final AtomicLong serverWalEnd = new AtomicLong();

  /** The receive thread's previous end, to turn positions into byte counts. */
  private long lastEnd;

  private final AtomicLong segmentsCompleted = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong lastErrorMillis = new AtomicLong();
  private final AtomicLong timeline = new AtomicLong();
  private volatile boolean streaming;

  /** The server connected to last: {@code host:port} and its system identifier. */
  private volatile String @Nullable [] archivedFrom;

  private volatile @Nullable SegmentFileSink sink;
  private @Nullable HTTPServer server;

  ReceiveWalMetrics(WalReceiver.Listener delegate, InstantSource clock) {
    this.delegate = delegate;
    this.clock = clock;
    gauge(
        "jwalreceiver_received_lsn",
        "End of the WAL received and written (not necessarily flushed), as a byte position",
        () -> receivedLsn.getAcquire());
    gauge(
        "jwalreceiver_flushed_lsn",
        "End of the WAL flushed to disk (what is reported to the server as flushed), as a byte"
            + " position",
        this::flushed);
    gauge(
        "jwalreceiver_server_wal_end_lsn",
        "The server's WAL end as its last message reported it, as a byte position",
        () -> serverWalEnd.getAcquire());
    gauge(
        "jwalreceiver_server_lag_bytes",
        "Bytes between the server's WAL end and the WAL flushed here",
        this::lagBytes);
    gauge("jwalreceiver_timeline", "The timeline being received", () -> timeline.get());
    registry.register(
        GaugeWithCallback.builder()
            .name("jwalreceiver_server_info")
            .help(
                "1 for the server archived from (the last one connected to, which changes on a"
                    + " failover), labelled with its host:port and system identifier")
            .labelNames("server", "system_identifier")
            .callback(
                cb -> {
                  String[] s = archivedFrom;
                  if (s != null) {
                    cb.call(1, s);
                  }
                })
            .build());
    gauge(
        "jwalreceiver_streaming",
        "1 while connected and streaming, else 0",
        () -> streaming ? 1 : 0);
    gauge(
        "jwalreceiver_last_error_timestamp_seconds",
        "When the last connection failure or error happened (Unix time), 0 when none",
        () -> lastErrorMillis.get() / 1000.0);
    counter(
        "jwalreceiver_received_bytes", "Bytes of WAL received", () -> receivedBytes.getAcquire());
    counter(
        "jwalreceiver_segments_completed",
        "WAL segments completed, synced and renamed",
        () -> segmentsCompleted.get());
    counter(
        "jwalreceiver_reconnects",
        "Connection failures followed by a new attempt",
        () -> reconnects.get());
    fsyncSeconds =
        Histogram.builder()
            .name("jwalreceiver_fsync_duration_seconds")
            .help("Time taken by each fsync of a WAL file")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(FSYNC_BUCKETS)
            .build();
    registry.register(fsyncSeconds);
  }

  /**
   * Serves {@code /metrics} on {@code address}:{@code port} (0 = any free port).
   *
   * @return the port
   * @throws IOException when the port cannot be bound
   */
  int serve(InetAddress address, int port) throws IOException {
    server =
        HTTPServer.builder().inetAddress(address).port(port).registry(registry).buildAndStart();
    return server.getPort();
  }

  /**
   * Starts the metrics endpoint for {@code receivewal --metrics-address/--metrics-port}, with its
   * messages on {@code cli}; false (after the error message) when it cannot.
   */
  boolean serve(Cli cli, @Nullable String metricsAddress, int metricsPort, boolean verbose) {
    String host = metricsAddress == null ? "127.0.0.1" : metricsAddress;
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      cli.error(
          "could not translate host name \"" + host + "\" to address: " + e.getMessage(),
          null,
          null);
      return false;
    }
    try {
      int port = serve(address, metricsPort);
      if (verbose) {
        cli.info("serving metrics at http://" + hostForUrl(address) + ":" + port + "/metrics");
      }
      return true;
    } catch (IOException e) {
      cli.error(
          "could not serve metrics on " + host + " port " + metricsPort + ": " + e.getMessage(),
          null,
          null);
      return false;
    }
  }

  private static String hostForUrl(InetAddress address) {
    String a = address.getHostAddress();
    return a.indexOf(':') >= 0 ? "[" + a + "]" : a;
  }

  /** Starts counting a new connection's sink: its completed segments and fsync times. */
  void attach(SegmentFileSink newSink) {
    newSink.onSync(nanos -> fsyncSeconds.observe(nanos / 1e9));
    sink = newSink;
  }

  /** Adds the upload metrics of {@code receivewal --target}. */
  void attach(WalUploader uploader) {
    gauge(
        "jwalreceiver_upload_lag_segments",
        "Completed WAL files (segments, history files) not uploaded to the --target yet",
        uploader::pendingFiles);
    gauge(
        "jwalreceiver_upload_lag_seconds",
        "Age of the oldest completed WAL file not uploaded yet, 0 when none waits",
        uploader::lagSeconds);
    counter(
        "jwalreceiver_upload_failures",
        "Failed attempts to upload a WAL file (or to list the archive); each is retried",
        uploader::failures);
    counter(
        "jwalreceiver_uploaded_files",
        "WAL files uploaded to the --target",
        uploader::uploadedFiles);
  }

  /** A segment was completed (from the sink's flusher). */
  void segmentCompleted() {
    segmentsCompleted.incrementAndGet();
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }

  private double flushed() {
    SegmentFileSink s = sink;
    return s == null ? 0 : unsigned(s.durablePosition());
  }

  private double lagBytes() {
    long end = serverWalEnd.getAcquire();
    SegmentFileSink s = sink;
    if (end == 0 || s == null) {
      return 0;
    }
    long flushed = s.durablePosition();
    return Long.compareUnsigned(end, flushed) > 0 ? unsigned(end - flushed) : 0;
  }

  /** LSNs are unsigned 64-bit; a double holds them exactly up to 2^53 (8 PB of WAL). */
  private static double unsigned(long v) {
    return v >= 0 ? v : (v >>> 1) * 2.0 + (v & 1);
  }

  private void gauge(String name, String help, DoubleSupplier value) {
    registry.register(
        GaugeWithCallback.builder()
            .name(name)
            .help(help)
            .callback(cb -> cb.call(value.getAsDouble()))
            .build());
  }

  private void counter(String name, String help, LongSupplier value) {
    registry.register(
        CounterWithCallback.builder()
            .name(name)
            .help(help)
            .callback(cb -> cb.call(unsigned(value.getAsLong())))
            .build());
  }

  // ---------------------------------------------------------------- WalReceiver.Listener

  @Override
  public void streamingStarted(TimelineId tli, Lsn start) {
    lastEnd = start.value();
    timeline.set(tli.value());
    streaming = true;
    delegate.streamingStarted(tli, start);
  }

  @Override
  public void received(long end) {
    receivedBytes.setRelease(receivedBytes.getPlain() + (end - lastEnd));
    lastEnd = end;
    receivedLsn.setRelease(end);
    delegate.received(end);
  }

  @Override
  public void serverWalEnd(long walEnd) {
    serverWalEnd.setRelease(walEnd);
    delegate.serverWalEnd(walEnd);
  }

  @Override
  public void connected(String host, SystemIdentity identity) {
    archivedFrom = new String[] {host, identity.systemId()};
    timeline.set(identity.timeline().value());
    delegate.connected(host, identity);
  }

  @Override
  public void timelineSwitched(TimelineId from, TimelineId to, Lsn start) {
    timeline.set(to.value());
    delegate.timelineSwitched(from, to, start);
  }

  @Override
  public void disconnected(PgException cause, Duration retryIn) {
    streaming = false;
    // The error's time before the count: a scrape that sees the reconnect sees when it failed.
    lastErrorMillis.set(clock.millis());
    reconnects.incrementAndGet();
    delegate.disconnected(cause, retryIn);
  }

  @Override
  public void statusSent(long write, long flush) {
    delegate.statusSent(write, flush);
  }

  @Override
  public void info(String message) {
    delegate.info(message);
  }
}
