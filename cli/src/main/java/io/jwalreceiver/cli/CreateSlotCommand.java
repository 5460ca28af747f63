// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.SqlState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jwalreceiver slot create NAME}: CREATE_REPLICATION_SLOT … PHYSICAL. */
/** {@code jwalreceiver slot create}: creates a physical replication slot. */
@Command(
    name = "create",
    header = "Creates a physical replication slot.",
    description = {
      "Creates a physical replication slot over a replication connection.",
      "Like pg_create_physical_replication_slot(name, true) by default: the slot reserves WAL",
      "at once, so nothing the standby or archiver needs is removed before it first connects.",
      ""
    })
public final class CreateSlotCommand extends SlotChangeCommand {

  @Option(names = "--if-not-exists", description = "do not error if the slot already exists")
  boolean ifNotExists;

  @Option(
      names = "--reserve-wal",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "reserve WAL immediately (default; --no-reserve-wal leaves restart_lsn"
              + " empty until a client streams, as pg_receivewal --create-slot does)")
  boolean reserveWal;

  @Override
  public Integer call() {
    return change(
        "creating",
        c -> c.createPhysicalSlot(slotName, false, reserveWal),
        ifNotExists ? SqlState.DUPLICATE_OBJECT : null,
        "replication slot \"" + slotName + "\" already exists");
  }
}
