// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.SqlState;
import io.jwalreceiver.SqlText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
public final class CreateSlotCommand extends CliCommand {

  @Parameters(index = "0", paramLabel = "SLOTNAME", description = "name of the slot to create")
  String slotName;

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

  @Mixin VerboseOption verboseOption;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    SqlText.validateSlotName(slotName);
    if (verboseOption.verbose) {
      cli.info("creating replication slot \"" + slotName + "\"");
    }
    return SlotCommands.run(
        cli,
        connection.resolve(cli, Cli.PROGRAM),
        c -> c.createPhysicalSlot(slotName, false, reserveWal),
        ifNotExists ? SqlState.DUPLICATE_OBJECT : null,
        "replication slot \"" + slotName + "\" already exists");
  }
}
