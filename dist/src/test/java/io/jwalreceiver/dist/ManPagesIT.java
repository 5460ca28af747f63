// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.cli.Main;
import io.jwalreceiver.cli.ToolName;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The staged man pages ({@code share/man/man1} of the release directory the package phase built):
 * one per command of the cli's tree and per PostgreSQL tool name, each rendered by man without a
 * warning, with its NAME, SYNOPSIS and options as the command line has them.
 */
class ManPagesIT {

  private static Path man1;
  private static Path pgMan1;

  @BeforeAll
  static void findStagedPages() throws IOException {
    man1 = stage().resolve("share/man/man1");
    pgMan1 = stage().resolve("pg-bin/man/man1");
    assertThat(man1).isDirectory();
    assertThat(pgMan1).isDirectory();
  }

  /** target/stage/jwalreceiver-VERSION, the one release directory of the package phase. */
  static Path stage() throws IOException {
    try (Stream<Path> dirs = Files.list(Path.of("target/stage"))) {
      List<Path> found =
          dirs.filter(d -> d.getFileName().toString().startsWith("jwalreceiver-")).toList();
      assertThat(found).as("staged release directories").hasSize(1);
      return found.get(0);
    }
  }

  /** The tree's commands that have a page, nested ones too (hidden ones have none). */
  private static List<CommandSpec> commands(CommandSpec spec) {
    List<CommandSpec> all = new ArrayList<>();
    if (!spec.usageMessage().hidden()) {
      all.add(spec);
      for (CommandLine sub : spec.subcommands().values()) {
        all.addAll(commands(sub.getCommandSpec()));
      }
    }
    return all;
  }

  private static List<CommandSpec> jwalreceiverCommands() {
    return commands(Main.commandTree(null, Map.of()).getCommandSpec());
  }

  private static CommandSpec toolCommand(ToolName tool) {
    return Main.commandTree(tool.programName(), Map.of()).getCommandSpec();
  }

  private static String pageName(CommandSpec spec) {
    return String.join("-", spec.qualifiedName().split(" "));
  }

  /** The page as man shows it on an 80-column terminal; no warning from man or groff. */
  private static String render(String page) {
    Path file = (page.startsWith("pg_") ? pgMan1 : man1).resolve(page + ".1");
    assertThat(file).isRegularFile();
    Tools.Result man =
        Tools.run(
            List.of(
                "env",
                "MANWIDTH=80",
                "LC_ALL=C.UTF-8",
                "man",
                "--warnings=all",
                "-l",
                file.toString()));
    assertThat(man.exitCode()).as(man.all()).isZero();
    assertThat(man.stderr()).as("man's warnings about %s", page).isEmpty();
    Tools.Result groff =
        Tools.run(List.of("groff", "-k", "-ww", "-man", "-Tutf8", "-z", file.toString()));
    assertThat(groff.exitCode()).as(groff.all()).isZero();
    assertThat(groff.stderr()).as("groff's warnings about %s", page).isEmpty();
    return man.stdout();
  }

  /** The text of a section (NAME, SYNOPSIS, OPTIONS, ...), its lines joined and spaces squeezed. */
  private static String section(String rendered, String heading) {
    Matcher m =
        Pattern.compile("(?ms)^" + Pattern.quote(heading) + "\\n(.*?)(?=^\\S|\\z)")
            .matcher(rendered);
    assertThat(m.find()).as("section %s in%n%s", heading, rendered).isTrue();
    return m.group(1).strip().replaceAll("\\s+", " ");
  }

  @Test
  void everyCommandHasAPageAndThereAreNoOthers() throws IOException {
    Set<String> expected = new TreeSet<>();
    for (CommandSpec spec : jwalreceiverCommands()) {
      expected.add(pageName(spec) + ".1");
    }
    for (ToolName tool : ToolName.values()) {
      expected.add(tool.programName() + ".1");
    }
    assertThat(expected)
        .contains(
            "jwalreceiver.1",
            "jwalreceiver-basebackup.1",
            "jwalreceiver-slot-create.1",
            "jwalreceiver-archive-cleanup.1",
            "pg_basebackup.1",
            "pg_receivewal.1");
    // Ours in share/man, the PostgreSQL-named ones beside the pg-bin links (pg-bin/man, where
    // man-db looks only for a user who put pg-bin on PATH).
    Set<String> staged = new TreeSet<>();
    try (Stream<Path> files = Files.list(man1)) {
      files.forEach(f -> staged.add(f.getFileName().toString()));
    }
    Set<String> pgStaged = new TreeSet<>();
    try (Stream<Path> files = Files.list(pgMan1)) {
      files.forEach(f -> pgStaged.add(f.getFileName().toString()));
    }
    assertThat(pgStaged).containsExactly("pg_basebackup.1", "pg_receivewal.1");
    staged.addAll(pgStaged);
    assertThat(staged).isEqualTo(expected);
  }

  @Test
  void eachJwalreceiverPageRendersWithItsNameSynopsisAndOptions() {
    for (CommandSpec spec : jwalreceiverCommands()) {
      String page = pageName(spec);
      String rendered = render(page);
      assertThat(section(rendered, "NAME"))
          .as(page)
          .startsWith(page + " - ")
          .hasSizeGreaterThan(page.length() + 10);
      String synopsis = section(rendered, "SYNOPSIS");
      assertThat(synopsis).as(page).startsWith(spec.qualifiedName() + " ");
      assertOptions(page, spec, rendered, synopsis);
      assertNoAsciidocMarkup(page, rendered);
      assertThat(section(rendered, "EXIT STATUS")).as(page).startsWith("0 Success");
      assertThat(section(rendered, "SEE ALSO")).as(page).contains("(1)");
    }
  }

  @Test
  void thePostgresqlNamedPagesUseThatNameAndSayWhatTheyAre() {
    for (ToolName tool : ToolName.values()) {
      String name = tool.programName();
      CommandSpec spec = toolCommand(tool);
      String rendered = render(name);
      assertThat(rendered).startsWith(name.toUpperCase(java.util.Locale.ROOT) + "(1)");
      assertThat(section(rendered, "NAME"))
          .startsWith(name + " - ")
          .doesNotContain("(" + name + ")");
      String synopsis = section(rendered, "SYNOPSIS");
      assertThat(synopsis).startsWith(name + " [");
      assertOptions(name, spec, rendered, synopsis);
      assertNoAsciidocMarkup(name, rendered);
      assertThat(rendered).doesNotContain("jwalreceiver basebackup", "jwalreceiver receivewal");
      assertThat(section(rendered, "NOTES"))
          .contains("This " + name + " is jwalreceiver")
          .contains("standing in for PostgreSQL");
      String command = spec.name().equals(name) ? commandOf(tool) : spec.name();
      assertThat(section(rendered, "SEE ALSO"))
          .isEqualTo("jwalreceiver(1), jwalreceiver-" + command + "(1)");
    }
  }

  /** The jwalreceiver command that runs under {@code tool}'s name. */
  private static String commandOf(ToolName tool) {
    Class<?> type = toolCommand(tool).userObject().getClass();
    for (CommandSpec spec : jwalreceiverCommands()) {
      if (spec.userObject().getClass() == type) {
        return spec.name();
      }
    }
    throw new AssertionError("no command for " + tool);
  }

  @Test
  void theKeyOptionsAreDescribed() {
    String basebackup = section(render("jwalreceiver-basebackup"), "OPTIONS");
    assertThat(basebackup)
        .contains("-X, --wal-method=none|fetch|stream include required WAL files")
        .contains("-D, --pgdata=DIRECTORY receive base backup into directory")
        .contains("-t, --target=TARGET[:DETAIL]");
    String receivewal = section(render("jwalreceiver-receivewal"), "OPTIONS");
    assertThat(receivewal).contains("-S, --slot=SLOTNAME").contains("--create-slot");
    assertThat(section(render("pg_basebackup"), "OPTIONS")).contains("--wal-method");
    assertThat(section(render("pg_receivewal"), "OPTIONS")).contains("--slot");
    assertThat(section(render("jwalreceiver"), "COMMANDS"))
        .contains("basebackup Takes a base backup")
        .contains("receivewal");
  }

  /**
   * Every visible option is in the OPTIONS section under all its names, and in the synopsis (with
   * its parameter label when it takes one, else in brackets or among the clustered short flags).
   */
  private static void assertOptions(
      String page, CommandSpec spec, String rendered, String synopsis) {
    String options = section(rendered, "OPTIONS");
    for (OptionSpec option : spec.options()) {
      if (option.hidden()) {
        continue;
      }
      List<String> names = new ArrayList<>();
      for (String name : option.names()) {
        // picocli shows a negatable option's two forms as one name.
        names.add(
            option.negatable() && name.startsWith("--") ? "--[no-]" + name.substring(2) : name);
      }
      assertThat(options).as(page).contains(String.join(", ", names));
      String shortest =
          names.stream().min(java.util.Comparator.comparingInt(String::length)).orElseThrow();
      if (option.arity().max() > 0) {
        String usage = shortest + "=" + option.paramLabel();
        assertThat(synopsis).as(page).contains(option.required() ? " " + usage : "[" + usage + "]");
      } else if (shortest.length() == 2) {
        assertThat(synopsis)
            .as(page)
            .containsPattern("\\[-[^ \\]=]*" + Pattern.quote(shortest.substring(1)));
      } else {
        assertThat(synopsis).as(page).contains("[" + shortest + "]");
      }
    }
  }

  /** What AsciiDoc or picocli markup would look like had it leaked into the page. */
  private static void assertNoAsciidocMarkup(String page, String rendered) {
    assertThat(rendered)
        .as(page)
        .doesNotContain("{startsb}", "{endsb}", "[%hardbreaks]", "xref:", "::", "// tag", "@|")
        .doesNotContainPattern("(^|\\s|\\[)[*_][-A-Za-z]")
        .doesNotContainPattern("[A-Za-z]_(\\s|$|\\])");
  }
}
