// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.jwalreceiver.cli.check.CheckItem.Status;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The items of one preflight run, in the order they were checked, and their two renderings: one
 * line per item for people, one JSON document for scripts.
 *
 * @param items the items
 */
public record CheckReport(List<CheckItem> items) {

  private static final JsonFactory JSON = JsonFactory.builder().build();

  /** Width of the status column: the longest status plus two spaces. */
  private static final int STATUS_WIDTH = 6;

  public CheckReport {
    items = List.copyOf(items);
  }

  /** True when at least one item failed. */
  public boolean failed() {
    return count(Status.FAIL) > 0;
  }

  /** How many items have {@code status}. */
  public long count(Status status) {
    return items.stream().filter(i -> i.status() == status).count();
  }

  /**
   * The human form: {@code OK message}, {@code FAIL message} with each fix line below it as {@code
   * fix: …}, then a summary line.
   */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    String indent = " ".repeat(STATUS_WIDTH);
    for (CheckItem item : items) {
      String status = item.status().name();
      sb.append(status)
          .append(" ".repeat(STATUS_WIDTH - status.length()))
          .append(item.message())
          .append('\n');
      if (item.fix() != null) {
        String label = "fix: ";
        for (String line : item.fix().split("\n", -1)) {
          sb.append(indent).append(label).append(line).append('\n');
          label = " ".repeat(label.length());
        }
      }
    }
    sb.append(summary()).append('\n');
    return sb.toString();
  }

  /** {@code 9 checks: 7 OK, 1 WARN, 1 FAIL}. */
  public String summary() {
    return items.size()
        + (items.size() == 1 ? " check: " : " checks: ")
        + count(Status.OK)
        + " OK, "
        + count(Status.WARN)
        + " WARN, "
        + count(Status.FAIL)
        + " FAIL";
  }

  /**
   * The JSON form: {@code {"status": worst, "ok": n, "warn": n, "fail": n, "items": [{"name",
   * "status", "message", "fix"}]}}, {@code fix} null when there is none.
   */
  public String toJson() {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeStringField("status", worst().name());
      g.writeNumberField("ok", count(Status.OK));
      g.writeNumberField("warn", count(Status.WARN));
      g.writeNumberField("fail", count(Status.FAIL));
      g.writeArrayFieldStart("items");
      for (CheckItem item : items) {
        g.writeStartObject();
        g.writeStringField("name", item.name());
        g.writeStringField("status", item.status().name());
        g.writeStringField("message", item.message());
        g.writeStringField("fix", item.fix());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out + "\n";
  }

  /** The worst status of all items; OK for an empty report. */
  public Status worst() {
    Status worst = Status.OK;
    for (CheckItem item : items) {
      if (item.status().compareTo(worst) > 0) {
        worst = item.status();
      }
    }
    return worst;
  }
}
