// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.cli.Main;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.HostSpec;
import io.jwalreceiver.session.SslMode;
import io.jwalreceiver.session.TargetSessionAttrs;
import io.jwalreceiver.testkit.BackgroundThread;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import io.jwalreceiver.testkit.Waits;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileOptions;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Shared pieces of the fault-injection suite: settings (seed, counts), servers, a background WAL
 * load, an in-process archiver wired exactly as {@code receivewal} wires it, and the checks that
 * nothing acknowledged is missing from the archive.
 *
 * <p>System properties:
 *
 * <ul>
 *   <li>{@code faults.seed}: the seed of every random choice (kill moments, cut moments); printed
 *       by each test and in every failure message;
 *   <li>{@code faults.long=true}: the long run (200 kills and 200 cuts per version instead of 20);
 *   <li>{@code faults.kills}, {@code faults.cuts}, {@code faults.restarts}, {@code
 *       faults.diskfull}: explicit counts, overriding both.
 * </ul>
 */
final class FaultKit {

  static final WalSegmentSize SEGMENT = new WalSegmentSize(1 << 20);
  static final Path PG15_BIN = Path.of("/usr/lib/postgresql/15/bin");

  /** The shaded jar, built in the package phase before failsafe runs. */
  static final Path JAR = Path.of("target", "jwalreceiver.jar");

  static final long SEED = Long.getLong("faults.seed", 20_261_127L);
  static final boolean LONG_RUN = Boolean.getBoolean("faults.long");
  static final Duration TIMEOUT = Duration.ofSeconds(90);

  private FaultKit() {}

  /** An iteration count: {@code faults.<name>}, else the short or the long default. */
  static int count(String name, int shortRun, int longRun) {
    return Integer.getInteger("faults." + name, LONG_RUN ? longRun : shortRun);
  }

  /** A scenario's number of rounds ({@link #count}) and its random source ({@link #random}). */
  record Rounds(int count, Random random) {
    static Rounds of(String name, int shortRun, int longRun, String test) {
      return new Rounds(FaultKit.count(name, shortRun, longRun), FaultKit.random(test));
    }
  }

  /** A random source for one test, derived from the suite seed and the test's name. */
  static Random random(String test) {
    return new Random(SEED ^ test.hashCode());
  }

  /** The kill and cut loops run on 13, 15 and 18, as far as they are selected. */
  static List<Integer> loopVersions() {
    return PgVersions.spread();
  }

  /** The fully qualified name of {@link #loopVersions()}, for {@code @MethodSource}. */
  static final String LOOP_VERSIONS = "io.jwalreceiver.cli.faults.FaultKit#loopVersions";

  /**
   * 1 MiB segments, so that a short run crosses many segment boundaries; {@code wal_keep_size}
   * keeps every segment in {@code pg_wal} so the archive can be compared with the server's files.
   */
  static PostgresServer.Options options(int major) {
    return PostgresServer.Options.of(major)
        .withInitdbArgs("--wal-segsize=1")
        .withSetting("wal_keep_size", "1GB")
        .withSetting("max_wal_size", "2GB");
  }

  static ConnectionConfig replication(String host, int port, String applicationName) {
    return ConnectionConfig.builder()
        .host(host)
        .port(port)
        .user(PostgresServer.REPL_TRUST)
        .sslMode(SslMode.DISABLE)
        .applicationName(applicationName)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /**
   * libpq's {@code host=a,b,... target_session_attrs=read-write} over {@code servers}, in order:
   * the archiver connects to the first that accepts writes.
   */
  static ConnectionConfig readWrite(String applicationName, PostgresServer... servers) {
    List<HostSpec> hosts =
        Stream.of(servers).map(s -> new HostSpec(s.host(), null, s.port())).toList();
    return replication(servers[0].host(), servers[0].port(), applicationName).toBuilder()
        .hosts(hosts, TargetSessionAttrs.READ_WRITE, false)
        .build();
  }

  /** libpq environment for a CLI run against {@code host:port}. */
  static Map<String, String> env(String host, int port, String applicationName) {
    Map<String, String> env = new HashMap<>();
    env.put("PGHOST", host);
    env.put("PGPORT", Integer.toString(port));
    env.put("PGUSER", PostgresServer.REPL_TRUST);
    env.put("PGSSLMODE", "disable");
    env.put("PGCONNECT_TIMEOUT", "10");
    env.put("PGAPPNAME", applicationName);
    return env;
  }

  /** What an in-process command-line run returned and printed on stderr. */
  record Run(int exitCode, String err) {
    String firstLine() {
      return err.lines().findFirst().orElse("");
    }
  }

  /** Runs the command line in-process ({@link Main#run}). */
  static Run cli(Map<String, String> env, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o =
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.run(args, o, e, env);
    }
    return new Run(code, err.toString(StandardCharsets.UTF_8));
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * Starts the shaded jar's {@code receivewal -D dir -S slot -s 1 -v} and {@code extra} as a child
   * process (the one a kill -9 hits), its output appended to {@code log}.
   */
  static Process startReceiveWal(
      Map<String, String> env, Path dir, String slot, Path log, String... extra)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                javaBin(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-jar",
                JAR.toAbsolutePath().toString(),
                "receivewal",
                "-D",
                dir.toString(),
                "-S",
                slot,
                "-s",
                "1",
                "-v"));
    command.addAll(List.of(extra));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    return pb.start();
  }

  /**
   * An in-process {@code receivewal -D dir -S slot}, {@code extra}, {@code --endpos end --no-loop}
   * run that must succeed.
   */
  static Run receiveWalUpTo(
      Map<String, String> env, Path dir, String slot, String end, String... extra) {
    List<String> args = new ArrayList<>(List.of("receivewal", "-D", dir.toString(), "-S", slot));
    args.addAll(List.of(extra));
    args.addAll(List.of("--endpos", end, "--no-loop"));
    Run r = cli(env, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    return r;
  }

  // ------------------------------------------------------------------------------ archiver

  /**
   * The loop {@code receivewal} runs, in-process, with a short retry delay so that a test can
   * afford many reconnects (the command's is pg_receivewal's fixed 5 s).
   */
  static WalReceiver archiver(
      ConnectionConfig config,
      Path dir,
      String slot,
      Duration retryDelay,
      WalReceiver.Listener listener) {
    return archiver(
        config,
        dir,
        ReceiverOptions.defaults()
            .withSlotName(slot)
            .withStatusInterval(Duration.ofSeconds(1))
            .withRetryDelay(retryDelay),
        listener);
  }

  /** {@link #archiver} with every receiver option given. */
  static WalReceiver archiver(
      ConnectionConfig config, Path dir, ReceiverOptions options, WalReceiver.Listener listener) {
    return new WalReceiver(
        config,
        options,
        (size, groupAccess) ->
            SegmentFileSink.open(
                dir, size, SegmentFileOptions.DEFAULTS.withGroupAccess(groupAccess)),
        size -> ResumePoint.scan(dir, size, warning -> {}),
        listener,
        InstantSource.system());
  }

  /**
   * {@link #archiver} over {@link #replication} with the 200 ms retry delay of the loops, running
   * on a thread called {@code name}.
   */
  static Running startArchiver(
      String host, int port, String app, Path dir, String slot, Events events, String name) {
    return new Running(
        archiver(replication(host, port, app), dir, slot, Duration.ofMillis(200), events), name);
  }

  /**
   * Creates the physical slot {@code slot}, reserving WAL at once. A physical slot reserves WAL
   * from the last checkpoint's redo point: this makes that checkpoint now.
   */
  static void createSlot(PostgresServer server, String slot) {
    server.execute("CHECKPOINT");
    server.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
  }

  /**
   * A new slot on one server, the archiver streaming through it (the slot's name is also its
   * application name), a write load and a flush sampler: what the restart and disk-full scenarios
   * run; closed in reverse order.
   */
  static final class Rig implements AutoCloseable {
    final Running archiver;
    final Load load;
    final FlushSampler sampler;
    private final PostgresServer server;
    private final String slot;

    Rig(PostgresServer server, String slot, Path dir, Events events, long loadPauseMillis) {
      createSlot(server, slot);
      archiver =
          startArchiver(server.host(), server.port(), slot, dir, slot, events, "archiver-" + slot);
      load = new Load(server, loadPauseMillis);
      sampler = new FlushSampler(server, slot);
      this.server = server;
      this.slot = slot;
    }

    /**
     * What the archiver has surely acknowledged: the highest flush position the server saw since
     * the last call ({@code seen}, taken before any restart) or the slot's position now, whichever
     * is higher (the archiver may have moved the slot on already).
     */
    long acknowledged(long seen) {
      long slotFlush = restartLsn(server, slot);
      return Long.compareUnsigned(seen, slotFlush) >= 0 ? seen : slotFlush;
    }

    @Override
    public void close() {
      try {
        sampler.close();
      } finally {
        try {
          load.close();
        } finally {
          archiver.close();
        }
      }
    }
  }

  /** Runs {@link WalReceiver#run()} on a thread and keeps what it threw. */
  static final class Running implements AutoCloseable {
    final WalReceiver receiver;
    private final BackgroundThread thread;

    Running(WalReceiver receiver, String name) {
      this.receiver = receiver;
      this.thread = BackgroundThread.start(name, receiver::run);
    }

    /**
     * Waits until the archiver has begun streaming attempt {@code round} (counted by {@code
     * events}), and fails if it died instead.
     */
    void awaitAttempt(Events events, int round) {
      await(
          TIMEOUT,
          () -> events.starts.get() >= round || failure() != null,
          () -> "streaming attempt " + round);
      assertThat(failure()).as("archiver failed").isNull();
    }

    /**
     * Waits up to {@code timeout} for the archiver to end on its own (a refusal, an end position).
     */
    void awaitEnd(Duration timeout) {
      thread.join(timeout);
    }

    /** What the archiver threw, or null while it runs. */
    Throwable failure() {
      return thread.failure();
    }

    @Override
    public void close() {
      receiver.requestStop();
      thread.join(TIMEOUT);
      assertThat(thread.isAlive()).as("archiver stopped").isFalse();
      if (failure() != null) {
        throw new AssertionError("archiver failed", failure());
      }
    }
  }

  /** Counts what the archiver's listener sees. */
  static class Events implements WalReceiver.Listener {
    final AtomicLong starts = new AtomicLong();
    final AtomicLong disconnects = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong switches = new AtomicLong();
    final List<io.jwalreceiver.PgException> errors =
        java.util.Collections.synchronizedList(new ArrayList<>());

    /** The timeline of each switch followed, in order. */
    final List<TimelineId> switchedTo = java.util.Collections.synchronizedList(new ArrayList<>());

    /** Each server connected to, {@code host:port}, in order. */
    final List<String> servers = java.util.Collections.synchronizedList(new ArrayList<>());

    /**
     * Ends the archive ({@link #switchAndMark}) and waits until the archiver has received up to
     * there.
     */
    void awaitArchiveEnd(PostgresServer server, Duration timeout) {
      awaitReceived(switchAndMark(server), timeout);
    }

    /**
     * Waits until {@code standby} has replayed and the archiver has received all {@code primary}
     * wrote: stopping the primary then loses nothing asynchronous.
     */
    void awaitCaughtUp(PostgresServer primary, PostgresServer standby) {
      String last = primary.currentWalLsn();
      standby.awaitReplay(last, TIMEOUT);
      awaitReceived(last, TIMEOUT);
    }

    /** Waits until the archiver has received WAL up to {@code lsn}. */
    void awaitReceived(String lsn, Duration timeout) {
      long target = lsn(lsn);
      await(
          timeout,
          () -> Long.compareUnsigned(received.get(), target) >= 0,
          () -> "the archiver to receive up to " + lsn);
    }

    /**
     * Writes at least {@code bytes} of WAL on {@code server} under a background {@link Load}, then
     * {@link #awaitArchiveEnd}.
     */
    void awaitArchivedLoad(PostgresServer server, long bytes, Duration timeout) {
      try (Load load = new Load(server, 0)) {
        await(timeout, () -> load.bytes() >= bytes, () -> "WAL written under load on " + server);
      }
      awaitArchiveEnd(server, timeout);
    }

    @Override
    public void streamingStarted(TimelineId timeline, Lsn start) {
      starts.incrementAndGet();
    }

    @Override
    public void timelineSwitched(TimelineId from, TimelineId to, Lsn start) {
      switches.incrementAndGet();
      switchedTo.add(to);
    }

    @Override
    public void received(long end) {
      received.set(end);
    }

    @Override
    public void connected(String server, io.jwalreceiver.session.SystemIdentity identity) {
      servers.add(server);
    }

    @Override
    public void disconnected(io.jwalreceiver.PgException cause, Duration retryIn) {
      disconnects.incrementAndGet();
      errors.add(cause);
    }
  }

  // ------------------------------------------------------------------------------ load

  /** Writes WAL on a thread, 128 KiB at a time, until closed; tolerates a server going away. */
  static final class Load implements AutoCloseable {
    private final AtomicLong bytes = new AtomicLong();
    private final Repeating loop;

    Load(PostgresServer server, long pauseMillis) {
      loop =
          new Repeating(
              "wal-load",
              pauseMillis,
              () -> {
                server.generateWal(128 * 1024);
                bytes.addAndGet(128 * 1024);
              });
    }

    long bytes() {
      return bytes.get();
    }

    @Override
    public void close() {
      loop.close();
    }
  }

  /**
   * Runs {@code step} on a daemon thread every {@code pauseMillis} until closed. A step that throws
   * (the server restarting, shut down or away for a moment) is tried again after the pause.
   */
  static final class Repeating implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final BackgroundThread thread;

    Repeating(String name, long pauseMillis, Runnable step) {
      thread =
          BackgroundThread.start(
              name,
              () -> {
                while (!stop.get()) {
                  try {
                    step.run();
                  } catch (RuntimeException e) {
                    // The server is not there right now: try again shortly.
                  }
                  Waits.sleep(pauseMillis);
                }
              });
    }

    @Override
    public void close() {
      stop.set(true);
      thread.join(TIMEOUT);
    }
  }

  // ------------------------------------------------------------------------------ server state

  static long lsn(String text) {
    return Lsn.parse(text).value();
  }

  static String text(long lsn) {
    return Lsn.of(lsn).toString();
  }

  /** The slot's restart_lsn: for a physical slot, the flush position the client last reported. */
  static long restartLsn(PostgresServer server, String slot) {
    String r =
        server.queryString(
            "SELECT coalesce(restart_lsn::text, '0/0') FROM"
                + " pg_replication_slots WHERE slot_name = '"
                + slot
                + "'");
    return lsn(r);
  }

  static void awaitSlotInactive(PostgresServer server, String slot) {
    await(
        TIMEOUT,
        () ->
            "f"
                .equals(
                    server.queryString(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = '"
                            + slot
                            + "'")),
        () -> "slot " + slot + " to become inactive");
  }

  /** The flush position pg_stat_replication shows for an application name, 0 when absent. */
  static long statFlush(PostgresServer server, String applicationName) {
    return lsn(
        server.queryString(
            "SELECT coalesce(max(flush_lsn)::text, '0/0')"
                + " FROM pg_stat_replication WHERE application_name = '"
                + applicationName
                + "'"));
  }

  static boolean streaming(PostgresServer server, String applicationName) {
    return !"0"
        .equals(
            server.queryString(
                "SELECT count(*) FROM pg_stat_replication"
                    + " WHERE state = 'streaming' AND application_name = '"
                    + applicationName
                    + "'"));
  }

  /**
   * Polls pg_stat_replication.flush_lsn and keeps the highest value seen since the last {@link
   * FlushSampler#takeMax}.
   */
  static final class FlushSampler implements AutoCloseable {
    private final AtomicLong max = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final Repeating loop;

    FlushSampler(PostgresServer server, String applicationName) {
      loop =
          new Repeating(
              "flush-sampler",
              20,
              () -> {
                long f = statFlush(server, applicationName);
                max.accumulateAndGet(f, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
                samples.incrementAndGet();
              });
    }

    /** The highest flush position seen since the last reset, and starts a new window. */
    long takeMax() {
      return max.getAndSet(0);
    }

    long samples() {
      return samples.get();
    }

    @Override
    public void close() {
      loop.close();
    }
  }

  // ------------------------------------------------------------------------------ archive checks

  /** The server's copy of a segment ({@code pg_wal/<name>}, or its {@code .partial}). */
  static Path serverSegment(PostgresServer server, String name) {
    Path wal = server.dataDir().resolve("pg_wal");
    Path plain = wal.resolve(name);
    return Files.exists(plain) ? plain : wal.resolve(name + ".partial");
  }

  /** Archive file names on one timeline: segment number to file name. */
  static NavigableMap<Long, String> segments(Path dir, TimelineId tli) {
    TreeMap<Long, String> found = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9A-F]{24}(\\.partial)?"))
          .forEach(
              n -> {
                SegmentName s = SegmentName.parse(n.substring(0, 24), SEGMENT);
                if (s.timeline().equals(tli)) {
                  String earlier = found.put(s.segmentNumber(), n);
                  assertThat(earlier).as("both %s and %s in %s", earlier, n, dir).isNull();
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return found;
  }

  /**
   * Checks that the archive holds, intact, every byte of timeline {@code tli} below {@code upTo}
   * (an acknowledged flush position): the segments from the archive's first one up to the one
   * holding {@code upTo - 1} are all present, every one before it complete (not {@code .partial}),
   * and that segment's bytes below {@code upTo} equal the server's. A segment whose end was
   * acknowledged must be complete: its end counts as durable only after the rename.
   *
   * @return the bytes compared with the server
   */
  static long assertHoldsUpTo(
      Path dir, PostgresServer server, TimelineId tli, long upTo, String context)
      throws IOException {
    NavigableMap<Long, String> files = segments(dir, tli);
    assertThat(files)
        .as("archive %s empty while %s was acknowledged (%s)", dir, text(upTo), context)
        .isNotEmpty();
    long last = SEGMENT.segmentNumber(Lsn.of(upTo - 1));
    long first = files.firstKey();
    if (last < first) {
      return 0; // Acknowledged before this archive began: nothing of it is ours to hold.
    }
    for (long s = first; s < last; s++) {
      String name = files.get(s);
      assertThat(name)
          .as(
              "segment %d complete below acknowledged %s in %s (%s)",
              s, text(upTo), files.values(), context)
          .isNotNull()
          .doesNotEndWith(".partial");
    }
    String name = files.get(last);
    int length = SEGMENT.offset(Lsn.of(upTo - 1)) + 1;
    assertThat(name)
        .as("segment holding acknowledged %s in %s (%s)", text(upTo), files.values(), context)
        .isNotNull();
    if (length == SEGMENT.bytes()) {
      assertThat(name)
          .as("segment ending at acknowledged %s is complete (%s)", text(upTo), context)
          .doesNotEndWith(".partial");
    }
    byte[] ours = Arrays.copyOf(Files.readAllBytes(dir.resolve(name)), length);
    byte[] theirs = Arrays.copyOf(readServer(server, name.substring(0, 24)), length);
    int mismatch = Arrays.mismatch(ours, theirs);
    assertThat(mismatch)
        .as(
            "first byte of %s differing from the server's, below acknowledged" + " %s (%s)",
            name, text(upTo), context)
        .isEqualTo(-1);
    return length;
  }

  private static byte[] readServer(PostgresServer server, String name) throws IOException {
    try {
      return Files.readAllBytes(serverSegment(server, name));
    } catch (NoSuchFileException e) {
      throw new AssertionError("the server no longer has " + name + " to compare with", e);
    }
  }

  /**
   * The whole archive of one timeline: contiguous, every complete segment byte-identical to the
   * server's, and on a 15 server pg_waldump reads the complete segments end to end.
   *
   * @return the bytes compared
   */
  static long assertArchiveIntact(Path dir, PostgresServer server, TimelineId tli)
      throws Exception {
    NavigableMap<Long, String> files = segments(dir, tli);
    assertThat(files).as("segments in %s", dir).isNotEmpty();
    long expected = files.firstKey();
    long bytes = 0;
    List<String> complete = new ArrayList<>();
    for (Map.Entry<Long, String> e : files.entrySet()) {
      assertThat(e.getKey())
          .as("no gap before %s in %s", e.getValue(), files.values())
          .isEqualTo(expected);
      expected++;
      String name = e.getValue();
      if (name.endsWith(".partial")) {
        assertThat(e.getKey())
            .as("only the last segment is .partial: %s", files.values())
            .isEqualTo(files.lastKey());
        continue;
      }
      assertThat(Files.mismatch(dir.resolve(name), serverSegment(server, name)))
          .as("%s identical to the server's", name)
          .isEqualTo(-1L);
      bytes += Files.size(dir.resolve(name));
      complete.add(name);
    }
    if (server.majorVersion() == 15
        && Files.isExecutable(PG15_BIN.resolve("pg_waldump"))
        && !complete.isEmpty()) {
      String dump = pgWaldump(dir, complete.get(0), complete.get(complete.size() - 1));
      assertThat(dump).contains("rmgr:");
    }
    return bytes;
  }

  /**
   * Timeline {@code tli} continues its parent {@code tli - 1} with no gap: the parent's last
   * segment is kept as {@code .partial} and the child's first segment is that same segment, and the
   * archive's history file is byte-identical to {@code leader}'s, the server promoted to {@code
   * tli}. Then both timelines' segments are {@linkplain #assertArchiveIntact intact}.
   *
   * @return the bytes compared on the child timeline
   */
  static long assertTimelineContinues(Path dir, TimelineId tli, PostgresServer leader)
      throws Exception {
    String history = tli.historyFileName();
    assertThat(Files.mismatch(dir.resolve(history), leader.dataDir().resolve("pg_wal/" + history)))
        .as("%s identical to the server's", history)
        .isEqualTo(-1L);
    NavigableMap<Long, String> parent = segments(dir, TimelineId.of(tli.asLong() - 1));
    NavigableMap<Long, String> child = segments(dir, tli);
    assertThat(parent.lastEntry().getValue()).as("timeline %s ends", tli).endsWith(".partial");
    assertThat(child.firstKey())
        .as("timeline %s starts where its parent ends", tli)
        .isEqualTo(parent.lastKey());
    return assertArchiveIntact(dir, leader, tli);
  }

  /** pg_waldump 15 over a range of segment files; fails unless it reads them all. */
  static String pgWaldump(Path dir, String first, String last) throws Exception {
    Tools.Result r =
        Tools.run(
            TIMEOUT, PG15_BIN.resolve("pg_waldump").toString(), "-p", dir.toString(), first, last);
    assertThat(r.exitCode()).as("pg_waldump %s..%s: %s", first, last, tail(r.all())).isZero();
    return r.all();
  }

  static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
  }

  // ------------------------------------------------------------------------------ recovery oracle

  /**
   * A base backup of {@code server} by our own {@code basebackup} command, in-process, without WAL
   * ({@code -X none}): whoever restores it needs the archive from the backup's start on.
   */
  static Path baseBackup(PostgresServer server, Path target) {
    Run run =
        cli(
            env(server.host(), server.port(), "faults_backup"),
            "basebackup",
            "-D",
            target.toString(),
            "-X",
            "none",
            "-c",
            "fast",
            "--no-sync");
    assertThat(run.exitCode()).as("basebackup: %s", run.err()).isZero();
    return target;
  }

  /**
   * The oracle of an archive: a server started from {@code backup} with {@code restore_command =
   * 'cp <archive>/%f %p'} and {@code recovery_target_timeline = 'latest'} replays the archive to
   * its end, across every timeline switch, and leaves recovery; then {@code query} on it must
   * return {@code expected} (a row written late, e.g. after a promotion). Only complete segments
   * and history files are restored: a {@code .partial} is never asked for.
   */
  static void assertRecoversFromArchive(
      Path backup, Path archive, int major, String query, String expected) throws IOException {
    Files.writeString(backup.resolve("recovery.signal"), "");
    Files.writeString(
        backup.resolve("postgresql.auto.conf"),
        "restore_command = 'cp "
            + archive.toAbsolutePath()
            + "/%f %p'\nrecovery_target_timeline = 'latest'\n",
        StandardOpenOption.APPEND);
    // The server user runs restore_command: it must read the archive.
    PostgresServer.handOver(archive);
    try (PostgresServer restored =
        PostgresServer.startFromDataDir(backup, PostgresServer.Options.of(major))) {
      await(TIMEOUT, () -> !restored.isInRecovery(), () -> "end of archive recovery of " + backup);
      assertThat(restored.queryString(query))
          .as("%s on the server restored from the base backup and the archive", query)
          .isEqualTo(expected);
    }
  }

  // ------------------------------------------------------------------------------ misc

  /** Ends an archive with a segment switch and returns a position just after it. */
  static String switchAndMark(PostgresServer server) {
    server.switchWal();
    String end = server.queryString("SELECT pg_current_wal_insert_lsn()");
    server.generateWal(1);
    return end;
  }

  /** {@link Waits#await} with the seed in the failure message, to replay a failed run. */
  static void await(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
    Waits.await(timeout, condition, () -> what.get() + " (seed " + SEED + ")");
  }

  /** One line the report can quote: {@code faults: <what>: k=v, ...}. */
  static void report(String what, Object... keyValues) {
    StringBuilder line = new StringBuilder("faults: ").append(what).append(":");
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      line.append(i == 0 ? " " : ", ").append(keyValues[i]).append('=').append(keyValues[i + 1]);
    }
    line.append(" (seed ").append(SEED).append(')');
    System.out.println(line);
  }
}
