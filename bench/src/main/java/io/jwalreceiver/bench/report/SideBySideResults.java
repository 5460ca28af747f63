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
 * section,case,tool,run,wall_s,user_s,sys_s,input_bytes,output_bytes,streaming_s,tps
 * receivewal,default,pg,1,5.527,0.156,4.006,1079064192,,5.495,
 * basebackup,tar-gzip,jwr,1,9.1,12.0,1.2,1570000000,300000000,,
 * syncstandby,pgbench,none,1,60,,,,,,812.4
 * </pre>
 *
 * <p>Tools: {@code pg} (the PostgreSQL tool), {@code jwr} (jwalreceiver), {@code none} (no standby,
 * syncstandby only). Empty cells are missing values.
 */
final class SideBySideResults {

  /** The sections, in report order. */
  static final List<String> SECTIONS = List.of("receivewal", "basebackup", "syncstandby");

  static final String HEADER =
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
      double tps) {

    double cpu() {
      return user + sys;
    }
  }

  /** One section's runs and conditions. */
  record Section(String name, List<Row> rows, Properties conditions) {

    /** The cases in the order they first appear. */
    List<String> cases() {
      return rows.stream().map(Row::caseName).distinct().toList();
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
      sections.put(name, new Section(name, parse(csv), conditions));
    }
    return sections;
  }

  static List<Row> parse(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
      throw new IOException(csv + ": the first line is not the header " + HEADER);
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length != 11) {
        throw new IOException(csv + ":" + (i + 1) + ": " + f.length + " fields, expected 11");
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
                number(f[10])));
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
