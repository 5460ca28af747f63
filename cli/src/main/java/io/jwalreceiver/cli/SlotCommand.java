// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jwalreceiver slot}: physical replication slot management. */
/** {@code jwalreceiver slot}: the parent of the slot create, drop and list commands. */
@Command(
    name = "slot",
    header = "Creates, drops and lists physical replication slots.",
    versionProvider = RootCommand.Version.class,
    usageHelpWidth = 95,
    description = {"Creates, drops and lists physical replication slots.", ""},
    subcommands = {CreateSlotCommand.class, DropSlotCommand.class, ListSlotsCommand.class})
public final class SlotCommand implements Runnable {

  @Mixin HelpOptions helpOptions;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
