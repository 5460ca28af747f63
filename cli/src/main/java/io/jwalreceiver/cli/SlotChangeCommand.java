// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.SqlState;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.session.ReplicationConnection;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * What {@code slot create} and {@code slot drop} share: the slot's name, {@code -v}, the connection
 * options, and one replication command on that slot, reported as the PostgreSQL tools report it.
 */
abstract class SlotChangeCommand extends CliCommand {

  @Parameters(
      index = "0",
      paramLabel = "SLOTNAME",
      description = "name of the slot to ${COMMAND-NAME}")
  String slotName;

  @Mixin VerboseOption verboseOption;

  @Mixin ConnectionOptions connection;

  /**
   * Checks the slot's name, says what it does with {@code -v}, and runs {@code command} ({@link
   * SlotCommands#run}).
   *
   * @param doing {@code creating} or {@code dropping}, for the {@code -v} line
   * @param tolerated the SQLSTATE the {@code --if-…} option makes harmless, or null
   * @param toleratedMessage the info line printed when that error happens
   */
  final int change(
      String doing,
      Consumer<ReplicationConnection> command,
      @Nullable SqlState tolerated,
      String toleratedMessage) {
    SqlText.validateSlotName(slotName);
    if (verboseOption.verbose) {
      cli.info(doing + " replication slot \"" + slotName + "\"");
    }
    return SlotCommands.run(
        cli, connection.resolve(cli, Cli.PROGRAM), command, tolerated, toleratedMessage);
  }
}
