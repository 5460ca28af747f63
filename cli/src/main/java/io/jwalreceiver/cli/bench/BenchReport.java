// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.jwalreceiver.Lsn;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The bench reports: a few aligned lines for people, or one JSON document for scripts. MB and GB
 * are 1024-based, as PostgreSQL counts them; rates are over the measured seconds; a rate that
 * cannot be computed (nothing measured) is {@code null} in JSON and {@code -} for people.
 */
public final class BenchReport {

  private static final JsonFactory JSON = new JsonFactory();

  private BenchReport() {}

  /** The labels of the settings that shape a run, for the report. */
  public record WalLabels(String sink, boolean synchronous) {}

  /** The labels of the settings that shape a backup run. */
  public record BackupLabels(String sink, String format, String walMethod, String compression) {}

  /** {@code bench wal}'s report: {@link #walJson} (with a final newline) or {@link #walText}. */
  public static String wal(WalBench.Result r, WalLabels l, boolean json) {
    return json ? walJson(r, l) + "\n" : walText(r, l);
  }

  /**
   * {@code bench basebackup}'s report: {@link #backupJson} (with a final newline) or {@link
   * #backupText}.
   */
  public static String backup(BackupBench.Result r, BackupLabels l, boolean json) {
    return json ? backupJson(r, l) + "\n" : backupText(r, l);
  }

  /** {@code bench wal} as JSON. */
  public static String walJson(WalBench.Result r, WalLabels l) {
    return json(
        g -> {
          start(g, "wal", r, l.sink());
          g.writeBooleanField("synchronous", l.synchronous());
          range(g, r.start(), r.end(), r.bytes());
          g.writeNumberField("messages", r.messages());
          g.writeNumberField("seconds", round(r.seconds()));
          number(g, "mb_per_s", rate(r.bytes() / (double) Quantities.MB, r.seconds()));
          number(g, "messages_per_s", rate((double) r.messages(), r.seconds()));
          cpu(g, r.cpuSeconds(), r.bytes());
          AckLatency.Summary s = r.latency();
          if (s == null) {
            g.writeNullField("ack_latency_ms");
          } else {
            g.writeObjectFieldStart("ack_latency_ms");
            g.writeNumberField("p50", round(s.p50Ms()));
            g.writeNumberField("p99", round(s.p99Ms()));
            g.writeNumberField("p99_9", round(s.p999Ms()));
            g.writeNumberField("max", round(s.maxMs()));
            g.writeNumberField("count", s.count());
            g.writeNumberField("unmeasured", s.unmeasured());
            g.writeEndObject();
          }
          if (r.generatedBytes() < 0) {
            g.writeNullField("generated_bytes");
          } else {
            g.writeNumberField("generated_bytes", r.generatedBytes());
          }
          directory(g, r.directory(), r.kept());
        });
  }

  /** {@code bench wal} for people. */
  public static String walText(WalBench.Result r, WalLabels l) {
    StringBuilder b = header(r, l.sink(), l.synchronous() ? ", synchronous" : "");
    line(
        b,
        "received",
        mb(r.bytes()) + " MB, " + r.messages() + " messages in " + fmt(r.seconds()) + " s");
    line(
        b,
        "throughput",
        show(rate(r.bytes() / (double) Quantities.MB, r.seconds()))
            + " MB/s, "
            + show(rate((double) r.messages(), r.seconds()))
            + " messages/s");
    cpuLine(b, r.cpuSeconds(), r.bytes());
    AckLatency.Summary s = r.latency();
    if (s != null) {
      line(
          b,
          "ack latency",
          "p50 "
              + fmt(s.p50Ms())
              + " ms, p99 "
              + fmt(s.p99Ms())
              + " ms, p99.9 "
              + fmt(s.p999Ms())
              + " ms, max "
              + fmt(s.maxMs())
              + " ms ("
              + s.count()
              + " messages)");
    }
    if (r.generatedBytes() >= 0) {
      line(b, "generated", mb(r.generatedBytes()) + " MB of WAL on the server (--generate)");
    }
    return b.toString();
  }

  /** {@code bench basebackup} as JSON. */
  public static String backupJson(BackupBench.Result r, BackupLabels l) {
    return json(
        g -> {
          start(g, "basebackup", r, l.sink());
          g.writeStringField("format", l.format());
          g.writeStringField("wal_method", l.walMethod());
          g.writeStringField("compression", l.compression());
          range(g, r.start(), r.end(), r.bytes());
          g.writeNumberField("checkpoint_seconds", round(r.checkpointSeconds()));
          g.writeNumberField("seconds", round(r.seconds()));
          number(g, "mb_per_s", rate(r.bytes() / (double) Quantities.MB, r.seconds()));
          cpu(g, r.cpuSeconds(), r.bytes());
          g.writeObjectFieldStart("stages");
          for (Map.Entry<String, Double> stage : stages(r)) {
            stage(g, stage.getKey(), stage.getValue(), r.bytes());
          }
          g.writeEndObject();
          g.writeNumberField("finish_seconds", round(r.finishSeconds()));
          directory(g, r.directory(), r.kept());
        });
  }

  /** {@code bench basebackup} for people. */
  public static String backupText(BackupBench.Result r, BackupLabels l) {
    StringBuilder b =
        header(
            r,
            l.sink(),
            ", format "
                + l.format()
                + ", -X "
                + l.walMethod()
                + ", compression "
                + l.compression());
    line(b, "checkpoint", fmt(r.checkpointSeconds()) + " s (not counted below)");
    line(b, "received", mb(r.bytes()) + " MB in " + fmt(r.seconds()) + " s");
    line(b, "throughput", show(rate(r.bytes() / (double) Quantities.MB, r.seconds())) + " MB/s");
    cpuLine(b, r.cpuSeconds(), r.bytes());
    b.append("stage busy time (MB/s if that stage alone ran):\n");
    for (Map.Entry<String, Double> stage : stages(r)) {
      stageLine(b, stage.getKey(), stage.getValue(), r.bytes());
    }
    line(b, "  final sync", fmt(r.finishSeconds()) + " s waited after the last byte");
    return b.toString();
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static String json(Body body) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      body.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static void stage(JsonGenerator g, String name, double seconds, long bytes)
      throws IOException {
    if (seconds < 0) {
      g.writeNullField(name);
      return;
    }
    g.writeObjectFieldStart(name);
    g.writeNumberField("seconds", round(seconds));
    number(g, "mb_per_s", rate(bytes / (double) Quantities.MB, seconds));
    g.writeEndObject();
  }

  private static void stageLine(StringBuilder b, String name, double seconds, long bytes) {
    line(
        b,
        "  " + name,
        seconds < 0
            ? "-"
            : fmt(seconds)
                + " s ("
                + show(rate(bytes / (double) Quantities.MB, seconds))
                + " MB/s)");
  }

  private static void range(JsonGenerator g, Lsn start, Lsn end, long bytes) throws IOException {
    g.writeStringField("start_lsn", start.toString());
    g.writeStringField("end_lsn", end.toString());
    g.writeNumberField("bytes", bytes);
  }

  private static void cpu(JsonGenerator g, double cpuSeconds, long bytes) throws IOException {
    number(g, "cpu_seconds", cpuSeconds < 0 ? null : round(cpuSeconds));
    number(g, "cpu_seconds_per_gb", cpuPerGb(cpuSeconds, bytes));
  }

  /** The server, sink and WAL lines both text reports open with. */
  /** A base backup's stages and their busy seconds, in the reports' order. */
  private static List<Map.Entry<String, Double>> stages(BackupBench.Result r) {
    return List.of(
        Map.entry("network", r.networkSeconds()),
        Map.entry("decompression", r.decompressionSeconds()),
        Map.entry("extraction", r.extractionSeconds()),
        Map.entry("fsync", r.fsyncSeconds()));
  }

  /** The text report's first lines; {@code sinkDetail} follows the sink's name and directory. */
  private static StringBuilder header(BenchResult r, String sink, String sinkDetail) {
    StringBuilder b = new StringBuilder();
    line(b, "server", "PostgreSQL " + r.serverVersion());
    line(b, "sink", sinkText(sink, r.directory(), r.kept()) + sinkDetail);
    line(b, "WAL", r.start() + " .. " + r.end());
    return b;
  }

  /** The JSON report's first fields. */
  private static void start(JsonGenerator g, String benchmark, BenchResult r, String sink)
      throws IOException {
    g.writeStringField("benchmark", benchmark);
    g.writeStringField("server_version", r.serverVersion());
    g.writeStringField("sink", sink);
  }

  private static void cpuLine(StringBuilder b, double cpuSeconds, long bytes) {
    line(
        b,
        "CPU",
        (cpuSeconds < 0 ? "-" : fmt(cpuSeconds))
            + " s ("
            + show(cpuPerGb(cpuSeconds, bytes))
            + " s per GB)");
  }

  private static void directory(JsonGenerator g, @Nullable Path dir, boolean kept)
      throws IOException {
    if (dir == null) {
      g.writeNullField("directory");
    } else {
      g.writeStringField("directory", dir.toString());
    }
    g.writeBooleanField("kept", kept);
  }

  private static void number(JsonGenerator g, String name, @Nullable Double v) throws IOException {
    if (v == null) {
      g.writeNullField(name);
    } else {
      g.writeNumberField(name, v);
    }
  }

  private static String sinkText(String sink, @Nullable Path dir, boolean kept) {
    return dir == null ? sink : sink + " (" + dir + (kept ? ", kept" : ", removed") + ")";
  }

  private static void line(StringBuilder b, String label, String value) {
    b.append(String.format(Locale.ROOT, "%-18s%s%n", label + ":", value));
  }

  /** {@code amount / seconds}, rounded, or null when no time was measured. */
  static @Nullable Double rate(double amount, double seconds) {
    return seconds <= 0 ? null : round(amount / seconds);
  }

  static @Nullable Double cpuPerGb(double cpuSeconds, long bytes) {
    return cpuSeconds < 0 || bytes <= 0
        ? null
        : round(cpuSeconds / (bytes / (double) Quantities.GB));
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static String mb(long bytes) {
    return fmt(bytes / (double) Quantities.MB);
  }

  private static String show(@Nullable Double v) {
    return v == null ? "-" : fmt(v);
  }

  private static String fmt(double v) {
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
