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
import org.jfree.data.category.DefaultCategoryDataset;
import org.jspecify.annotations.Nullable;

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
 * targets do, and the targets are checked against those numbers ({@link #targets()}).
 */
public final class SideBySideReport {

  static final String BEGIN = "<!-- side-by-side:begin -->";
  static final String END = "<!-- side-by-side:end -->";

  static final String RATIOS_PNG = "side-by-side-ratios.png";
  static final String THROUGHPUT_PNG = "side-by-side-throughput.png";
  static final String TPS_PNG = "side-by-side-tps.png";
  static final String CPU_PNG = "side-by-side-cpu-per-gb.png";
  static final String STARTUP_PNG = "side-by-side-startup.png";

  /** Issue #19's ceiling for the short commands' median wall time, seconds. */
  static final double STARTUP_TARGET_S = 0.15;

  /** Issue #19's ceiling for the max RSS of plain basebackup and receivewal, MiB. */
  static final double RSS_TARGET_MIB = 64;

  /**
   * One of issue #19's targets: what it asks, the value measured for jwalreceiver (and for
   * jwr-before, NaN without it), and whether the measured value meets it.
   */
  record Target(String what, String goal, double value, double before, String unit, Verdict met) {}

  /** A target's verdict. */
  enum Verdict {
    MET,
    NOT_MET,
    NOT_MEASURED;

    static Verdict of(double value, boolean met) {
      return !Double.isFinite(value) ? NOT_MEASURED : met ? MET : NOT_MET;
    }
  }

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
    List<String> charts = charts(comparisons);
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
      case "pgbackrest" -> "pgBackRest full backup";
      case "tar-gzip" -> "tar -z (client gzip), -X stream";
      case "tar-lz4" -> "tar --compress=client-lz4, -X stream";
      case "tar-zstd" -> "tar --compress=client-zstd, -X stream";
      default -> c;
    };
  }

  /** Draws the charts that have data; returns their file names. */
  List<String> charts(List<Comparison> comparisons) throws IOException {
    List<String> drawn = new ArrayList<>();
    DefaultCategoryDataset ratios = new DefaultCategoryDataset();
    for (Comparison c : comparisons) {
      if (Double.isFinite(c.ratio())) {
        ratios.addValue(c.ratio(), "ratio", c.chartLabel());
      }
    }
    if (ratios.getColumnCount() > 0) {
      SideBySideCharts.ratios(ratios, results.resolve(RATIOS_PNG));
      drawn.add(RATIOS_PNG);
    }
    DefaultCategoryDataset mbs = new DefaultCategoryDataset();
    for (String name : List.of("receivewal", "basebackup")) {
      Section s = sections.get(name);
      if (s == null) {
        continue;
      }
      for (String c : s.cases()) {
        String label = name + " " + c;
        for (String tool : s.tools(c)) {
          mbs.addValue(megabytesPerSecond(s, c, tool), series(tool), label);
        }
      }
    }
    if (mbs.getColumnCount() > 0) {
      SideBySideCharts.grouped(
          "Throughput, median wall time including start-up",
          "MB/s (10^6 bytes per second)",
          "0",
          mbs,
          results.resolve(THROUGHPUT_PNG));
      drawn.add(THROUGHPUT_PNG);
    }
    DefaultCategoryDataset cpu = new DefaultCategoryDataset();
    for (String name : List.of("receivewal", "basebackup")) {
      Section s = sections.get(name);
      if (s == null) {
        continue;
      }
      for (String c : s.cases()) {
        for (String tool : s.tools(c)) {
          double v = s.median(c, tool, Row::cpuPerGb);
          if (Double.isFinite(v)) {
            cpu.addValue(v, series(tool), name.equals("receivewal") ? "WAL " + c : c);
          }
        }
      }
    }
    if (cpu.getColumnCount() > 0) {
      SideBySideCharts.grouped(
          "Client CPU (user+sys) per GB, median; lower is better",
          "CPU seconds per GB (10^9 bytes)",
          "0.00",
          cpu,
          results.resolve(CPU_PNG));
      drawn.add(CPU_PNG);
    }
    Section su = sections.get("startup");
    if (su != null && !su.cases().isEmpty()) {
      DefaultCategoryDataset wall = new DefaultCategoryDataset();
      for (String c : su.cases()) {
        for (String tool : su.tools(c)) {
          wall.addValue(su.median(c, tool, Row::wall), series(tool), startupLabel(c));
        }
      }
      SideBySideCharts.grouped(
          "Short commands: median wall time, JVM start-up included",
          "seconds",
          "0.000",
          wall,
          results.resolve(STARTUP_PNG));
      drawn.add(STARTUP_PNG);
    }
    Section ss = sections.get("syncstandby");
    if (ss != null && !ss.cases().isEmpty()) {
      String c = ss.cases().get(0);
      DefaultCategoryDataset tps = new DefaultCategoryDataset();
      tps.addValue(ss.median(c, "none", Row::tps), "TPS", "no synchronous standby");
      tps.addValue(ss.median(c, "pg", Row::tps), "TPS", "pg_receivewal --synchronous");
      tps.addValue(ss.median(c, "jwr", Row::tps), "TPS", "jwalreceiver --synchronous");
      SideBySideCharts.grouped(
          "pgbench on the primary, synchronous_commit=on, by synchronous standby",
          "TPS",
          "0",
          tps,
          results.resolve(TPS_PNG));
      drawn.add(TPS_PNG);
    }
    return drawn;
  }

  /** A chart's series name for a tool. */
  static String series(String tool) {
    return switch (tool) {
      case "pg" -> "PostgreSQL tool (pg_receivewal, pg_basebackup)";
      case "jwr" -> "jwalreceiver";
      case "jwr-before" -> "jwalreceiver (before)";
      case "ceiling" -> "send ceiling (pg_basebackup to /dev/null)";
      case "pgbackrest" -> "pgBackRest";
      default -> tool;
    };
  }

  /** A table's name for a tool in a section. */
  private static String toolName(String section, String tool) {
    String ours = section.equals("receivewal") ? "receivewal" : "basebackup";
    return switch (tool) {
      case "pg" -> section.equals("receivewal") ? "pg_receivewal" : "pg_basebackup";
      case "jwr" -> "jwalreceiver " + ours;
      case "jwr-before" -> "jwalreceiver " + ours + " (before)";
      case "ceiling" -> "send ceiling";
      case "pgbackrest" -> "pgBackRest";
      default -> tool;
    };
  }

  private static String startupLabel(String c) {
    return switch (c) {
      case "version" -> "--version";
      case "link-version" -> "pg_receivewal --version (link)";
      case "help" -> "--help";
      case "basebackup-help" -> "basebackup --help";
      default -> c;
    };
  }

  /** The case whose {@code pg} runs a case's ratios are taken against. */
  private static String referenceCase(Section s, String c) {
    if (s.has(c, "pg")) {
      return c;
    }
    return s.cases().stream().filter(x -> s.has(x, "pg")).findFirst().orElse(c);
  }

  /** Median of a tool's metric ÷ the median of the reference's (pg in the reference case). */
  static double versusPg(Section s, String c, String tool, SideBySideResults.Metric metric) {
    String ref = referenceCase(s, c);
    return s.median(c, tool, metric) / s.median(ref, "pg", metric);
  }

  /** Issue #19's targets, each checked against this run's numbers. */
  List<Target> targets() {
    List<Target> list = new ArrayList<>();
    Section bb = sections.get("basebackup");
    Section rw = sections.get("receivewal");
    Section su = sections.get("startup");
    for (String c : List.of("plain", "plain-N", "tar")) {
      versusPgTarget(
          list, bb, c, "client CPU per GB, basebackup " + c + ", ÷ pg_basebackup's", Row::cpuPerGb);
    }
    versusPgTarget(
        list,
        rw,
        "default",
        "client CPU per GB, receivewal catch-up, ÷ pg_receivewal's",
        Row::cpuPerGb);
    if (bb != null && bb.has("plain", "jwr") && bb.has("ceiling", "ceiling")) {
      double ceiling = bb.median("ceiling", "ceiling", Row::wall);
      list.add(
          atMost(
              "plain with fsync, wall ÷ the server send ceiling's",
              1.25,
              bb.median("plain", "jwr", Row::wall) / ceiling,
              bb.median("plain", "jwr-before", Row::wall) / ceiling,
              "×"));
    }
    versusPgTarget(list, bb, "plain-N", "plain -N, wall ÷ pg_basebackup -N's", Row::wall);
    if (rw != null && rw.has("default", "pg") && rw.has("default", "jwr")) {
      double pg = rw.median("default", "pg", Row::wall);
      double ours = pg / rw.median("default", "jwr", Row::wall);
      list.add(
          new Target(
              "receivewal catch-up with fsync, speed ÷ pg_receivewal's (its wall ÷ ours)",
              "≥ 1.15×",
              ours,
              pg / rw.median("default", "jwr-before", Row::wall),
              "×",
              Verdict.of(ours, ours >= 1.15)));
    }
    for (String c : List.of("version", "link-version")) {
      if (su != null && su.has(c, "jwr")) {
        list.add(
            atMost(
                startupLabel(c) + ", median wall",
                STARTUP_TARGET_S,
                su.median(c, "jwr", Row::wall),
                su.median(c, "jwr-before", Row::wall),
                "s"));
      }
    }
    rssTarget(list, bb, "plain", "max RSS, plain basebackup (largest run)");
    rssTarget(list, rw, "default", "max RSS, receivewal (largest run)");
    return list;
  }

  /** Adds "jwr's METRIC ÷ pg's ≤ 1.0" for case C of S, when both ran. */
  private static void versusPgTarget(
      List<Target> list,
      @Nullable Section s,
      String c,
      String what,
      SideBySideResults.Metric metric) {
    if (s != null && s.has(c, "pg") && s.has(c, "jwr")) {
      list.add(
          atMost(
              what, 1.0, versusPg(s, c, "jwr", metric), versusPg(s, c, "jwr-before", metric), "×"));
    }
  }

  /** Adds "jwr's largest max RSS ≤ 64 MiB" for case C of S, when it ran. */
  private static void rssTarget(List<Target> list, @Nullable Section s, String c, String what) {
    if (s != null && s.has(c, "jwr")) {
      list.add(
          atMost(
              what,
              RSS_TARGET_MIB,
              s.max(c, "jwr", Row::maxRssMib),
              s.max(c, "jwr-before", Row::maxRssMib),
              "MiB"));
    }
  }

  private static Target atMost(
      String what, double limit, double value, double before, String unit) {
    String goal =
        "≤ "
            + (unit.equals("×")
                ? fmt(limit, 2) + "×"
                : fmt(limit, unit.equals("s") ? 2 : 0) + " " + unit);
    return new Target(what, goal, value, before, unit, Verdict.of(value, value <= limit));
  }

  private static double megabytesPerSecond(Section s, String c, String tool) {
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
    if (charts.contains(RATIOS_PNG)) {
      md.append(image("ratios", RATIOS_PNG)).append("\n\n");
    }
    targetTable(md);
    for (String name : List.of("basebackup", "receivewal")) {
      Section s = sections.get(name);
      if (s != null) {
        toolTable(md, s);
      }
    }
    if (charts.contains(CPU_PNG)) {
      md.append(image("CPU per GB", CPU_PNG)).append("\n\n");
    }
    Section su = sections.get("startup");
    if (su != null) {
      startupTable(md, su);
      if (charts.contains(STARTUP_PNG)) {
        md.append(image("start-up", STARTUP_PNG)).append("\n\n");
      }
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
      md.append("basebackup of a pgbench database (scale ")
          .append(bb.conditions().getProperty("pgbench_scale", "?"))
          .append(", plain backup ")
          .append(bytes(number(bb.conditions(), "backup_bytes")))
          .append("); MB/s are of the uncompressed backup:\n\n");
      timeTable(
          md,
          bb,
          "pg_basebackup",
          "basebackup",
          "output size",
          (c, tool) -> bytes(bb.median(c, tool, Row::outputBytes)));
    }
    if (charts.contains(THROUGHPUT_PNG)) {
      md.append(image("throughput", THROUGHPUT_PNG)).append("\n\n");
    }
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
      if (charts.contains(TPS_PNG)) {
        md.append(image("TPS", TPS_PNG)).append("\n\n");
      }
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
                    ? "pgbench scale "
                        + p.getProperty("pgbench_scale")
                        + ", "
                        + bytes(number(p, "backup_bytes"))
                        + " plain backup"
                    : "pgbench scale " + p.getProperty("pgbench_scale", "?"));
    condition(md, "runs per tool and case", "runs");
    condition(md, "jwalreceiver launcher", "jwalreceiver");
    condition(md, "pgBackRest", "pgbackrest");
    condition(md, "load average before", "load_before");
    condition(md, "load average after", "load_after");
    condition(md, "notes", "notes");
    md.append('\n').append(END);
    return md.toString();
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
        md.append("| ")
            .append(c)
            .append(" | ")
            .append(
                switch (tool) {
                  case "pg" -> theirs;
                  case "jwr" -> "jwalreceiver " + command;
                  default -> toolName(s.name(), tool);
                })
            .append(" | ")
            .append(fmt(s.median(c, tool, Row::wall), 3))
            .append(" | ")
            .append(fmt(megabytesPerSecond(s, c, tool), 1))
            .append(" | ")
            .append(fmt(s.median(c, tool, Row::cpu), 2))
            .append(" | ")
            .append(last.apply(c, tool))
            .append(" |\n");
      }
    }
    md.append('\n');
  }

  /** Issue #19's targets: goal, this run's value, the --before jar's, met or not. */
  private void targetTable(StringBuilder md) {
    List<Target> targets = targets();
    if (targets.isEmpty()) {
      return;
    }
    boolean before = targets.stream().anyMatch(t -> Double.isFinite(t.before()));
    md.append("#### Targets of issue #19, from this run\n\n")
        .append("Computed from the numbers below (ratios of medians measured in the same run;")
        .append(" max RSS the largest run's).\n\n")
        .append("| target | goal | jwalreceiver | ")
        .append(before ? "before (`--before` jar) | " : "")
        .append("met |\n|---|---|---|")
        .append(before ? "---|" : "")
        .append("---|\n");
    for (Target t : targets) {
      md.append("| ")
          .append(t.what())
          .append(" | ")
          .append(t.goal())
          .append(" | **")
          .append(value(t.value(), t.unit()))
          .append("** | ");
      if (before) {
        md.append(value(t.before(), t.unit())).append(" | ");
      }
      md.append(
              switch (t.met()) {
                case MET -> "met";
                case NOT_MET -> "**not met**";
                case NOT_MEASURED -> "not measured";
              })
          .append(" |\n");
    }
    md.append('\n');
  }

  private static String value(double v, String unit) {
    if (!Double.isFinite(v)) {
      return "–";
    }
    return switch (unit) {
      case "×" -> fmt(v, 2) + "×";
      case "s" -> fmt(v, 3) + " s";
      default -> fmt(v, 0) + " " + unit;
    };
  }

  /** Issue #19's table: every tool of every case, with its ratios to the PostgreSQL tool. */
  private static void toolTable(StringBuilder md, Section s) {
    String theirs = s.name().equals("receivewal") ? "pg_receivewal" : "pg_basebackup";
    md.append("#### ")
        .append(s.name())
        .append(": every tool, medians (issue #19's table)\n\n")
        .append("CPU is the client's user+sys (process tree), per GB (10^9 bytes) of ")
        .append(s.name().equals("receivewal") ? "WAL streamed" : "the plain backup")
        .append("; max RSS the median of the runs' largest process. Ratios are the tool's")
        .append(" median ÷ ")
        .append(theirs)
        .append("'s in the same case")
        .append(s.name().equals("basebackup") ? " (the ceiling and pgBackRest: ÷ plain's)" : "")
        .append(", so below 1.0 is faster or cheaper.\n\n")
        .append(
            "| case | tool | wall s, median (min–max) | client CPU s | CPU s/GB | max RSS MiB |")
        .append(" wall ÷ ")
        .append(theirs)
        .append(" | CPU/GB ÷ ")
        .append(theirs)
        .append(" |\n|---|---|---|---|---|---|---|---|\n");
    for (String c : s.cases()) {
      for (String tool : s.tools(c)) {
        md.append("| ")
            .append(c)
            .append(" | ")
            .append(toolName(s.name(), tool))
            .append(" | ")
            .append(fmt(s.median(c, tool, Row::wall), 2))
            .append(" (")
            .append(fmt(s.min(c, tool, Row::wall), 2))
            .append("–")
            .append(fmt(s.max(c, tool, Row::wall), 2))
            .append(") | ")
            .append(fmt(s.median(c, tool, Row::cpu), 2))
            .append(" | ")
            .append(fmt(s.median(c, tool, Row::cpuPerGb), 3))
            .append(" | ")
            .append(fmt(s.median(c, tool, Row::maxRssMib), 1))
            .append(" | ")
            .append(ratio(versusPg(s, c, tool, Row::wall)))
            .append(" | ")
            .append(ratio(versusPg(s, c, tool, Row::cpuPerGb)))
            .append(" |\n");
      }
    }
    if (s.has("ceiling", "ceiling")) {
      double ceiling = s.median("ceiling", "ceiling", Row::wall);
      for (String tool : s.tools("plain")) {
        md.append(
                s.tools("plain").indexOf(tool) == 0
                    ? "\nPlain backups ÷ the send ceiling (wall): "
                    : ", ")
            .append(toolName(s.name(), tool))
            .append(" ")
            .append(ratio(s.median("plain", tool, Row::wall) / ceiling));
      }
      md.append(".\n");
    }
    md.append('\n');
  }

  private static String ratio(double r) {
    return Double.isFinite(r) ? fmt(r, 2) + "×" : "–";
  }

  /** The short commands: median and min wall, CPU, max RSS per command and tool. */
  private static void startupTable(StringBuilder md, Section su) {
    md.append("#### Start-up of the short commands (")
        .append(su.conditions().getProperty("startup_runs", "?"))
        .append(" interleaved runs)\n\n")
        .append("| command | tool | wall s, median | wall s, min | CPU s | max RSS MiB |\n")
        .append("|---|---|---|---|---|---|\n");
    for (String c : su.cases()) {
      for (String tool : su.tools(c)) {
        md.append("| ")
            .append(startupLabel(c))
            .append(" | ")
            .append(startupTool(c, tool))
            .append(" | ")
            .append(fmt(su.median(c, tool, Row::wall), 3))
            .append(" | ")
            .append(fmt(su.min(c, tool, Row::wall), 3))
            .append(" | ")
            .append(fmt(su.median(c, tool, Row::cpu), 3))
            .append(" | ")
            .append(fmt(su.median(c, tool, Row::maxRssMib), 1))
            .append(" |\n");
      }
    }
    md.append('\n');
  }

  private static String startupTool(String c, String tool) {
    if (tool.equals("pg")) {
      return switch (c) {
        case "link-version" -> "pg_receivewal (C)";
        default -> "pg_basebackup (C)";
      };
    }
    return tool.equals("jwr-before") ? "jwalreceiver (before)" : "jwalreceiver";
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

  private String image(String alt, String png) {
    return "![" + alt + "](" + relative(results.resolve(png)) + ")";
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
