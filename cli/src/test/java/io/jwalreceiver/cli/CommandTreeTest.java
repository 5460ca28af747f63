// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * {@link Main#commandTree}: the whole tree the man pages and the completion are generated from, as
 * {@link Main#run} builds it.
 */
class CommandTreeTest {

  private static final Map<String, String> NO_ENV = Map.of();

  private static List<String> qualifiedNames(CommandLine cmd) {
    List<String> names = new ArrayList<>();
    names.add(cmd.getCommandSpec().qualifiedName());
    for (CommandLine sub : cmd.getSubcommands().values()) {
      names.addAll(qualifiedNames(sub));
    }
    return names;
  }

  @Test
  void jwalreceiverHasEveryCommandIncludingNestedOnes() {
    CommandLine tree = Main.commandTree(null, NO_ENV);
    assertThat(tree.getCommandName()).isEqualTo("jwalreceiver");
    assertThat(tree.getSubcommands()).hasSize(RootCommand.SUBCOMMANDS.size());
    assertThat(qualifiedNames(tree))
        .contains(
            "jwalreceiver basebackup",
            "jwalreceiver receivewal",
            "jwalreceiver slot create",
            "jwalreceiver archive cleanup",
            "jwalreceiver bench wal")
        .doesNotHaveDuplicates();
  }

  @Test
  void headersAreHiddenInEveryCommandsHelpAsInARun() {
    CommandLine tree = Main.commandTree(null, NO_ENV);
    CommandLine slot = tree.getSubcommands().get("slot");
    for (CommandLine c :
        List.of(
            tree,
            tree.getSubcommands().get("basebackup"),
            slot,
            slot.getSubcommands().get("create"))) {
      assertThat(c.getHelpSectionKeys())
          .doesNotContain(
              UsageMessageSpec.SECTION_KEY_HEADER, UsageMessageSpec.SECTION_KEY_HEADER_HEADING);
    }
    // The header stays in the model: it is the command's line in its parent's list.
    assertThat(tree.getSubcommands().get("basebackup").getCommandSpec().usageMessage().header())
        .isNotEmpty();
  }

  @Test
  void underAPostgresqlToolsNameTheTreeIsThatToolsCommandAlone() {
    for (ToolName tool : ToolName.values()) {
      CommandLine tree =
          Main.commandTree("/usr/lib/jwalreceiver/bin/" + tool.programName(), NO_ENV);
      assertThat(tree.getCommandName()).isEqualTo(tool.programName());
      assertThat(tree.getCommandSpec().userObject()).isInstanceOf(tool.command());
      assertThat(tree.getSubcommands()).isEmpty();
      assertThat(tree.getCommandSpec().version()).containsExactly(tool.versionLine());
    }
  }

  @Test
  void theTreeParsesWhatARunParses() {
    CommandLine tree = Main.commandTree(null, NO_ENV);
    CommandLine.ParseResult parsed =
        tree.parseArgs("basebackup", "-D", "/tmp/x", "-D", "/tmp/y", "--wal-method=stream");
    Object pgdata = parsed.subcommand().matchedOptionValue("-D", null);
    assertThat(String.valueOf(pgdata)).isEqualTo("/tmp/y");
  }
}
