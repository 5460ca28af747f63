// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.report;

import static io.jwalreceiver.bench.report.SideBySideReport.fmt;
import static io.jwalreceiver.bench.report.SideBySideReport.row;
import static io.jwalreceiver.bench.report.SideBySideReport.startupLabel;
import static io.jwalreceiver.bench.report.SideBySideReport.toolName;

import io.jwalreceiver.bench.report.SideBySideResults.Row;
import io.jwalreceiver.bench.report.SideBySideResults.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The tables issue #19 asks of a side-by-side run, for the generated section of {@code
 * docs/benchmarks.md}: every tool of every case with its ratios to the PostgreSQL tool (wall,
 * client CPU, CPU per GB, max RSS), the start-up of the short commands, and the issue's targets,
 * each checked against those numbers ("met", "not met", "not measured"). Ratios here are tool ÷
 * PostgreSQL tool, as the issue's targets are, so below 1.0 is faster or cheaper.
 */
final class Issue19Tables {

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

  /** Issue #19's targets, each checked against the numbers of one run. */
  static List<Target> targets(Map<String, Section> sections) {
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

  /** The case whose {@code pg} runs a case's ratios are taken against. */
  private static String referenceCase(Section s, String c) {
    if (s.has(c, "pg")) {
      return c;
    }
    return s.cases().stream().filter(x -> s.has(x, "pg")).findFirst().orElse(c);
  }

  /** Median of a tool's metric ÷ the median of the reference's (pg in the reference case). */
  private static double versusPg(
      Section s, String c, String tool, SideBySideResults.Metric metric) {
    String ref = referenceCase(s, c);
    return s.median(c, tool, metric) / s.median(ref, "pg", metric);
  }

  /** Issue #19's targets: goal, this run's value, the --before jar's, met or not. */
  static void targetTable(StringBuilder md, Map<String, Section> sections) {
    List<Target> targets = targets(sections);
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
  static void toolTable(StringBuilder md, Section s) {
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
        .append(
            s.name().equals("basebackup")
                ? " (the ceiling, cp -a && sync and pgBackRest: ÷ plain's)"
                : "")
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
        row(
            md,
            c,
            toolName(s.name(), tool),
            fmt(s.median(c, tool, Row::wall), 2)
                + " ("
                + fmt(s.min(c, tool, Row::wall), 2)
                + "–"
                + fmt(s.max(c, tool, Row::wall), 2)
                + ")",
            fmt(s.median(c, tool, Row::cpu), 2),
            fmt(s.median(c, tool, Row::cpuPerGb), 3),
            fmt(s.median(c, tool, Row::maxRssMib), 1),
            ratio(versusPg(s, c, tool, Row::wall)),
            ratio(versusPg(s, c, tool, Row::cpuPerGb)));
      }
    }
    plainVersus(md, s, "ceiling", "the send ceiling");
    plainVersus(md, s, "cp-sync", "cp -a && sync, the machine's copy limit");
    md.append('\n');
  }

  /**
   * One line: each plain backup's median wall ÷ a reference row's (case and tool {@code ref}: the
   * send ceiling, {@code cp -a && sync}), when the reference ran.
   */
  private static void plainVersus(StringBuilder md, Section s, String ref, String what) {
    if (!s.has(ref, ref)) {
      return;
    }
    double wall = s.median(ref, ref, Row::wall);
    List<String> tools = s.tools("plain");
    for (String tool : tools) {
      md.append(tools.indexOf(tool) == 0 ? "\nPlain backups ÷ " + what + " (wall): " : ", ")
          .append(toolName(s.name(), tool))
          .append(" ")
          .append(ratio(s.median("plain", tool, Row::wall) / wall));
    }
    md.append(".\n");
  }

  private static String ratio(double r) {
    return Double.isFinite(r) ? fmt(r, 2) + "×" : "–";
  }

  /** The short commands: median and min wall, CPU, max RSS per command and tool. */
  static void startupTable(StringBuilder md, Section su) {
    md.append("#### Start-up of the short commands (")
        .append(su.conditions().getProperty("startup_runs", "?"))
        .append(" interleaved runs)\n\n")
        .append("| command | tool | wall s, median | wall s, min | CPU s | max RSS MiB |\n")
        .append("|---|---|---|---|---|---|\n");
    for (String c : su.cases()) {
      for (String tool : su.tools(c)) {
        row(
            md,
            startupLabel(c),
            startupTool(c, tool),
            fmt(su.median(c, tool, Row::wall), 3),
            fmt(su.min(c, tool, Row::wall), 3),
            fmt(su.median(c, tool, Row::cpu), 3),
            fmt(su.median(c, tool, Row::maxRssMib), 1));
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

  private Issue19Tables() {}
}
