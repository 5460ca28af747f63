// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.StopCondition;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.jwalreceiver.wal.segment.SyncPolicy;
import io.jwalreceiver.wal.segment.WalArchiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jwalreceiver receivewal}: pg_receivewal's options, messages and on-disk layout, on the
 * {@link WalReceiver} library loop.
 */
/** {@code jwalreceiver receivewal}: archives streamed WAL into a directory (pg_receivewal). */
@Command(
    name = "receivewal",
    header = "Archives streamed WAL into a directory (pg_receivewal).",
    description = {
      "Receives PostgreSQL streaming write-ahead logs into a directory, as pg_receivewal does:",
      "24-hex-digit segment files, .partial for the segment in progress, timeline history",
      "files. Acknowledges to the server only WAL that is on disk.",
      ""
    })
public final class ReceiveWalCommand extends CliCommand {

  /** The application_name sent when none is configured. */
  static final String FALLBACK_APPLICATION_NAME = "pg_receivewal";

  @Option(
      names = {"-D", "--directory"},
      paramLabel = "DIR",
      description = "receive write-ahead log files into this directory")
  @Nullable Path directory;

  @Option(
      names = {"-E", "--endpos"},
      paramLabel = "LSN",
      description = "exit after receiving the specified LSN")
  @Nullable String endpos;

  @Option(
      names = "--if-not-exists",
      description = "do not error if slot already exists when creating a slot")
  boolean ifNotExists;

  @Option(
      names = {"-n", "--no-loop"},
      description = "do not loop on connection lost")
  boolean noLoop;

  @Option(names = "--no-sync", description = "do not wait for changes to be written safely to disk")
  boolean noSync;

  @Option(
      names = {"-s", "--status-interval"},
      paramLabel = "SECS",
      description = "time between status packets sent to server (default: 10)")
  @Nullable String statusInterval;

  @Mixin SlotOption slotOption;

  @Option(names = "--synchronous", description = "flush write-ahead log immediately after writing")
  boolean synchronous;

  @Mixin VerboseOption verboseOption;

  @Option(
      names = {"-Z", "--compress"},
      paramLabel = "METHOD[:DETAIL]",
      description = {
        "compress as specified (none, gzip, lz4, or zstd, our addition to",
        "pg_receivewal; DETAIL: level=N, workers=N for zstd)"
      })
  @Nullable String compress;

  @Option(
      names = "--create-slot",
      description = "create a new replication slot (for the slot's name see --slot)")
  boolean createSlot;

  @Option(
      names = "--drop-slot",
      description = "drop the replication slot (for the slot's name see --slot)")
  boolean dropSlot;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description = {
        "serve Prometheus metrics over HTTP at /metrics on this port",
        "(0 = any free port, shown with -v)"
      })
  @Nullable Integer metricsPort;

  @Option(
      names = "--metrics-address",
      paramLabel = "ADDRESS",
      description = "address to serve the metrics on (default: 127.0.0.1)")
  @Nullable String metricsAddress;

  @Option(
      names = "--reconnect-backoff",
      paramLabel = "MAXSECS",
      description = {
        "after a lost connection, wait 5 s, then twice as long after each failed attempt,",
        "up to MAXSECS; a connection that streamed WAL starts over (default: a fixed 5 s)"
      })
  @Nullable String reconnectBackoff;

  @Option(
      names = "--create-slot-if-missing",
      description = {
        "create the --slot (physical, reserving WAL) on a server that lacks it, such as",
        "a new primary after a failover (default: a missing slot is an error)"
      })
  boolean createSlotIfMissing;

  @Option(
      names = "--log-timestamps",
      description = "start every message with the time (UTC), for logs written to a file")
  boolean logTimestamps;

  @Option(
      names = "--target",
      paramLabel = "LOCATION",
      description = {
        "also upload each completed WAL file, in order, to this archive (ours):",
        "s3://bucket[/prefix][?endpoint=URL&region=R&path-style=B] or a directory;",
        "files go under wal/, and uploaded ones are removed from -D except history",
        "files and the newest completed segment"
      })
  @Nullable String target;

  @Option(
      names = "--keep-local",
      description = "with --target: keep uploaded files in the -D directory too")
  boolean keepLocal;

  @Option(
      names = "--ack-after-upload",
      description = {
        "with --target: the flush position reported to the server (and the slot) never",
        "passes the end of the newest segment uploaded with all before it"
      })
  boolean ackAfterUpload;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    InstantSource clock = InstantSource.system();
    if (logTimestamps) {
      cli = cli.withTimestamps(clock);
    }
    try {
      return receive(clock);
    } catch (PgException e) {
      // Printed here rather than by Main so that --log-timestamps covers the last error too.
      cli.error(null, e);
      return ExitCodes.forException(e);
    }
  }

  private int receive(InstantSource clock) {
    // Validation in pg_receivewal's order, with its messages.
    if (directory == null && !createSlot && !dropSlot) {
      return usage("no target directory specified");
    }
    if (createSlot && dropSlot) {
      return usage("cannot use --create-slot together with --drop-slot");
    }
    if (createSlot && slotOption.slot == null) {
      return usage("--create-slot needs a slot to be specified using --slot");
    }
    if (dropSlot && slotOption.slot == null) {
      return usage("--drop-slot needs a slot to be specified using --slot");
    }
    if (synchronous && noSync) {
      return usage("cannot use --synchronous together with --no-sync");
    }
    // pg_receivewal 15+'s -Z syntax and messages (fatal, no hint); zstd is accepted here.
    Compression compression = Compression.NONE;
    if (compress != null) {
      try {
        compression = Compression.parse(compress);
      } catch (PgException e) {
        cli.error(String.valueOf(e.getMessage()), null, null);
        return ExitCodes.ERROR;
      }
    }
    Lsn end = null;
    if (endpos != null) {
      try {
        end = Lsn.parse(endpos);
      } catch (PgException e) {
        cli.error("could not parse end position \"" + endpos + "\"", null, null);
        return ExitCodes.ERROR;
      }
    }
    Duration interval = Duration.ofSeconds(10);
    if (statusInterval != null) {
      Integer secs = IntOption.parse(cli, statusInterval, "-s/--status-interval", 0, 2147483);
      if (secs == null) {
        return ExitCodes.ERROR;
      }
      interval = Duration.ofSeconds(secs);
    }

    Duration backoffMax = null;
    if (reconnectBackoff != null) {
      Integer secs = IntOption.parse(cli, reconnectBackoff, "--reconnect-backoff", 5, 86400);
      if (secs == null) {
        return ExitCodes.ERROR;
      }
      backoffMax = Duration.ofSeconds(secs);
    }
    if (createSlotIfMissing && slotOption.slot == null) {
      return usage("--create-slot-if-missing needs a slot to be specified using --slot");
    }
    if (keepLocal && target == null) {
      return usage("--keep-local needs --target");
    }
    if (ackAfterUpload && target == null) {
      return usage("--ack-after-upload needs --target");
    }
    StoreLocation location = null;
    if (target != null) {
      try {
        location = StoreLocation.parse(target);
      } catch (IllegalArgumentException e) {
        return usage(String.valueOf(e.getMessage()));
      }
    }

    // The fallback application_name is pg_receivewal's own, so synchronous_standby_names and
    // monitoring written for pg_receivewal keep matching after the binary is swapped; PGAPPNAME
    // or application_name in -d override it.
    ConnectionConfig config = connection.resolve(cli, FALLBACK_APPLICATION_NAME);

    if (dropSlot) {
      // Set: --drop-slot without --slot was refused above.
      String slot = Objects.requireNonNull(slotOption.slot);
      if (verboseOption.verbose) {
        cli.info("dropping replication slot \"" + slot + "\"");
      }
      SqlText.validateSlotName(slot);
      return runSlotCommand(config, c -> c.dropSlot(slot, false), false);
    }
    if (createSlot) {
      // Set: --create-slot without --slot was refused above.
      String slot = Objects.requireNonNull(slotOption.slot);
      if (verboseOption.verbose) {
        cli.info("creating replication slot \"" + slot + "\"");
      }
      // pg_receivewal creates the slot without RESERVE_WAL (restart_lsn stays NULL until the
      // first stream).
      // Like pg_receivewal, --create-slot only creates the slot and exits.
      SqlText.validateSlotName(slot);
      return runSlotCommand(config, c -> c.createPhysicalSlot(slot, false, false), ifNotExists);
    }

    if (metricsAddress != null && metricsPort == null) {
      return usage("--metrics-address needs --metrics-port");
    }
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      cli.error("invalid metrics port \"" + metricsPort + "\"", null, null);
      return ExitCodes.ERROR;
    }
    // An empty -D is no directory (Path.of("") would be the current one): pg_receivewal's
    // opendir("") fails. Set: without -D only --create-slot and --drop-slot run, and they returned.
    Path dir = Objects.requireNonNull(directory);
    if (dir.toString().isEmpty() || !Files.isDirectory(dir)) {
      cli.error(
          "could not open directory \""
              + dir
              + "\": "
              + (!dir.toString().isEmpty() && Files.exists(dir)
                  ? "Not a directory"
                  : "No such file or directory"),
          null,
          null);
      return ExitCodes.ERROR;
    }

    Path locationDir = location == null ? null : location.directory();
    if (locationDir != null && ReceiveWalUploads.sameDirectory(locationDir, dir)) {
      return usage("--target must not be the -D directory");
    }
    ObjectStore store = null;
    if (location != null) {
      try {
        store = Stores.open(location, cli.env());
      } catch (IllegalArgumentException e) {
        return error(String.valueOf(e.getMessage()));
      }
    }
    try {
      return stream(clock, config, dir, compression, end, interval, backoffMax, store);
    } finally {
      if (store != null) {
        store.close();
      }
    }
  }

  /** Streams into {@code dir}, uploading to {@code store} when there is one. */
  private int stream(
      InstantSource clock,
      ConnectionConfig config,
      Path dir,
      Compression compression,
      @Nullable Lsn end,
      Duration interval,
      @Nullable Duration backoffMax,
      @Nullable ObjectStore store) {
    ReceiveWalUploads upload =
        store == null
            ? null
            : new ReceiveWalUploads(cli, store, dir, keepLocal, verboseOption.verbose, clock);
    ReceiveWalMessages messages =
        new ReceiveWalMessages(cli, verboseOption.verbose, noLoop, upload);
    ReceiveWalMetrics metrics = metricsPort == null ? null : new ReceiveWalMetrics(messages, clock);
    if (metrics != null && upload != null) {
      metrics.attach(upload.uploader());
    }
    ReceiverOptions receiverOptions =
        ReceiverOptions.defaults().toBuilder()
            .slotName(slotOption.slot)
            .statusInterval(interval)
            .synchronous(synchronous)
            .stopCondition(end == null ? StopCondition.onRequest() : StopCondition.atLsn(end))
            .loop(!noLoop)
            .reconnectBackoff(backoffMax)
            .createSlotIfMissing(createSlotIfMissing)
            .build();
    SyncPolicy syncPolicy = noSync ? SyncPolicy.NEVER : SyncPolicy.ON_REQUEST;
    Consumer<SegmentFileSink> onSinkOpened =
        sink -> {
          if (metrics != null) {
            metrics.attach(sink);
          }
          if (upload != null) {
            upload.resumeScanned();
          }
          if (verboseOption.verbose || metrics != null || upload != null) {
            sink.onSegmentCompleted(
                seg -> {
                  if (upload != null) {
                    upload.segmentCompleted();
                  }
                  if (metrics != null) {
                    metrics.segmentCompleted();
                  }
                  if (verboseOption.verbose) {
                    cli.info(
                        "finished segment at "
                            + seg.endLsn()
                            + " (timeline "
                            + seg.timeline()
                            + ")");
                  }
                });
          }
        };
    WalReceiver.Listener listener = metrics == null ? messages : metrics;
    WalReceiver receiver;
    if (ackAfterUpload && upload != null) {
      receiver =
          upload.ackingReceiver(
              config, receiverOptions, dir, syncPolicy, compression, onSinkOpened, listener, clock);
    } else {
      receiver =
          WalArchiver.builder(config)
              .options(receiverOptions)
              .target(dir)
              .sync(syncPolicy)
              .compression(compression)
              .onSinkOpened(onSinkOpened)
              .warnings(cli::warning)
              .listener(listener)
              .clock(clock)
              .build();
    }
    try {
      // metricsPort is set: the metrics exist only with --metrics-port.
      if (metrics != null
          && !metrics.serve(
              cli, metricsAddress, Objects.requireNonNull(metricsPort), verboseOption.verbose)) {
        return ExitCodes.ERROR;
      }
      Interrupts.onStop(receiver::requestStop);
      if (upload != null) {
        upload.start();
      }
      try {
        receiver.run();
      } catch (PgException e) {
        if (!noLoop || !endsStreamLog(e)) {
          throw e;
        }
        // pg_receivewal reports a failure of its streaming attempt, then, under --no-loop,
        // that it is disconnected.
        cli.error(null, e);
        cli.error("disconnected", null, null);
        return ExitCodes.forException(e);
      }
    } finally {
      if (upload != null) {
        upload.finish();
      }
      if (metrics != null) {
        metrics.close();
      }
    }
    return ExitCodes.OK;
  }

  /**
   * Whether pg_receivewal would meet {@code e} inside its streaming attempt (StreamLog), after
   * which it says "disconnected": a server error or a local one, but not a failure to connect,
   * which it meets first in its own initial connection, and not its own "disconnected".
   */
  private static boolean endsStreamLog(PgException e) {
    if (Objects.requireNonNull(e.getMessage()).equals("disconnected")) {
      return false;
    }
    return e.fromServer() || !e.sqlState().classCode().equals("08");
  }

  private int runSlotCommand(
      ConnectionConfig config, Consumer<ReplicationConnection> command, boolean tolerateExisting) {
    return SlotCommands.run(
        cli,
        config,
        command,
        tolerateExisting ? SqlState.DUPLICATE_OBJECT : null,
        verboseOption.verbose
            ? "replication slot \"" + slotOption.slot + "\" already exists"
            : null);
  }
}
