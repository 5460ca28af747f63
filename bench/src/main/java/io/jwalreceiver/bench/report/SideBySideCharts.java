// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.report;

import io.jwalreceiver.bench.report.SideBySideReport.Comparison;
import io.jwalreceiver.bench.report.SideBySideResults.Row;
import io.jwalreceiver.bench.report.SideBySideResults.Section;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jspecify.annotations.Nullable;

/**
 * PNG bar charts of the side-by-side results, drawn with JFreeChart: which charts a run's sections
 * have data for ({@link #draw}), and how each kind is drawn.
 */
final class SideBySideCharts {

  static final String RATIOS_PNG = "side-by-side-ratios.png";
  static final String THROUGHPUT_PNG = "side-by-side-throughput.png";
  static final String TPS_PNG = "side-by-side-tps.png";
  static final String CPU_PNG = "side-by-side-cpu-per-gb.png";
  static final String STARTUP_PNG = "side-by-side-startup.png";

  static final int WIDTH = 900;

  private static final Color POSTGRES = new Color(0x33, 0x67, 0x91);
  private static final Color OURS = new Color(0xE0, 0x7B, 0x24);
  private static final Color NEUTRAL = new Color(0x99, 0x99, 0x99);
  private static final Color COPY = new Color(0xC4, 0xC4, 0xC4);
  private static final Color BEFORE = new Color(0xF2, 0xC0, 0x8F);
  private static final Color PGBACKREST = new Color(0x4C, 0x9A, 0x2A);

  private SideBySideCharts() {}

  /** Adds a case and tool's value to a chart's data, or nothing. */
  private interface Bar {
    void add(DefaultCategoryDataset data, Section s, String c, String tool);
  }

  /** Draws, into {@code dir}, the charts that have data; returns their file names. */
  static List<String> draw(Map<String, Section> sections, List<Comparison> comparisons, Path dir)
      throws IOException {
    List<String> drawn = new ArrayList<>();
    DefaultCategoryDataset ratios = new DefaultCategoryDataset();
    for (Comparison c : comparisons) {
      if (Double.isFinite(c.ratio())) {
        ratios.addValue(c.ratio(), "ratio", c.chartLabel());
      }
    }
    if (ratios.getColumnCount() > 0) {
      ratios(ratios, dir.resolve(RATIOS_PNG));
      drawn.add(RATIOS_PNG);
    }
    List<String> streams = List.of("receivewal", "basebackup");
    drawn.addAll(
        grouped(
            "Throughput, median wall time including start-up",
            "MB/s (10^6 bytes per second)",
            "0",
            bars(
                sections,
                streams,
                (data, s, c, tool) ->
                    data.addValue(
                        SideBySideReport.megabytesPerSecond(s, c, tool),
                        series(tool),
                        s.name() + " " + c)),
            dir.resolve(THROUGHPUT_PNG)));
    drawn.addAll(
        grouped(
            "Client CPU (user+sys) per GB, median; lower is better",
            "CPU seconds per GB (10^9 bytes)",
            "0.00",
            bars(
                sections,
                streams,
                (data, s, c, tool) -> {
                  double v = s.median(c, tool, Row::cpuPerGb);
                  if (Double.isFinite(v)) {
                    data.addValue(v, series(tool), s.name().equals("receivewal") ? "WAL " + c : c);
                  }
                }),
            dir.resolve(CPU_PNG)));
    drawn.addAll(
        grouped(
            "Short commands: median wall time, JVM start-up included",
            "seconds",
            "0.000",
            bars(
                sections,
                List.of("startup"),
                (data, s, c, tool) ->
                    data.addValue(
                        s.median(c, tool, Row::wall),
                        series(tool),
                        SideBySideReport.startupLabel(c))),
            dir.resolve(STARTUP_PNG)));
    drawn.addAll(
        grouped(
            "pgbench on the primary, synchronous_commit=on, by synchronous standby",
            "TPS",
            "0",
            tps(sections.get("syncstandby")),
            dir.resolve(TPS_PNG)));
    return drawn;
  }

  /** One bar (or none) per case and tool of the named sections that ran. */
  private static DefaultCategoryDataset bars(
      Map<String, Section> sections, List<String> names, Bar bar) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (String name : names) {
      Section s = sections.get(name);
      if (s == null) {
        continue;
      }
      for (String c : s.cases()) {
        for (String tool : s.tools(c)) {
          bar.add(data, s, c, tool);
        }
      }
    }
    return data;
  }

  /** The first case's median TPS with no synchronous standby, pg_receivewal and ours. */
  private static DefaultCategoryDataset tps(@Nullable Section ss) {
    DefaultCategoryDataset tps = new DefaultCategoryDataset();
    if (ss != null && !ss.cases().isEmpty()) {
      String c = ss.cases().get(0);
      tps.addValue(ss.median(c, "none", Row::tps), "TPS", "no synchronous standby");
      tps.addValue(ss.median(c, "pg", Row::tps), "TPS", "pg_receivewal --synchronous");
      tps.addValue(ss.median(c, "jwr", Row::tps), "TPS", "jwalreceiver --synchronous");
    }
    return tps;
  }

  /** A chart's series name for a tool. */
  static String series(String tool) {
    return switch (tool) {
      case "pg" -> "PostgreSQL tool (pg_receivewal, pg_basebackup)";
      case "jwr" -> "jwalreceiver";
      case "jwr-before" -> "jwalreceiver (before)";
      case "ceiling" -> "send ceiling (pg_basebackup to /dev/null)";
      case "cp-sync" -> "copy limit (cp -a && sync)";
      case "pgbackrest" -> "pgBackRest";
      default -> tool;
    };
  }

  /**
   * Horizontal bars of ratios (category → ratio) with a line at 1.0.
   *
   * @param ratios series "ratio", one category per comparison
   */
  static void ratios(DefaultCategoryDataset ratios, Path png) throws IOException {
    JFreeChart chart =
        ChartFactory.createBarChart(
            "jwalreceiver vs PostgreSQL tools (> 1.0: jwalreceiver faster)",
            null,
            "ratio (time: PostgreSQL / jwalreceiver; TPS: jwalreceiver / pg_receivewal)",
            ratios,
            PlotOrientation.HORIZONTAL,
            false,
            false,
            false);
    CategoryPlot plot = style(chart);
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    renderer.setSeriesPaint(0, OURS);
    labels(renderer, "0.00");
    ValueMarker one = new ValueMarker(1.0, Color.RED, new BasicStroke(1.5f));
    one.setLabel("1.0");
    one.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
    one.setLabelTextAnchor(TextAnchor.TOP_LEFT);
    plot.addRangeMarker(one);
    double max = 1.2;
    for (int c = 0; c < ratios.getColumnCount(); c++) {
      Number v = ratios.getValue(0, c);
      if (v != null) {
        max = Math.max(max, v.doubleValue() * 1.15);
      }
    }
    plot.getRangeAxis().setRange(0, max);
    save(chart, png, 120 + 50 * ratios.getColumnCount());
  }

  /**
   * Grouped bars of an absolute figure: one category per case, series "PostgreSQL tool" and
   * "jwalreceiver" (and optionally others). Draws nothing when the data has no category.
   *
   * @param valueAxis the value axis' label
   * @param format the bars' labels, a {@link DecimalFormat} pattern
   * @return the chart's file name, or nothing when there was nothing to draw
   */
  static List<String> grouped(
      String title, String valueAxis, String format, DefaultCategoryDataset data, Path png)
      throws IOException {
    if (data.getColumnCount() == 0) {
      return List.of();
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            title, null, valueAxis, data, PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    if (data.getRowCount() == 1) {
      // One series: colour each bar by its category (none / PostgreSQL tool / jwalreceiver).
      plot.setRenderer(
          new BarRenderer() {
            @Override
            public Paint getItemPaint(int row, int column) {
              return paintFor(String.valueOf(data.getColumnKey(column)));
            }
          });
      chart.removeLegend();
    }
    style(chart);
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    for (int s = 0; s < data.getRowCount(); s++) {
      renderer.setSeriesPaint(s, paintFor(String.valueOf(data.getRowKey(s))));
    }
    renderer.setItemMargin(0.05);
    plot.getDomainAxis().setMaximumCategoryLabelLines(3);
    labels(renderer, format);
    plot.getRangeAxis().setUpperMargin(0.15);
    save(chart, png, 480);
    return List.of(String.valueOf(png.getFileName()));
  }

  private static Paint paintFor(String key) {
    if (key.startsWith("jwalreceiver (before")) {
      return BEFORE;
    }
    if (key.startsWith("pgBackRest")) {
      return PGBACKREST;
    }
    return key.startsWith("jwalreceiver")
        ? OURS
        : key.startsWith("copy limit")
            ? COPY
            : key.startsWith("no") || key.startsWith("send ceiling") ? NEUTRAL : POSTGRES;
  }

  private static CategoryPlot style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
    plot.setOutlineVisible(false);
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setMaximumBarWidth(0.12);
    return plot;
  }

  private static void labels(BarRenderer renderer, String format) {
    renderer.setDefaultItemLabelGenerator(
        new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat(format)));
    renderer.setDefaultItemLabelsVisible(true);
    renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
  }

  private static void save(JFreeChart chart, Path png, int height) throws IOException {
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, height);
  }
}
