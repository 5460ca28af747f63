// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** {@code -S/--slot}, as pg_basebackup and pg_receivewal spell it: a picocli mixin. */
public final class SlotOption {

  @Option(
      names = {"-S", "--slot"},
      paramLabel = "SLOTNAME",
      description = "replication slot to use")
  @Nullable String slot;
}
