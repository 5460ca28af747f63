// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.cli.status.ArchiveStatus;
import io.jwalreceiver.cli.status.ArchiveStatus.Gap;
import io.jwalreceiver.cli.status.ArchiveStatus.TimelineArchive;
import io.jwalreceiver.cli.status.ServerStatus;
import io.jwalreceiver.session.ReplicationConnection;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jwalreceiver status}: a server's standbys ({@code pg_stat_replication}) and slots ({@code
 * pg_replication_slots}) with their lag, and, with {@code -D}, what a WAL archive directory holds
 * (segments per timeline, the newest complete one, the {@code .partial}, history files, gaps).
 * {@code -D} without any connection option on the command line reads only the directory.
 */
/** {@code jwalreceiver status}: standbys, slots and lag on a server, an archive's state. */
@Command(
    name = "status",
    header = "Shows standbys, slots and lag on a server, and an archive directory's state.",
    description = {
      "Shows a server's standbys (pg_stat_replication) and replication slots with how far",
      "they are behind, and with -D what a WAL archive directory holds: segments by timeline,",
      "the newest complete one, the .partial, history files and gaps. -D alone (no -d, -h, -p",
      "or -U) reads the directory without connecting.",
      ""
    })
public final class StatusCommand extends CliCommand {

  @Option(
      names = {"-D", "--directory"},
      paramLabel = "DIR",
      description = "also show the WAL archive in this directory (receivewal's layout)")
  @Nullable Path directory;

  @Option(names = "--json", description = "print one JSON document instead of tables")
  boolean json;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    if (directory != null) {
      // Before connecting: a wrong path fails at once.
      ArchiveStatus.checkDirectory(directory);
    }
    ServerStatus server = null;
    if (directory == null || connectionGiven()) {
      try (ReplicationConnection c =
          ReplicationConnection.open(connection.resolveSql(cli, Cli.PROGRAM), cli::notice)) {
        server = ServerStatus.read(c);
      }
    }
    ArchiveStatus archive =
        directory == null
            ? null
            : ArchiveStatus.scan(directory, server == null ? null : server.segmentSize());
    if (json) {
      printJson(server, archive);
    } else {
      printText(server, archive);
    }
    return ExitCodes.OK;
  }

  private boolean connectionGiven() {
    return connection.dbname != null
        || connection.host != null
        || connection.port != null
        || connection.username != null;
  }

  // ---------------------------------------------------------------------------- text

  private void printText(@Nullable ServerStatus server, @Nullable ArchiveStatus archive) {
    if (server != null) {
      printServer(server);
    }
    if (archive != null) {
      if (server != null) {
        cli.out().println();
      }
      printArchive(archive);
    }
  }

  private void printServer(ServerStatus s) {
    if (s.inRecovery()) {
      cli.out()
          .println(
              "Server: standby, PostgreSQL "
                  + s.version()
                  + ", received up to "
                  + nz(s.walPosition())
                  + ", replayed up to "
                  + nz(s.replayPosition())
                  + ", segment size "
                  + s.segmentSize()
                  + ", connected to "
                  + s.server());
    } else {
      cli.out()
          .println(
              "Server: primary, PostgreSQL "
                  + s.version()
                  + ", WAL position "
                  + s.walPosition()
                  + ", segment size "
                  + s.segmentSize()
                  + ", connected to "
                  + s.server());
    }
    cli.out().println();
    cli.out()
        .println(
            "Standbys (pg_stat_replication; behind = bytes behind "
                + (s.inRecovery() ? "the WAL received" : "the current WAL position")
                + ")");
    TextTable standbys =
        new TextTable(
            List.of(
                "application_name",
                "client_addr",
                "state",
                "sync_state",
                "sent_lsn",
                "write_lsn",
                "flush_lsn",
                "replay_lsn",
                "write_behind",
                "flush_behind",
                "replay_behind",
                "write_lag",
                "flush_lag",
                "replay_lag"));
    for (ServerStatus.Standby r : s.standbys()) {
      standbys.add(
          Arrays.asList(
              r.applicationName(),
              r.clientAddr() == null ? "local" : r.clientAddr(),
              r.state(),
              r.syncState(),
              r.sentLsn(),
              r.writeLsn(),
              r.flushLsn(),
              r.replayLsn(),
              bytes(r.writeLagBytes()),
              bytes(r.flushLagBytes()),
              bytes(r.replayLagBytes()),
              seconds(r.writeLagSeconds()),
              seconds(r.flushLagSeconds()),
              seconds(r.replayLagSeconds())));
    }
    standbys.print(cli.out());
    cli.out().println();
    cli.out().println("Replication slots (pg_replication_slots; retained = WAL held back)");
    TextTable slots =
        new TextTable(
            List.of(
                "slot_name",
                "slot_type",
                "active",
                "restart_lsn",
                "wal_status",
                "safe_wal_size",
                "retained",
                "client"));
    for (ServerStatus.Slot r : s.slots()) {
      slots.add(
          Arrays.asList(
              r.name() + (r.temporary() ? " (temporary)" : ""),
              r.type(),
              r.active() ? "yes (pid " + r.activePid() + ")" : "no",
              r.restartLsn(),
              r.walStatus(),
              r.safeWalSize() == null ? null : bytes(r.safeWalSize()),
              bytes(r.retainedBytes()),
              client(r)));
    }
    slots.print(cli.out());
  }

  private void printArchive(ArchiveStatus a) {
    cli.out()
        .println(
            "Archive "
                + a.directory()
                + " (segment size "
                + a.segmentSize()
                + sizeSource(a.segmentSizeSource())
                + ")");
    TextTable t =
        new TextTable(
            List.of(
                "timeline",
                "first",
                "last",
                "complete",
                "newest_complete",
                "partial",
                "compressed",
                "missing"));
    for (TimelineArchive tl : a.timelines()) {
      t.add(
          Arrays.asList(
              tl.timeline().toString(),
              tl.first().fileName(),
              tl.last().fileName(),
              Integer.toString(tl.completed()),
              tl.newestComplete().map(SegmentName::fileName).orElse(null),
              String.join(", ", tl.partials()),
              compressed(tl.compressed()),
              Long.toString(tl.missingSegments())));
    }
    t.print(cli.out());
    cli.out()
        .println(
            "newest complete segment: "
                + a.newestComplete().map(SegmentName::fileName).orElse("none"));
    List<String> history = new ArrayList<>();
    for (TimelineId h : a.historyFiles()) {
      history.add(h.historyFileName());
    }
    cli.out()
        .println("history files: " + (history.isEmpty() ? "none" : String.join(", ", history)));
    for (TimelineArchive tl : a.timelines()) {
      for (Gap g : tl.gaps()) {
        cli.out().println("gap on timeline " + tl.timeline() + ": " + gapText(g));
      }
      for (String w : tl.wrongSize()) {
        cli.out().println("wrong size (not " + a.segmentSize() + "): " + w);
      }
    }
    if (!a.hasGaps()) {
      cli.out().println("gaps: none");
    }
    if (!a.otherFiles().isEmpty()) {
      cli.out().println("other files: " + String.join(", ", a.otherFiles()));
    }
  }

  /** Who streams through an active slot: its address and application_name. */
  private static @Nullable String client(ServerStatus.Slot r) {
    if (r.applicationName() == null) {
      return null;
    }
    return (r.clientAddr() == null ? "local" : r.clientAddr()) + " (" + r.applicationName() + ")";
  }

  private static String sizeSource(String source) {
    return switch (source) {
      case "files" -> ", from the file sizes";
      case "default" -> ", assumed: no uncompressed segment file to tell";
      default -> ", from the server";
    };
  }

  private static String gapText(Gap g) {
    return g.count() == 1
        ? g.from().fileName() + " missing"
        : g.from().fileName()
            + " to "
            + g.to().fileName()
            + " missing ("
            + g.count()
            + " segments)";
  }

  private static String compressed(Map<String, Integer> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((ext, n) -> parts.add(n + " ." + ext));
    return String.join(", ", parts);
  }

  private static String nz(@Nullable String s) {
    return s == null ? "(none)" : s;
  }

  /** Sizes the way pg_size_pretty prints them. */
  static @Nullable String bytes(@Nullable Long value) {
    if (value == null) {
      return null;
    }
    long v = value;
    if (Math.abs(v) < 10 * 1024) {
      return v + " bytes";
    }
    String[] units = {"kB", "MB", "GB", "TB", "PB"};
    double d = v / 1024.0;
    int u = 0;
    while (Math.abs(d) >= 10 * 1024 && u < units.length - 1) {
      d /= 1024;
      u++;
    }
    return Math.round(d) + " " + units[u];
  }

  /** An interval in seconds, as ms below one second. */
  static @Nullable String seconds(@Nullable Double value) {
    if (value == null) {
      return null;
    }
    double s = value;
    return s < 1
        ? String.format(Locale.ROOT, "%.3f ms", s * 1000)
        : String.format(Locale.ROOT, "%.3f s", s);
  }

  // ---------------------------------------------------------------------------- JSON

  private void printJson(@Nullable ServerStatus server, @Nullable ArchiveStatus archive) {
    JsonOutput.print(
        cli.out(),
        g -> {
          if (server != null) {
            g.writeObjectFieldStart("server");
            writeServer(g, server);
            g.writeEndObject();
          }
          if (archive != null) {
            g.writeObjectFieldStart("archive");
            writeArchive(g, archive);
            g.writeEndObject();
          }
        });
  }

  private static void writeServer(JsonGenerator g, ServerStatus s) throws IOException {
    g.writeStringField("server", s.server());
    g.writeBooleanField("in_recovery", s.inRecovery());
    g.writeStringField("server_version", s.version());
    g.writeStringField("wal_lsn", s.walPosition());
    g.writeStringField("replay_lsn", s.replayPosition());
    g.writeNumberField("wal_segment_size", s.segmentSize().bytes());
    g.writeArrayFieldStart("standbys");
    for (ServerStatus.Standby r : s.standbys()) {
      g.writeStartObject();
      g.writeNumberField("pid", r.pid());
      g.writeStringField("application_name", r.applicationName());
      g.writeStringField("client_addr", r.clientAddr());
      g.writeStringField("state", r.state());
      g.writeStringField("sync_state", r.syncState());
      g.writeStringField("sent_lsn", r.sentLsn());
      g.writeStringField("write_lsn", r.writeLsn());
      g.writeStringField("flush_lsn", r.flushLsn());
      g.writeStringField("replay_lsn", r.replayLsn());
      number(g, "sent_behind_bytes", r.sentLagBytes());
      number(g, "write_behind_bytes", r.writeLagBytes());
      number(g, "flush_behind_bytes", r.flushLagBytes());
      number(g, "replay_behind_bytes", r.replayLagBytes());
      number(g, "write_lag_seconds", r.writeLagSeconds());
      number(g, "flush_lag_seconds", r.flushLagSeconds());
      number(g, "replay_lag_seconds", r.replayLagSeconds());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("slots");
    for (ServerStatus.Slot r : s.slots()) {
      g.writeStartObject();
      g.writeStringField("slot_name", r.name());
      g.writeStringField("slot_type", r.type());
      g.writeBooleanField("temporary", r.temporary());
      g.writeBooleanField("active", r.active());
      number(g, "active_pid", r.activePid());
      g.writeStringField("restart_lsn", r.restartLsn());
      g.writeStringField("wal_status", r.walStatus());
      number(g, "safe_wal_size", r.safeWalSize());
      number(g, "retained_bytes", r.retainedBytes());
      g.writeStringField("client_addr", r.clientAddr());
      g.writeStringField("application_name", r.applicationName());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeArchive(JsonGenerator g, ArchiveStatus a) throws IOException {
    g.writeStringField("directory", a.directory().toString());
    g.writeNumberField("wal_segment_size", a.segmentSize().bytes());
    g.writeStringField("wal_segment_size_from", a.segmentSizeSource());
    g.writeStringField(
        "newest_complete", a.newestComplete().map(SegmentName::fileName).orElse(null));
    g.writeArrayFieldStart("history_files");
    for (TimelineId h : a.historyFiles()) {
      g.writeString(h.historyFileName());
    }
    g.writeEndArray();
    g.writeBooleanField("has_gaps", a.hasGaps());
    g.writeArrayFieldStart("timelines");
    for (TimelineArchive tl : a.timelines()) {
      g.writeStartObject();
      g.writeNumberField("timeline", tl.timeline().asLong());
      g.writeStringField("first", tl.first().fileName());
      g.writeStringField("last", tl.last().fileName());
      g.writeNumberField("complete", tl.completed());
      g.writeStringField(
          "newest_complete", tl.newestComplete().map(SegmentName::fileName).orElse(null));
      strings(g, "partial", tl.partials());
      g.writeObjectFieldStart("compressed");
      for (Map.Entry<String, Integer> e : new TreeMap<>(tl.compressed()).entrySet()) {
        g.writeNumberField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      strings(g, "wrong_size", tl.wrongSize());
      g.writeNumberField("missing_segments", tl.missingSegments());
      g.writeArrayFieldStart("gaps");
      for (Gap gap : tl.gaps()) {
        g.writeStartObject();
        g.writeStringField("from", gap.from().fileName());
        g.writeStringField("to", gap.to().fileName());
        g.writeNumberField("segments", gap.count());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
    strings(g, "other_files", a.otherFiles());
  }

  private static void strings(JsonGenerator g, String name, List<String> values)
      throws IOException {
    g.writeArrayFieldStart(name);
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  /** A number, or null. */
  private static void number(JsonGenerator g, String name, @Nullable Number v) throws IOException {
    if (v == null) {
      g.writeNullField(name);
    } else if (v instanceof Double d) {
      g.writeNumberField(name, d.doubleValue());
    } else {
      g.writeNumberField(name, v.longValue());
    }
  }
}
