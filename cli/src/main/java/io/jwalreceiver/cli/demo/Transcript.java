// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.session.QueryResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What the demo prints: each step as {@code ==> what}, the manual command that does the same as
 * {@code $ command}, and results indented beneath, with query results laid out as psql lays them
 * out.
 */
final class Transcript {

  private static final String INDENT = "    ";

  private final PrintStream out;

  Transcript(PrintStream out) {
    this.out = out;
  }

  /** A new step. */
  void step(String what) {
    out.println();
    out.println("==> " + what);
  }

  /** The manual equivalent of what the step does. */
  void command(String command) {
    out.println(INDENT + "$ " + command);
  }

  /** A here-document: {@code $ cat >> file <<'EOF'}, the lines, {@code EOF}. */
  void heredoc(String head, List<String> lines) {
    command(head + " <<'EOF'");
    for (String line : lines) {
      out.println(INDENT + "  " + line);
    }
    out.println(INDENT + "  EOF");
  }

  /** A result or remark line. */
  void say(String line) {
    out.println(INDENT + line);
  }

  /** A query result in psql's aligned format, indented. */
  void table(QueryResult result) {
    for (String line : aligned(result)) {
      out.println(INDENT + line);
    }
  }

  /** psql's aligned output: centred headers, a rule, left-aligned values, a row count. */
  static List<String> aligned(QueryResult result) {
    List<String> columns = result.columns();
    int[] width = new int[columns.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = columns.get(c).length();
      for (List<String> row : result.rows()) {
        width[c] = Math.max(width[c], text(row.get(c)).length());
      }
    }
    List<String> lines = new ArrayList<>();
    StringBuilder header = new StringBuilder();
    StringBuilder rule = new StringBuilder();
    for (int c = 0; c < width.length; c++) {
      String name = columns.get(c);
      int left = (width[c] - name.length()) / 2;
      header
          .append(c == 0 ? " " : " | ")
          .append(" ".repeat(left))
          .append(name)
          .append(" ".repeat(width[c] - name.length() - left));
      rule.append(c == 0 ? "-" : "-+-").append("-".repeat(width[c]));
    }
    lines.add(header.toString().stripTrailing());
    lines.add(rule.append('-').toString());
    for (List<String> row : result.rows()) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < width.length; c++) {
        String v = text(row.get(c));
        line.append(c == 0 ? " " : " | ").append(v).append(" ".repeat(width[c] - v.length()));
      }
      lines.add(line.toString().stripTrailing());
    }
    int n = result.rows().size();
    lines.add("(" + n + (n == 1 ? " row)" : " rows)"));
    return lines;
  }

  private static String text(String value) {
    return value == null ? "" : value;
  }
}
