// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.report;

import io.jwalreceiver.bench.report.SideBySideResults.Row;
import io.jwalreceiver.bench.report.SideBySideResults.Section;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Turns the raw results of {@code bench/side-by-side.sh} into PNG charts and the generated section
 * of {@code docs/benchmarks.md}.
 *
 * <pre>
 *   java -cp bench/target/benchmarks.jar io.jwalreceiver.bench.report.SideBySideReport \
 *       --results docs/benchmarks --doc docs/benchmarks.md
 * </pre>
 *
 * <p>It reads {@code side-by-side-<section>.csv/.properties} from the results directory (see {@link
 * SideBySideResults}), writes {@code side-by-side-ratios.png}, {@code side-by-side-throughput.png},
 * {@code side-by-side-cpu-per-gb.png}, {@code side-by-side-startup.png} and {@code
 * side-by-side-tps.png} next to them, and replaces the text between {@value #BEGIN} and {@value
 * #END} in the document (appending the section when the markers are missing, creating the document
 * when it does not exist). Everything outside the markers is kept. Ratios come first: time ratios
 * are PostgreSQL tool ÷ jwalreceiver, the TPS ratio is jwalreceiver ÷ pg_receivewal, so above 1.0
 * jwalreceiver is ahead in both. The per-tool tables of issue #19 (wall, client CPU, CPU per GB,
 * max RSS) give each tool's ratio the other way round, tool ÷ PostgreSQL tool, as the issue's
 * targets do, and the targets are checked against those numbers ({@link Issue19Tables}); the charts
 * are drawn by {@link SideBySideCharts}.
 */
public final class SideBySideReport {

  static final String BEGIN = "<!-- side-by-side:begin -->";
  static final String END = "<!-- side-by-side:end -->";

  /** One ratio of the report. */
  record Comparison(
      String label,
      String chartLabel,
      String section,
      String caseName,
      double ratio,
      String target) {}

  private final Path results;
  private final Path doc;
  private final Map<String, Section> sections;

  SideBySideReport(Path results, Path doc) throws IOException {
    this.results = results;
    this.doc = doc;
    this.sections = SideBySideResults.load(results);
  }

  /** {@code --results DIR --doc FILE}. */
  public static void main(String[] args) throws IOException {
    Path results = null;
    Path doc = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("--results") || a.equals("--doc")) && i + 1 < args.length) {
        Path p = Path.of(args[++i]);
        if (a.equals("--results")) {
          results = p;
        } else {
          doc = p;
        }
      } else {
        throw fail("unknown argument " + a + "; usage: SideBySideReport --results DIR --doc FILE");
      }
    }
    if (results == null || doc == null) {
      throw fail("usage: SideBySideReport --results DIR --doc FILE");
    }
    SideBySideReport report = new SideBySideReport(results, doc);
    if (report.sections.isEmpty()) {
      throw fail("no side-by-side-*.csv in " + results + ": run bench/side-by-side.sh first");
    }
    report.write();
    System.out.println("side-by-side: charts in " + results + ", section rewritten in " + doc);
  }

  /** Prints the error and exits 1; the exception it returns is never reached. */
  private static IllegalStateException fail(String message) {
    System.err.println("side-by-side report: error: " + message);
    System.exit(1);
    return new IllegalStateException(message);
  }

  /** Draws the charts and rewrites the generated section of the document. */
  void write() throws IOException {
    List<Comparison> comparisons = comparisons();
    List<String> charts = SideBySideCharts.draw(sections, comparisons, results);
    String section = markdown(comparisons, charts);
    String text =
        Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "# Benchmarks\n";
    Files.writeString(doc, splice(text, section), StandardCharsets.UTF_8);
  }

  /** {@code text} with the part between the markers (inclusive) replaced by {@code section}. */
  static String splice(String text, String section) {
    int begin = markerLine(text, BEGIN);
    int end = markerLine(text, END);
    if (begin >= 0 && end > begin) {
      return text.substring(0, begin) + section + text.substring(end + END.length());
    }
    if (begin >= 0 || end >= 0) {
      throw new IllegalArgumentException(
          "the document needs both "
              + BEGIN
              + " and "
              + END
              + ", in that order, on lines of their own");
    }
    return text + (text.endsWith("\n") ? "\n" : "\n\n") + section + "\n";
  }

  /** Where {@code marker} stands on a line of its own; -1 if nowhere; fails if twice. */
  private static int markerLine(String text, String marker) {
    int found = -1;
    for (int from = 0; (from = text.indexOf(marker, from)) >= 0; from += marker.length()) {
      boolean lineStart = from == 0 || text.charAt(from - 1) == '\n';
      int after = from + marker.length();
      boolean lineEnd = after == text.length() || text.charAt(after) == '\n';
      if (lineStart && lineEnd) {
        if (found >= 0) {
          throw new IllegalArgumentException("the document has " + marker + " twice");
        }
        found = from;
      }
    }
    return found;
  }

  List<Comparison> comparisons() {
    List<Comparison> list = new ArrayList<>();
    Section rw = sections.get("receivewal");
    if (rw != null) {
      for (String c : rw.cases()) {
        if (!rw.has(c, "pg") || !rw.has(c, "jwr")) {
          continue;
        }
        String mode = c.equals("synchronous") ? "--synchronous" : "default durability";
        list.add(
            new Comparison(
                "receivewal catch-up, " + mode,
                c.equals("synchronous") ? "receivewal --synchronous" : "receivewal",
                rw.name(),
                c,
                timeRatio(rw, c),
                ""));
      }
    }
    Section bb = sections.get("basebackup");
    if (bb != null) {
      for (String c : bb.cases()) {
        if (!bb.has(c, "pg") || !bb.has(c, "jwr")) {
          continue;
        }
        String target =
            switch (c) {
              case "plain" -> "≥ 1.0";
              case "tar-gzip" -> "≥ 1.8";
              default -> "";
            };
        list.add(
            new Comparison(
                "basebackup " + basebackupMode(c),
                "basebackup " + c,
                bb.name(),
                c,
                timeRatio(bb, c),
                target));
      }
    }
    Section ss = sections.get("syncstandby");
    if (ss != null && !ss.cases().isEmpty()) {
      String c = ss.cases().get(0);
      double ratio = ss.median(c, "jwr", Row::tps) / ss.median(c, "pg", Row::tps);
      list.add(
          new Comparison(
              "synchronous standby: pgbench TPS on the primary",
              "sync standby TPS",
              ss.name(),
              c,
              ratio,
              ""));
    }
    return list;
  }

  private static double timeRatio(Section s, String c) {
    return s.median(c, "pg", Row::wall) / s.median(c, "jwr", Row::wall);
  }

  private static String basebackupMode(String c) {
    return switch (c) {
      case "plain" -> "plain, -X stream";
      case "plain-N" -> "plain -N (no fsync), -X stream";
      case "tar" -> "tar, uncompressed, -X stream";
      case "ceiling" -> "send ceiling: pg_basebackup -Ft -D - -X fetch >/dev/null";
      case "cp-sync" -> "copy limit: cp -a of the data directory && sync";
      case "pgbackrest" -> "pgBackRest full backup";
      case "tar-gzip" -> "tar -z (client gzip), -X stream";
      case "tar-lz4" -> "tar --compress=client-lz4, -X stream";
      case "tar-zstd" -> "tar --compress=client-zstd, -X stream";
      default -> c;
    };
  }

  /** A table's name for a tool in a section. */
  static String toolName(String section, String tool) {
    String ours = section.equals("receivewal") ? "receivewal" : "basebackup";
    return switch (tool) {
      case "pg" -> section.equals("receivewal") ? "pg_receivewal" : "pg_basebackup";
      case "jwr" -> "jwalreceiver " + ours;
      case "jwr-before" -> "jwalreceiver " + ours + " (before)";
      case "ceiling" -> "send ceiling";
      case "cp-sync" -> "cp -a && sync";
      case "pgbackrest" -> "pgBackRest";
      default -> tool;
    };
  }

  static String startupLabel(String c) {
    return switch (c) {
      case "version" -> "--version";
      case "link-version" -> "pg_receivewal --version (link)";
      case "help" -> "--help";
      case "basebackup-help" -> "basebackup --help";
      default -> c;
    };
  }

  /** Median input bytes ÷ median wall time of a case and tool, MB/s (10^6 bytes per second). */
  static double megabytesPerSecond(Section s, String c, String tool) {
    return s.median(c, tool, Row::inputBytes) / 1e6 / s.median(c, tool, Row::wall);
  }

  // ---------------------------------------------------------------------------------------

  String markdown(List<Comparison> comparisons, List<String> charts) {
    StringBuilder md = new StringBuilder();
    md.append(BEGIN).append('\n');
    String dir = relative(results);
    md.append("<!-- Generated by bench/side-by-side.sh (SideBySideReport) from ")
        .append(dir.isEmpty() ? "" : dir + "/")
        .append("side-by-side-*.csv; edits between the markers are overwritten. -->\n\n");
    md.append("### Side-by-side results\n\n");
    boolean quick = sections.values().stream().anyMatch(Section::quick);
    if (quick) {
      md.append(
          "> **Smoke run (`--quick`), not a measurement**: small data, one run; these numbers\n"
              + "> only show that the script works.\n\n");
    }
    md.append(
        "Ratios first. A ratio above 1.0 means jwalreceiver is ahead: for times it is the\n"
            + "PostgreSQL tool's median wall time ÷ jwalreceiver's (JVM start-up included), for\n"
            + "the synchronous standby jwalreceiver's median TPS ÷ pg_receivewal's.\n\n");
    md.append("| comparison | ratio | target | runs |\n|---|---|---|---|\n");
    for (Comparison c : comparisons) {
      Section s = Objects.requireNonNull(sections.get(c.section()), c.section());
      md.append("| ")
          .append(c.label())
          .append(" | **")
          .append(fmt(c.ratio(), 2))
          .append("** | ")
          .append(c.target().isEmpty() ? "" : c.target())
          .append(" | ")
          .append(s.runs(c.caseName(), "jwr"))
          .append(" |\n");
    }
    md.append('\n');
    image(md, charts, "ratios", SideBySideCharts.RATIOS_PNG);
    Issue19Tables.targetTable(md, sections);
    for (String name : List.of("basebackup", "receivewal")) {
      Section s = sections.get(name);
      if (s != null) {
        Issue19Tables.toolTable(md, s);
      }
    }
    image(md, charts, "CPU per GB", SideBySideCharts.CPU_PNG);
    Section su = sections.get("startup");
    if (su != null) {
      Issue19Tables.startupTable(md, su);
      image(md, charts, "start-up", SideBySideCharts.STARTUP_PNG);
    }
    md.append("#### Absolute figures (medians)\n\n");
    Section rw = sections.get("receivewal");
    if (rw != null) {
      double bytes = rw.median(rw.cases().get(0), "pg", Row::inputBytes);
      md.append("receivewal, catch-up from a slot over ")
          .append(bytes(bytes))
          .append(" of WAL:\n\n");
      timeTable(
          md,
          rw,
          "pg_receivewal",
          "receivewal",
          "from \"starting log streaming\" s",
          (c, tool) -> fmt(rw.median(c, tool, Row::streaming), 3));
    }
    Section bb = sections.get("basebackup");
    if (bb != null) {
      md.append("basebackup of ")
          .append(dataset(bb.conditions()))
          .append(", plain backup ")
          .append(bytes(number(bb.conditions(), "backup_bytes")))
          .append("; MB/s are of the uncompressed backup:\n\n");
      timeTable(
          md,
          bb,
          "pg_basebackup",
          "basebackup",
          "output size",
          (c, tool) -> bytes(bb.median(c, tool, Row::outputBytes)));
    }
    image(md, charts, "throughput", SideBySideCharts.THROUGHPUT_PNG);
    Section ss = sections.get("syncstandby");
    if (ss != null && !ss.cases().isEmpty()) {
      String c = ss.cases().get(0);
      md.append("Synchronous standby: ")
          .append(ss.conditions().getProperty("pgbench", "pgbench"))
          .append(", scale ")
          .append(ss.conditions().getProperty("pgbench_scale", "?"))
          .append(":\n\n| synchronous standby | TPS |\n|---|---|\n");
      md.append("| none | ").append(fmt(ss.median(c, "none", Row::tps), 1)).append(" |\n");
      md.append("| pg_receivewal --synchronous | ")
          .append(fmt(ss.median(c, "pg", Row::tps), 1))
          .append(" |\n");
      md.append("| jwalreceiver receivewal --synchronous | ")
          .append(fmt(ss.median(c, "jwr", Row::tps), 1))
          .append(" |\n\n");
      image(md, charts, "TPS", SideBySideCharts.TPS_PNG);
    }
    md.append("#### Conditions\n\n");
    md.append("| | ");
    sections.keySet().forEach(n -> md.append(n).append(" | "));
    md.append("\n|---|");
    sections.keySet().forEach(n -> md.append("---|"));
    md.append('\n');
    condition(md, "measured", "date");
    condition(md, "command", "command");
    condition(md, "CPUs (nproc)", "nproc");
    condition(md, "CPU", "cpu");
    conditionRow(md, "memory", p -> fmt(number(p, "memory_kib") / (1024 * 1024), 1) + " GiB");
    condition(md, "disk (output directories)", "disk");
    condition(md, "kernel", "kernel");
    condition(md, "Java", "java");
    condition(md, "PostgreSQL", "server_version");
    conditionRow(
        md,
        "data",
        p ->
            p.containsKey("wal_bytes")
                ? bytes(number(p, "wal_bytes")) + " of WAL"
                : p.containsKey("backup_bytes")
                    ? dataset(p) + ", " + bytes(number(p, "backup_bytes")) + " plain backup"
                    : "pgbench scale " + p.getProperty("pgbench_scale", "?"));
    condition(md, "dataset", "dataset");
    condition(md, "runs per tool and case", "runs");
    condition(md, "jwalreceiver launcher", "jwalreceiver");
    condition(md, "pgBackRest", "pgbackrest");
    condition(md, "load average before", "load_before");
    condition(md, "load average after", "load_after");
    condition(md, "notes", "notes");
    md.append('\n').append(END);
    return md.toString();
  }

  /**
   * What the basebackup section backed up: issue #19's perf bar table ({@code --dataset perfbar},
   * property {@code perfbar_rows}) or a pgbench database (property {@code pgbench_scale}).
   */
  static String dataset(Properties p) {
    return p.containsKey("perfbar_rows")
        ? "the perf bar table (" + p.getProperty("perfbar_rows") + " rows of md5 + 200 bytes)"
        : "a pgbench database (scale " + p.getProperty("pgbench_scale", "?") + ")";
  }

  /** A table row of {@code cells}: {@code | a | b |} and a newline. */
  static void row(StringBuilder md, String... cells) {
    md.append("| ").append(String.join(" | ", cells)).append(" |\n");
  }

  /** Median wall time, MB/s and CPU per case and tool, plus one section-specific column. */
  private static void timeTable(
      StringBuilder md,
      Section s,
      String theirs,
      String command,
      String lastHeader,
      java.util.function.BiFunction<String, String, String> last) {
    md.append("| mode | tool | wall s | MB/s | CPU s (user+sys) | ")
        .append(lastHeader)
        .append(" |\n|---|---|---|---|---|---|\n");
    for (String c : s.cases()) {
      for (String tool : s.tools(c)) {
        row(
            md,
            c,
            switch (tool) {
              case "pg" -> theirs;
              case "jwr" -> "jwalreceiver " + command;
              default -> toolName(s.name(), tool);
            },
            fmt(s.median(c, tool, Row::wall), 3),
            fmt(megabytesPerSecond(s, c, tool), 1),
            fmt(s.median(c, tool, Row::cpu), 2),
            last.apply(c, tool));
      }
    }
    md.append('\n');
  }

  private void condition(StringBuilder md, String label, String key) {
    conditionRow(md, label, p -> p.getProperty(key, ""));
  }

  private void conditionRow(
      StringBuilder md, String label, java.util.function.Function<Properties, String> value) {
    md.append("| ").append(label).append(" | ");
    for (Section s : sections.values()) {
      md.append(cell(value.apply(s.conditions()))).append(" | ");
    }
    md.append('\n');
  }

  private static String cell(String s) {
    return s.replace("|", "\\|");
  }

  /** The chart's image and a blank line, when it was drawn. */
  private void image(StringBuilder md, List<String> charts, String alt, String png) {
    if (charts.contains(png)) {
      md.append("![")
          .append(alt)
          .append("](")
          .append(relative(results.resolve(png)))
          .append(")\n\n");
    }
  }

  /** {@code p} relative to the document's directory, with forward slashes. */
  private String relative(Path p) {
    Path base = Objects.requireNonNull(doc.toAbsolutePath().normalize().getParent(), "doc");
    Path target = p.toAbsolutePath().normalize();
    return base.relativize(target).toString().replace('\\', '/');
  }

  private static double number(Properties p, String key) {
    try {
      return Double.parseDouble(p.getProperty(key, ""));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  static String fmt(double v, int decimals) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "–";
  }

  /** Bytes in MB or GB (10^6, 10^9) with the exact count for large values. */
  static String bytes(double b) {
    if (!Double.isFinite(b)) {
      return "–";
    }
    if (b >= 1e9) {
      return String.format(Locale.ROOT, "%.2f GB", b / 1e9);
    }
    return String.format(Locale.ROOT, "%.0f MB", b / 1e6);
  }
}
