// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** An aligned table in psql's style: header, rule, rows, row count; null shown empty. */
final class TextTable {

  private final List<String> columns;
  private final List<List<String>> rows = new ArrayList<>();

  TextTable(List<String> columns) {
    this.columns = List.copyOf(columns);
  }

  /** Adds a row; values may be null. */
  TextTable add(List<String> row) {
    if (row.size() != columns.size()) {
      throw new IllegalArgumentException(row.size() + " values for " + columns.size() + " columns");
    }
    rows.add(new ArrayList<>(row));
    return this;
  }

  void print(PrintStream out) {
    int[] width = new int[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      width[i] = columns.get(i).length();
      for (List<String> row : rows) {
        width[i] = Math.max(width[i], show(row.get(i)).length());
      }
    }
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < columns.size(); i++) {
      rule.append(i > 0 ? "-+-" : "").append("-".repeat(width[i]));
    }
    out.println(line(columns, width));
    out.println(rule);
    for (List<String> row : rows) {
      out.println(line(row, width));
    }
    out.println("(" + rows.size() + (rows.size() == 1 ? " row)" : " rows)"));
  }

  private static String line(List<String> values, int[] width) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      String v = show(values.get(i));
      line.append(i > 0 ? " | " : "").append(v).append(" ".repeat(width[i] - v.length()));
    }
    return line.toString().stripTrailing();
  }

  private static String show(String v) {
    return v == null ? "" : v;
  }
}
