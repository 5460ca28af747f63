// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.cli.bench.Measured;
import io.jwalreceiver.cli.bench.ProgressLine;
import io.jwalreceiver.cli.bench.SinkKind;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;

/**
 * What {@code bench wal} and {@code bench basebackup} share: {@code --json}, the connection
 * options, the {@code --sink} checks, the progress line around the run, and the report on stdout.
 */
abstract class BenchSubcommand extends CliCommand {

  @Mixin JsonOption jsonOption;

  @Mixin ConnectionOptions connection;

  /**
   * The {@code --sink} value, checked against the options that only a disk sink takes.
   *
   * @param directory {@code -D}, which {@code --sink disk} needs and {@code discard} refuses
   * @param keep {@code --keep}, refused without {@code --sink disk}
   * @param otherDiskOnly another disk-only option that was given ({@code -F}), or null
   * @return the kind, or null once the usage error is printed
   */
  final @Nullable SinkKind sinkKind(
      @Nullable String sink,
      @Nullable Path directory,
      boolean keep,
      @Nullable String otherDiskOnly) {
    SinkKind kind = SinkKind.parse(sink);
    if (kind == null) {
      usage(SinkKind.invalid(sink));
      return null;
    }
    if (kind == SinkKind.DISK && directory == null) {
      usage("--sink disk needs a directory (-D)");
      return null;
    }
    String diskOnly = directory != null ? "-D" : keep ? "--keep" : otherDiskOnly;
    if (kind == SinkKind.DISCARD && diskOnly != null) {
      usage(diskOnly + " can only be used with --sink disk");
      return null;
    }
    return kind;
  }

  /** Runs {@code bench} under a progress line on stderr; null once its failure is printed. */
  final <R> @Nullable R measure(String label, Measured<R> bench) {
    try {
      return ProgressLine.around(
          cli.err(),
          label,
          bench::bytesSoFar,
          bench::secondsSoFar,
          Terminal.interactive(),
          bench::run);
    } catch (PgException e) {
      cli.error(null, e);
      return null;
    }
  }

  /** Prints the report on stdout; the exit code of a completed run. */
  final int report(String report) {
    cli.out().print(report);
    cli.out().flush();
    return ExitCodes.OK;
  }
}
