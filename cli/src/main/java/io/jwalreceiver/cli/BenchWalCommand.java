// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.cli.bench.BenchReport;
import io.jwalreceiver.cli.bench.Quantities;
import io.jwalreceiver.cli.bench.SinkKind;
import io.jwalreceiver.cli.bench.WalBench;
import io.jwalreceiver.session.ConnectionConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jwalreceiver bench wal}: WAL streaming throughput and acknowledgement latency. */
/** {@code jwalreceiver bench wal}: measures WAL streaming throughput and ack latency. */
@Command(
    name = "wal",
    header = "Measures WAL streaming throughput (and ack latency) against a server.",
    description = {
      "Streams WAL from the server for a duration or a byte count into a sink that discards it",
      "or writes segment files with receivewal's fsync policy, and reports MB/s, messages/s, CPU",
      "seconds per GB and, with --synchronous, acknowledgement latency percentiles. Starting",
      "from an older position (-S, --start) measures catch-up throughput. A slot only supplies",
      "the start position: it is not used for streaming, advanced or marked active.",
      ""
    })
public final class BenchWalCommand extends BenchSubcommand {

  /** The run length when neither --duration nor --bytes is given. */
  static final Duration DEFAULT_DURATION = Duration.ofSeconds(10);

  @Option(
      names = {"-S", "--slot"},
      paramLabel = "SLOTNAME",
      description = "start at this physical slot's restart_lsn (the slot is left as it is)")
  @Nullable String slot;

  @Option(
      names = "--start",
      paramLabel = "LSN",
      description = "start at this WAL position (default: the server's current position)")
  @Nullable String start;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description = "stop after this long: 500ms, 30s, 5min, 1h (default 10s unless --bytes)")
  @Nullable String duration;

  @Option(
      names = "--bytes",
      paramLabel = "SIZE",
      description = "stop after this much WAL: 32MB, 1GB (1024-based, as in PostgreSQL)")
  @Nullable String bytes;

  @Option(
      names = "--sink",
      paramLabel = "discard|disk",
      description = "drop the WAL (default), or write segment files into -D with fsync")
  @Nullable String sink;

  @Option(
      names = {"-D", "--directory"},
      paramLabel = "DIR",
      description = "for --sink disk: a new or empty directory")
  @Nullable Path directory;

  @Option(
      names = "--keep",
      description = "leave the segment files in -D (default: remove what the bench created)")
  boolean keep;

  @Option(
      names = "--synchronous",
      description = {
        "flush and acknowledge every write, as receivewal --synchronous, and",
        "report acknowledgement latency percentiles (needs --sink disk)"
      })
  boolean synchronous;

  @Option(
      names = "--generate",
      description = {
        "make WAL on the server with pg_logical_emit_message",
        "(writes WAL on your server, creates no tables; a temporary",
        "slot holds it until streamed): with --bytes, all of it first,",
        "then streamed (catch-up); else during the run, at most 256 MB",
        "ahead of the receiver"
      })
  boolean generate;

  @Override
  public Integer call() {
    SinkKind kind = sinkKind(sink, directory, keep, null);
    if (kind == null) {
      return ExitCodes.USAGE;
    }
    if (synchronous && kind == SinkKind.DISCARD) {
      return usage("--synchronous needs --sink disk: the discard sink never flushes");
    }
    if (slot != null && start != null) {
      return usage("cannot use --slot together with --start");
    }
    Lsn startLsn = null;
    if (start != null) {
      try {
        startLsn = Lsn.parse(start);
      } catch (PgException e) {
        return usage("could not parse start position \"" + start + "\"");
      }
    }
    Duration runFor = null;
    if (duration != null) {
      runFor = Quantities.parseDuration(duration);
      if (runFor == null) {
        return usage("invalid duration \"" + duration + "\"");
      }
    }
    long byteCount = 0;
    if (bytes != null) {
      byteCount = Quantities.parseBytes(bytes);
      if (byteCount < 0) {
        return usage("invalid size \"" + bytes + "\"");
      }
    }
    if (runFor == null && byteCount == 0) {
      runFor = DEFAULT_DURATION;
    }

    ConnectionConfig config = connection.resolve(cli, BenchCommand.FALLBACK_APPLICATION_NAME);
    ConnectionConfig sql = connection.resolveSql(cli, BenchCommand.FALLBACK_APPLICATION_NAME);
    WalBench bench =
        new WalBench(
            new WalBench.Settings(
                config,
                sql,
                slot,
                startLsn,
                runFor,
                byteCount,
                kind,
                directory == null ? null : directory.toAbsolutePath(),
                keep,
                synchronous,
                generate),
            cli::notice);
    Interrupts.onStop(bench::stop);
    if (generate && byteCount > 0) {
      cli.info(
          "bench wal: making " + bytes + " of WAL on the server, then streaming it (catch-up)");
    }
    WalBench.Result result = measure("bench wal", bench);
    if (result == null) {
      return ExitCodes.ERROR;
    }
    if (result.bytes() == 0) {
      cli.warning("no WAL arrived during the run");
      cli.err()
          .println(
              cli.program()
                  + ": hint: Use --generate, or start from an older position"
                  + " with -S or --start.");
    }
    BenchReport.WalLabels labels = new BenchReport.WalLabels(kind.label(), synchronous);
    return report(BenchReport.wal(result, labels, jsonOption.json));
  }
}
