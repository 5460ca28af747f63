// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.report;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The raw results of {@code bench/side-by-side.sh}: per section a CSV of single runs ({@code
 * side-by-side-<section>.csv}) and the conditions they were measured under ({@code
 * side-by-side-<section>.properties}: date, machine, server version, sizes).
 *
 * <pre>
 * section,case,tool,run,wall_s,user_s,sys_s,input_bytes,output_bytes,streaming_s,tps,max_rss_kib,cpu_s_per_gb
 * receivewal,default,pg,1,5.527,0.156,4.006,1079064192,,5.495,,9120,3.857
 * basebackup,tar-gzip,jwr,1,9.1,12.0,1.2,1570000000,300000000,,,81000,8.408
 * syncstandby,pgbench,none,1,60,,,,,,812.4,,
 * startup,version,jwr,1,0.190,0.150,0.040,,,,,41000,
 * </pre>
 *
 * <p>Results written before the last two columns existed ({@link #HEADER_WITHOUT_RSS}) are read
 * with those values missing.
 *
 * <p>Tools: {@code pg} (the PostgreSQL tool), {@code jwr} (jwalreceiver), {@code jwr-before} (an
 * older jwalreceiver jar, {@code --before}), {@code ceiling} (the server's send ceiling, basebackup
 * case {@code ceiling}), {@code cp-sync} (the machine's copy limit, {@code cp -a} of the data
 * directory {@code && sync}, case {@code cp-sync}), {@code pgbackrest} (a pgBackRest full backup,
 * case {@code pgbackrest}), {@code none} (no standby, syncstandby only). Empty cells are missing
 * values.
 */
final class SideBySideResults {

  /** The sections, in report order. */
  static final List<String> SECTIONS =
      List.of("receivewal", "basebackup", "syncstandby", "startup");

  static final String HEADER =
      "section,case,tool,run,wall_s,user_s,sys_s,input_bytes,output_bytes,streaming_s,tps,"
          + "max_rss_kib,cpu_s_per_gb";

  /** The order of the tools in tables and charts. */
  static final List<String> TOOL_ORDER =
      List.of("none", "pg", "jwr", "jwr-before", "ceiling", "cp-sync", "pgbackrest");

  /** The header of results written before max RSS and CPU per GB were measured. */
  static final String HEADER_WITHOUT_RSS =
      "section,case,tool,run,wall_s,user_s,sys_s,input_bytes,output_bytes,streaming_s,tps";

  /** One run of one tool; {@link Double#NaN} for a missing value. */
  record Row(
      String section,
      String caseName,
      String tool,
      int run,
      double wall,
      double user,
      double sys,
      double inputBytes,
      double outputBytes,
      double streaming,
      double tps,
      double maxRssKib,
      double cpuPerGbColumn) {

    double cpu() {
      return user + sys;
    }

    /** Client CPU seconds per GB (10^9 bytes) of input: the column, else computed from it. */
    double cpuPerGb() {
      if (!Double.isNaN(cpuPerGbColumn)) {
        return cpuPerGbColumn;
      }
      return inputBytes > 0 ? cpu() / (inputBytes / 1e9) : Double.NaN;
    }

    /** Max RSS in MiB. */
    double maxRssMib() {
      return maxRssKib / 1024;
    }
  }

  /** One section's runs and conditions. */
  record Section(String name, List<Row> rows, Properties conditions) {

    /** The cases in the order they first appear. */
    List<String> cases() {
      return rows.stream().map(Row::caseName).distinct().toList();
    }

    /** The tools of a case: those of {@link #TOOL_ORDER} in that order, then any others. */
    List<String> tools(String caseName) {
      return rows.stream()
          .filter(r -> r.caseName().equals(caseName))
          .map(Row::tool)
          .distinct()
          .sorted(
              java.util.Comparator.comparingInt(
                  t -> TOOL_ORDER.contains(t) ? TOOL_ORDER.indexOf(t) : TOOL_ORDER.size()))
          .toList();
    }

    boolean has(String caseName, String tool) {
      return runs(caseName, tool) > 0;
    }

    int runs(String caseName, String tool) {
      return (int) rows.stream().filter(r -> matches(r, caseName, tool)).count();
    }

    /** The median of one metric over the runs of a case and tool; NaN when there are none. */
    double median(String caseName, String tool, Metric metric) {
      double[] values =
          rows.stream()
              .filter(r -> matches(r, caseName, tool))
              .mapToDouble(metric::of)
              .filter(v -> !Double.isNaN(v))
              .toArray();
      return SideBySideResults.median(values);
    }

    /** The smallest value of one metric over the runs of a case and tool; NaN when none. */
    double min(String caseName, String tool, Metric metric) {
      return values(caseName, tool, metric).min().orElse(Double.NaN);
    }

    /** The largest value of one metric over the runs of a case and tool; NaN when none. */
    double max(String caseName, String tool, Metric metric) {
      return values(caseName, tool, metric).max().orElse(Double.NaN);
    }

    private java.util.stream.DoubleStream values(String caseName, String tool, Metric metric) {
      return rows.stream()
          .filter(r -> matches(r, caseName, tool))
          .mapToDouble(metric::of)
          .filter(v -> !Double.isNaN(v));
    }

    boolean quick() {
      return "1".equals(conditions.getProperty("quick"));
    }

    private static boolean matches(Row r, String caseName, String tool) {
      return r.caseName().equals(caseName) && r.tool().equals(tool);
    }
  }

  /** A column of a row. */
  interface Metric {
    double of(Row row);
  }

  private SideBySideResults() {}

  /** The sections found in {@code dir}, in report order; sections without a CSV are skipped. */
  static Map<String, Section> load(Path dir) throws IOException {
    Map<String, Section> sections = new LinkedHashMap<>();
    for (String name : SECTIONS) {
      Path csv = dir.resolve("side-by-side-" + name + ".csv");
      if (!Files.exists(csv)) {
        continue;
      }
      Properties conditions = new Properties();
      Path props = dir.resolve("side-by-side-" + name + ".properties");
      if (Files.exists(props)) {
        try (Reader in = Files.newBufferedReader(props, StandardCharsets.UTF_8)) {
          conditions.load(in);
        }
      }
      sections.put(name, new Section(name, withBackupBytes(parse(csv), conditions), conditions));
    }
    return sections;
  }

  /**
   * Rows of the 11-column format have no CPU per GB, and their input_bytes could differ between the
   * tools of a basebackup run; the section's {@code backup_bytes} is the one denominator.
   */
  private static List<Row> withBackupBytes(List<Row> rows, Properties conditions) {
    double bytes;
    try {
      bytes = Double.parseDouble(conditions.getProperty("backup_bytes", ""));
    } catch (NumberFormatException e) {
      return rows;
    }
    return rows.stream()
        .map(
            r ->
                Double.isNaN(r.cpuPerGbColumn())
                    ? new Row(
                        r.section(),
                        r.caseName(),
                        r.tool(),
                        r.run(),
                        r.wall(),
                        r.user(),
                        r.sys(),
                        r.inputBytes(),
                        r.outputBytes(),
                        r.streaming(),
                        r.tps(),
                        r.maxRssKib(),
                        r.cpu() / (bytes / 1e9))
                    : r)
        .toList();
  }

  static List<Row> parse(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    if (lines.isEmpty()
        || !(lines.get(0).equals(HEADER) || lines.get(0).equals(HEADER_WITHOUT_RSS))) {
      throw new IOException(csv + ": the first line is not the header " + HEADER);
    }
    int fields = lines.get(0).split(",", -1).length;
    List<Row> rows = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length != fields) {
        throw new IOException(
            csv + ":" + (i + 1) + ": " + f.length + " fields, expected " + fields);
      }
      try {
        rows.add(
            new Row(
                f[0],
                f[1],
                f[2],
                Integer.parseInt(f[3]),
                number(f[4]),
                number(f[5]),
                number(f[6]),
                number(f[7]),
                number(f[8]),
                number(f[9]),
                number(f[10]),
                fields > 11 ? number(f[11]) : Double.NaN,
                fields > 12 ? number(f[12]) : Double.NaN));
      } catch (NumberFormatException e) {
        throw new IOException(csv + ":" + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return rows;
  }

  private static double number(String s) {
    return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
  }

  /** The median; the mean of the middle two for an even count; NaN for none. */
  static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
