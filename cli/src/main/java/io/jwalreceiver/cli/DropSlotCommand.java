// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.SqlState;
import io.jwalreceiver.SqlText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jwalreceiver slot drop NAME}: DROP_REPLICATION_SLOT. */
/** {@code jwalreceiver slot drop}: drops a physical replication slot. */
@Command(
    name = "drop",
    header = "Drops a physical replication slot.",
    description = {"Drops a physical replication slot over a replication connection.", ""})
public final class DropSlotCommand extends CliCommand {

  @Parameters(index = "0", paramLabel = "SLOTNAME", description = "name of the slot to drop")
  String slotName;

  @Option(names = "--if-exists", description = "do not error if the slot does not exist")
  boolean ifExists;

  @Option(
      names = "--wait",
      description = "if the slot is in use, wait until it is released instead of failing")
  boolean waitWhileActive;

  @Mixin VerboseOption verboseOption;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    SqlText.validateSlotName(slotName);
    if (verboseOption.verbose) {
      cli.info("dropping replication slot \"" + slotName + "\"");
    }
    return SlotCommands.run(
        cli,
        connection.resolve(cli, Cli.PROGRAM),
        c -> c.dropSlot(slotName, waitWhileActive),
        ifExists ? SqlState.UNDEFINED_OBJECT : null,
        "replication slot \"" + slotName + "\" does not exist, skipping");
  }
}
