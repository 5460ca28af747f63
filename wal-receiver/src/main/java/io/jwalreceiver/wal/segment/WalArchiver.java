// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.StopCondition;
import io.jwalreceiver.wal.WalReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The short way to run {@code pg_receivewal} in a program: a builder of a {@link WalReceiver} that
 * archives into a directory of segment files through a {@link SegmentFileSink} and resumes where
 * the directory's WAL ends ({@link ResumePoint#scan}). Every setting starts at pg_receivewal's
 * default: no slot, status every 10 s, no end position, reconnect after 5 s, uncompressed, fsync on
 * request. Across a failover it refuses a server of another cluster, or one whose timeline history
 * does not contain the archive's position, and follows the new timeline otherwise.
 *
 * <pre>{@code
 * WalReceiver receiver = WalArchiver.builder(ConnectionConfig.parse("host=db user=archiver"))
 *     .slot("archive")
 *     .target(Path.of("/var/lib/wal"))
 *     .compression(Compression.parse("gzip"))
 *     .build();
 * receiver.run(); // until receiver.requestStop() from another thread
 * }</pre>
 *
 * It lives beside the sink, not in {@code io.jwalreceiver.wal}, because the WAL loop must not know
 * about segment files (the layers point one way: {@code wal} ← {@code wal.segment}).
 */
public final class WalArchiver {

  private final ConnectionConfig config;
  private ReceiverOptions options = ReceiverOptions.defaults();
  private SegmentFileOptions sinkOptions = SegmentFileOptions.DEFAULTS;
  private @Nullable Path target;
  private WalReceiver.Listener listener = new WalReceiver.Listener() {};
  private Consumer<String> warnings = warning -> {};
  private Consumer<SegmentFileSink> onSinkOpened = sink -> {};
  private InstantSource clock = InstantSource.system();

  private WalArchiver(ConnectionConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * Starts a builder.
   *
   * @param config where to connect (a replication connection is made from it)
   * @return the builder
   */
  public static WalArchiver builder(ConnectionConfig config) {
    return new WalArchiver(config);
  }

  /**
   * Streams through this physical slot (pg_receivewal's {@code -S}); none by default.
   *
   * @param name the slot name
   * @return this builder
   */
  public WalArchiver slot(String name) {
    options = options.withSlotName(Objects.requireNonNull(name, "name"));
    return this;
  }

  /**
   * The existing directory the segments go into (pg_receivewal's {@code -D}); required.
   *
   * @param directory the output directory
   * @return this builder
   */
  public WalArchiver target(Path directory) {
    target = Objects.requireNonNull(directory, "directory");
    return this;
  }

  /**
   * How segment files are compressed (pg_receivewal's {@code -Z}); {@link Compression#NONE} by
   * default.
   *
   * @param compression the compression
   * @return this builder
   */
  public WalArchiver compression(Compression compression) {
    sinkOptions = sinkOptions.withCompression(compression);
    return this;
  }

  /**
   * How often to report positions (pg_receivewal's {@code -s}); 10 s by default, zero for only when
   * the server asks.
   *
   * @param interval the interval
   * @return this builder
   */
  public WalArchiver statusInterval(Duration interval) {
    options = options.withStatusInterval(interval);
    return this;
  }

  /**
   * Flush and acknowledge every write batch (pg_receivewal's {@code --synchronous}).
   *
   * @param on whether to
   * @return this builder
   */
  public WalArchiver synchronous(boolean on) {
    options = options.withSynchronous(on);
    return this;
  }

  /**
   * When to force written WAL; {@link SyncPolicy#NEVER} is pg_receivewal's {@code --no-sync}.
   *
   * @param policy the policy
   * @return this builder
   */
  public WalArchiver sync(SyncPolicy policy) {
    sinkOptions = sinkOptions.withSyncPolicy(policy);
    return this;
  }

  /**
   * Stops once WAL beyond {@code lsn} was received (pg_receivewal's {@code -E}).
   *
   * @param lsn the end position, or null for none
   * @return this builder
   */
  public WalArchiver endPosition(@Nullable Lsn lsn) {
    options = options.withEndPosition(lsn);
    return this;
  }

  /**
   * When to stop on its own; only on {@link WalReceiver#requestStop()} by default.
   *
   * @param condition the condition
   * @return this builder
   */
  public WalArchiver stopCondition(StopCondition condition) {
    options = options.withStopCondition(condition);
    return this;
  }

  /**
   * Reconnect after failures (the default) or return with the first one (pg_receivewal's {@code
   * --no-loop}).
   *
   * @param on whether to reconnect
   * @return this builder
   */
  public WalArchiver loop(boolean on) {
    options = options.withLoop(on);
    return this;
  }

  /**
   * How long to wait before reconnecting; 5 s by default.
   *
   * @param delay the delay
   * @return this builder
   */
  public WalArchiver retryDelay(Duration delay) {
    options = options.withRetryDelay(delay);
    return this;
  }

  /**
   * A growing reconnect backoff: the delay doubles from {@link #retryDelay} after every failed
   * attempt in a row, up to {@code max}, and starts over after a connection that streamed WAL; null
   * (the default) keeps pg_receivewal's fixed delay.
   *
   * @param max the cap, or null
   * @return this builder
   */
  public WalArchiver reconnectBackoff(@Nullable Duration max) {
    options = options.toBuilder().reconnectBackoff(max).build();
    return this;
  }

  /**
   * Creates the {@link #slot} (physical, reserving WAL) on a server that lacks it, as a new primary
   * does after a failover; off by default (a missing slot is an error, as in pg_receivewal).
   *
   * @param on whether to
   * @return this builder
   */
  public WalArchiver createSlotIfMissing(boolean on) {
    options = options.toBuilder().createSlotIfMissing(on).build();
    return this;
  }

  /**
   * Every receiver option at once, replacing what the setters above set for the loop.
   *
   * @param receiverOptions the options
   * @return this builder
   */
  public WalArchiver options(ReceiverOptions receiverOptions) {
    options = Objects.requireNonNull(receiverOptions, "receiverOptions");
    return this;
  }

  /**
   * Every sink option at once, replacing {@link #compression} and {@link #sync}. The file modes
   * follow the server's data directory whatever {@code groupAccess} says here.
   *
   * @param segmentFileOptions the options
   * @return this builder
   */
  public WalArchiver sinkOptions(SegmentFileOptions segmentFileOptions) {
    sinkOptions = Objects.requireNonNull(segmentFileOptions, "segmentFileOptions");
    return this;
  }

  /**
   * What happens, for logging and metrics; nothing by default.
   *
   * @param receiverListener the listener
   * @return this builder
   */
  public WalArchiver listener(WalReceiver.Listener receiverListener) {
    listener = Objects.requireNonNull(receiverListener, "receiverListener");
    return this;
  }

  /**
   * Receives the warnings of the directory scan about skipped files, in pg_receivewal's words;
   * dropped by default.
   *
   * @param warningConsumer the consumer
   * @return this builder
   */
  public WalArchiver warnings(Consumer<String> warningConsumer) {
    warnings = Objects.requireNonNull(warningConsumer, "warningConsumer");
    return this;
  }

  /**
   * Runs for each sink the receiver opens (once per connection), before streaming: the place to
   * register {@link SegmentFileSink#onSegmentCompleted} and {@link SegmentFileSink#onSync}.
   *
   * @param callback the callback
   * @return this builder
   */
  public WalArchiver onSinkOpened(Consumer<SegmentFileSink> callback) {
    onSinkOpened = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /**
   * The clock of status updates and time limits; the system clock by default.
   *
   * @param instantSource the clock
   * @return this builder
   */
  public WalArchiver clock(InstantSource instantSource) {
    clock = Objects.requireNonNull(instantSource, "instantSource");
    return this;
  }

  /**
   * Builds the receiver. Nothing connects before {@link WalReceiver#run()}.
   *
   * @return the receiver
   * @throws IllegalStateException when no {@link #target} was given
   */
  public WalReceiver build() {
    Path directory = target;
    if (directory == null) {
      throw new IllegalStateException("no target directory");
    }
    SegmentFileOptions fileOptions = sinkOptions;
    Consumer<SegmentFileSink> opened = onSinkOpened;
    Consumer<String> scanWarnings = warnings;
    return new WalReceiver(
        config,
        options,
        (size, groupAccess) -> {
          SegmentFileSink sink =
              SegmentFileSink.open(directory, size, fileOptions.withGroupAccess(groupAccess));
          opened.accept(sink);
          return sink;
        },
        size -> ResumePoint.scan(directory, size, scanWarnings),
        listener,
        clock);
  }

  /**
   * Builds the receiver and runs it on the calling thread.
   *
   * @throws io.jwalreceiver.PgException see {@link WalReceiver#run()}
   */
  public void run() {
    build().run();
  }
}
