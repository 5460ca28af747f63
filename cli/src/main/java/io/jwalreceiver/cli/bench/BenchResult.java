// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import io.jwalreceiver.Lsn;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** What every bench result reports, whatever it measured: the report's common fields. */
interface BenchResult {

  /** The server's version string. */
  String serverVersion();

  /** Where the measured WAL or backup started. */
  Lsn start();

  /** Where it ended. */
  Lsn end();

  /** A disk sink's directory, or null. */
  @Nullable Path directory();

  /** Whether what was written there was left. */
  boolean kept();
}
