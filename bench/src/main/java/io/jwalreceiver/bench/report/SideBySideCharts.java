// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
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

/** PNG bar charts of the side-by-side results, drawn with JFreeChart. */
final class SideBySideCharts {

  static final int WIDTH = 900;

  private static final Color POSTGRES = new Color(0x33, 0x67, 0x91);
  private static final Color OURS = new Color(0xE0, 0x7B, 0x24);
  private static final Color NEUTRAL = new Color(0x99, 0x99, 0x99);
  private static final Color BEFORE = new Color(0xF2, 0xC0, 0x8F);
  private static final Color PGBACKREST = new Color(0x4C, 0x9A, 0x2A);

  private SideBySideCharts() {}

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
   * "jwalreceiver" (and optionally others).
   */
  static void grouped(
      String title, String valueAxis, String format, DefaultCategoryDataset data, Path png)
      throws IOException {
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
