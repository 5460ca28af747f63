// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.SqlState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jwalreceiver slot drop NAME}: DROP_REPLICATION_SLOT. */
/** {@code jwalreceiver slot drop}: drops a physical replication slot. */
@Command(
    name = "drop",
    header = "Drops a physical replication slot.",
    description = {"Drops a physical replication slot over a replication connection.", ""})
public final class DropSlotCommand extends SlotChangeCommand {

  @Option(names = "--if-exists", description = "do not error if the slot does not exist")
  boolean ifExists;

  @Option(
      names = "--wait",
      description = "if the slot is in use, wait until it is released instead of failing")
  boolean waitWhileActive;

  @Override
  public Integer call() {
    return change(
        "dropping",
        c -> c.dropSlot(slotName, waitWhileActive),
        ifExists ? SqlState.UNDEFINED_OBJECT : null,
        "replication slot \"" + slotName + "\" does not exist, skipping");
  }
}
