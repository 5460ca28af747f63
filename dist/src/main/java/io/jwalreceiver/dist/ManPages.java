// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import io.jwalreceiver.cli.Cli;
import io.jwalreceiver.cli.ExitCodes;
import io.jwalreceiver.cli.Main;
import io.jwalreceiver.cli.ToolName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.asciidoctor.Asciidoctor;
import org.asciidoctor.Attributes;
import org.asciidoctor.Options;
import org.asciidoctor.SafeMode;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes the man pages' AsciiDoc with picocli's {@link ManPageGenerator}: one page per command of
 * {@code jwalreceiver}'s tree ({@code jwalreceiver.adoc}, {@code jwalreceiver-basebackup.adoc},
 * {@code jwalreceiver-slot-create.adoc}, …) and one per PostgreSQL tool name ({@code
 * pg_basebackup.adoc}, {@code pg_receivewal.adoc}) from the tree {@link Main#commandTree} builds
 * under that name; {@link #render} turns them into section 1 pages with Asciidoctor's manpage
 * backend.
 *
 * <p>The pages say what {@code --help} says, plus what a man page has and the help does not: an
 * EXIT STATUS section, the notes of a command's footer, a SEE ALSO section, and on the
 * PostgreSQL-named pages a note that this is jwalreceiver standing in for the PostgreSQL tool. They
 * are added to the model's usage message (of a tree built for this alone), so the help is
 * unchanged.
 *
 * <p>{@code java io.jwalreceiver.dist.ManPages ADOC_DIR MAN1_DIR PG_MAN1_DIR}
 */
public final class ManPages {

  private ManPages() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: ManPages ADOC_DIR MAN1_DIR PG_MAN1_DIR");
    }
    List<Path> sources = write(Path.of(args[0]));
    // The PostgreSQL-named pages go apart from ours: man-db derives its search path from PATH
    // (DIR/man, DIR/../share/man), so they are found only by a user who put the pg-bin links on
    // PATH, and never shadow PostgreSQL's own pages for a user who put jwalreceiver's bin there.
    List<Path> ours = new java.util.ArrayList<>();
    List<Path> pgNamed = new java.util.ArrayList<>();
    for (Path source : sources) {
      (source.getFileName().toString().startsWith("pg_") ? pgNamed : ours).add(source);
    }
    render(ours, Path.of(args[1]));
    render(pgNamed, Path.of(args[2]));
    System.out.println(
        ours.size() + " man pages in " + args[1] + ", " + pgNamed.size() + " in " + args[2]);
  }

  /**
   * Converts the AsciiDoc pages into roff with Asciidoctor's manpage backend: {@code NAME.adoc}
   * becomes {@code man1Dir/NAME.1}. The manual's name and the source are set here, over what
   * picocli writes (the root command's name capitalised, and the {@code --version} line, which for
   * the PostgreSQL-named pages is the PostgreSQL version).
   */
  public static void render(List<Path> sources, Path man1Dir) throws IOException {
    Files.createDirectories(man1Dir);
    Options options =
        Options.builder()
            .backend("manpage")
            .docType("manpage")
            .standalone(true)
            .safe(SafeMode.UNSAFE)
            .toDir(man1Dir.toFile())
            .mkDirs(true)
            .attributes(
                Attributes.builder()
                    .attribute("manmanual", Cli.PROGRAM + " Manual")
                    .attribute("mansource", Cli.PROGRAM + " " + Cli.version())
                    .build())
            .build();
    try (Asciidoctor asciidoctor = Asciidoctor.Factory.create()) {
      for (Path source : sources) {
        asciidoctor.convertFile(source.toFile(), options);
      }
    }
  }

  /** The name of a command's page, without the section suffix: {@code jwalreceiver-slot-create}. */
  public static String pageName(CommandSpec spec) {
    return spec.qualifiedName("-");
  }

  /**
   * The commands that get a page, in the order of the help: {@code tree} and its subcommands,
   * nested ones too, each once; hidden commands have none.
   */
  public static List<CommandSpec> documented(CommandLine tree) {
    Map<String, CommandSpec> byName = new LinkedHashMap<>();
    collect(tree.getCommandSpec(), byName);
    return List.copyOf(byName.values());
  }

  private static void collect(CommandSpec spec, Map<String, CommandSpec> into) {
    if (spec.usageMessage().hidden()) {
      return;
    }
    into.putIfAbsent(pageName(spec), spec);
    for (CommandLine sub : spec.subcommands().values()) {
      collect(sub.getCommandSpec(), into);
    }
  }

  /**
   * Writes every page's AsciiDoc into {@code dir}: {@code jwalreceiver}'s tree and the PostgreSQL
   * tools' pages.
   *
   * @return the files written
   */
  public static List<Path> write(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    CommandLine tree = Main.commandTree(null, Map.of());
    List<CommandSpec> all = documented(tree);
    for (CommandSpec spec : all) {
      written.add(writePage(dir, spec, seeAlso(spec, all)));
    }
    for (ToolName tool : ToolName.values()) {
      CommandSpec spec = Main.commandTree(tool.programName(), Map.of()).getCommandSpec();
      String jwalreceiverPage = Cli.PROGRAM + "-" + commandName(tool, tree);
      // "Takes a base backup of a running server (pg_basebackup)." says its own name here.
      String[] header = spec.usageMessage().header();
      for (int i = 0; i < header.length; i++) {
        header[i] = header[i].replace(" (" + tool.programName() + ")", "");
      }
      spec.usageMessage()
          .header(header)
          .footerHeading("Notes")
          .footer(
              "This "
                  + tool.programName()
                  + " is jwalreceiver, a pure-Java PostgreSQL replication client, standing in for"
                  + " PostgreSQL's own "
                  + tool.programName()
                  + " when it is run through a link of that name (the pg-bin directory of the"
                  + " release, or /usr/lib/jwalreceiver/bin of the Debian package). It takes "
                  + tool.programName()
                  + "'s options and prints its messages, and reports "
                  + tool.programName()
                  + " (PostgreSQL) "
                  + ToolName.POSTGRESQL_VERSION
                  + " as its version, so that scripts and Barman can use it as they use the"
                  + " PostgreSQL tool. It is the same command as "
                  + jwalreceiverPage
                  + "(1).");
      written.add(writePage(dir, spec, List.of(Cli.PROGRAM + "(1)", jwalreceiverPage + "(1)")));
    }
    return written;
  }

  /** The subcommand of {@code tree} that runs under {@code tool}'s name: {@code basebackup}. */
  private static String commandName(ToolName tool, CommandLine tree) {
    Class<?> type =
        Main.commandTree(tool.programName(), Map.of()).getCommandSpec().userObject().getClass();
    for (CommandLine sub : tree.getSubcommands().values()) {
      if (sub.getCommandSpec().userObject().getClass() == type) {
        return sub.getCommandName();
      }
    }
    throw new IllegalStateException("no jwalreceiver command runs as " + tool.programName());
  }

  /**
   * The pages a page refers to: the root's lists every other page; a command's lists the root, its
   * parent and its own subcommands, and the PostgreSQL-named page of the command it runs as.
   */
  private static List<String> seeAlso(CommandSpec spec, List<CommandSpec> all) {
    List<String> refs = new ArrayList<>();
    if (spec.parent() == null) {
      for (CommandSpec other : all) {
        if (other != spec) {
          refs.add(pageName(other) + "(1)");
        }
      }
      for (ToolName tool : ToolName.values()) {
        refs.add(tool.programName() + "(1)");
      }
      return refs;
    }
    refs.add(pageName(spec.root()) + "(1)");
    CommandSpec parent = spec.parent();
    if (parent != null && parent.parent() != null) {
      refs.add(pageName(parent) + "(1)");
    }
    for (CommandLine sub : spec.subcommands().values()) {
      if (!sub.getCommandSpec().usageMessage().hidden()) {
        refs.add(pageName(sub.getCommandSpec()) + "(1)");
      }
    }
    for (ToolName tool : ToolName.values()) {
      CommandSpec toolSpec = Main.commandTree(tool.programName(), Map.of()).getCommandSpec();
      if (toolSpec.userObject().getClass() == spec.userObject().getClass()) {
        refs.add(tool.programName() + "(1)");
      }
    }
    return refs;
  }

  private static Path writePage(Path dir, CommandSpec spec, List<String> seeAlso)
      throws IOException {
    addExitStatus(spec);
    if (spec.usageMessage().footer().length > 0 && spec.usageMessage().footerHeading().isEmpty()) {
      spec.usageMessage().footerHeading("Notes");
    }
    spec.usageMessage().footer(paragraphs(spec.usageMessage().footer()));
    // The synopsis on one line: man reflows it, where picocli's wrapping breaks inside a label
    // (SHA{224,...}) and AsciiDoc would keep the break.
    spec.usageMessage().width(SYNOPSIS_WIDTH);
    rewriteOptions(spec);
    Path page = dir.resolve(pageName(spec) + ".adoc");
    try (PrintWriter pw = new PrintWriter(Files.newBufferedWriter(page, StandardCharsets.UTF_8))) {
      ManPageGenerator.writeSingleManPage(pw, spec);
      pw.println("== See also");
      pw.println();
      pw.println(String.join(", ", seeAlso.stream().map(ManPages::bold).toList()));
    }
    return page;
  }

  /** {@code name(1)} as a reference to a page is written in man pages: the name in bold. */
  private static String bold(String reference) {
    int paren = reference.indexOf('(');
    return "*" + reference.substring(0, paren) + "*" + reference.substring(paren);
  }

  /** Every command exits as the PostgreSQL tools do ({@link ExitCodes}). */
  private static void addExitStatus(CommandSpec spec) {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put(
        String.valueOf(ExitCodes.OK),
        "Success (for a command that runs until it is stopped, also a stop by SIGINT or SIGTERM).");
    codes.put(
        String.valueOf(ExitCodes.ERROR),
        "Any error: a mistake on the command line, a failed connection, an error from the server,"
            + " a local I/O error.");
    spec.usageMessage().exitCodeListHeading("Exit status").exitCodeList(codes);
  }

  /**
   * A footer's lines as paragraphs: the help breaks its prose into lines that fit the terminal,
   * which the page would keep (picocli writes the footer with hard line breaks) where man fills the
   * lines itself. Consecutive lines are joined; blank lines separate paragraphs.
   */
  private static String[] paragraphs(String[] lines) {
    List<String> paragraphs = new ArrayList<>();
    StringBuilder paragraph = new StringBuilder();
    for (String line : lines) {
      if (line.isBlank()) {
        if (paragraph.length() > 0) {
          paragraphs.add(paragraph.toString());
          paragraphs.add("");
          paragraph.setLength(0);
        }
      } else {
        if (paragraph.length() > 0) {
          paragraph.append(' ');
        }
        paragraph.append(line.strip());
      }
    }
    if (paragraph.length() > 0) {
      paragraphs.add(paragraph.toString());
    } else if (!paragraphs.isEmpty()) {
      paragraphs.remove(paragraphs.size() - 1);
    }
    return paragraphs.toArray(new String[0]);
  }

  /**
   * Replaces each option by a copy written for the page.
   *
   * <ul>
   *   <li>Square brackets in its parameter label ({@code TARGET[:DETAIL]}) are spelled as
   *       AsciiDoc's {@code {startsb}} and {@code {endsb}}: picocli writes the label in italics
   *       ({@code _TARGET[:DETAIL]_}) and AsciiDoc read the brackets as an italic span's attribute
   *       list, which swallowed options of the synopsis. Attributes are substituted after the
   *       italics are.
   *   <li>Its description's lines are joined where the help only broke a sentence to fit the
   *       terminal (a line that does not end in {@code ;} or {@code :}), as picocli writes each
   *       line as a paragraph of its own.
   * </ul>
   */
  private static void rewriteOptions(CommandSpec spec) {
    for (OptionSpec option : List.copyOf(spec.options())) {
      String label = option.paramLabel();
      String escaped = label.replace("[", "{startsb}").replace("]", "{endsb}");
      String[] description = option.description();
      String[] joined = joinBrokenLines(description);
      if (!escaped.equals(label) || joined.length != description.length) {
        spec.remove(option);
        spec.addOption(option.toBuilder().paramLabel(escaped).description(joined).build());
      }
    }
  }

  private static String[] joinBrokenLines(String[] lines) {
    List<String> joined = new ArrayList<>();
    for (String line : lines) {
      int last = joined.size() - 1;
      if (last >= 0
          && !line.isBlank()
          && !joined.get(last).isBlank()
          && !joined.get(last).stripTrailing().endsWith(";")
          && !joined.get(last).stripTrailing().endsWith(":")) {
        joined.set(last, joined.get(last).stripTrailing() + " " + line.strip());
      } else {
        joined.add(line);
      }
    }
    return joined.toArray(new String[0]);
  }

  /** Wide enough for any command's synopsis on one line. */
  private static final int SYNOPSIS_WIDTH = 10_000;
}
