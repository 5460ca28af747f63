// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.verify.ArchiveVerifier;
import io.jwalreceiver.archive.verify.Problem;
import io.jwalreceiver.archive.verify.VerifyReport;
import io.jwalreceiver.archive.verify.WalChain;
import java.io.IOException;
import java.io.PrintStream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jwalreceiver archive verify}: whether the archive's backups can be restored. */
@Command(
    name = "verify",
    header = "Checks that each base backup of an archive can be restored to its newest WAL.",
    description = {
      "Checks that each complete base backup of the archive (one with a backup_manifest) can be",
      "restored and rolled forward to the archive's newest WAL: its manifest and archives, a",
      "continuous chain of WAL segments from its start through its end and on to the newest",
      "segment, following timeline switches through the history files, and every segment object",
      "readable, of the segment size once decompressed, with a page header for its timeline and",
      "address, and the SHA-256 recorded at upload. Prints the range each backup's chain covers;",
      "each problem is one error line naming the object. Exit status 1 when there is a problem.",
      ""
    })
public final class ArchiveVerifyCommand extends ArchiveSubcommand {

  @Option(
      names = "--backup",
      paramLabel = "ID",
      description = "check only this backup (and only the segments of its chain)")
  @Nullable String backup;

  @Mixin JsonOption json;

  @Override
  int run(ObjectStore store) throws IOException {
    VerifyReport report = new ArchiveVerifier(store, archive.layout()).verify(backup);
    if (json.json) {
      printJson(report);
    } else {
      printText(report);
    }
    return report.ok() ? ExitCodes.OK : ExitCodes.ERROR;
  }

  @Override
  String failure() {
    return "cannot verify " + archive.text;
  }

  private void printText(VerifyReport r) {
    PrintStream out = cli.out();
    out.println(
        "archive "
            + r.location()
            + ": "
            + r.segmentFiles()
            + " WAL segment files ("
            + ArchiveCommand.bytes(r.walBytes())
            + "), "
            + r.historyFiles()
            + (r.historyFiles() == 1 ? " history file" : " history files")
            + (r.newestTimeline() == null ? "" : ", newest timeline " + r.newestTimeline())
            + ", segment size "
            + ArchiveCommand.bytes(r.segmentSize().bytes()));
    for (VerifyReport.BackupResult b : r.backups()) {
      out.println(
          "backup "
              + b.id()
              + " ("
              + b.objects()
              + " objects, "
              + ArchiveCommand.bytes(b.bytes())
              + ")"
              + (b.start() == null
                  ? ": manifest unreadable"
                  : ": start "
                      + b.start()
                      + " on timeline "
                      + b.startTimeline()
                      + ", end "
                      + b.end()
                      + " on timeline "
                      + b.endTimeline()));
      for (WalChain.Span s : b.chain()) {
        long expected = s.last().segmentNumber() - s.first().segmentNumber() + 1;
        out.println(
            "  timeline "
                + s.timeline()
                + ": "
                + s.first()
                + " to "
                + s.last()
                + " ("
                + s.files()
                + " segments"
                + (s.complete() ? "" : ", " + (expected - s.files()) + " missing")
                + ")");
      }
    }
    for (String id : r.incomplete()) {
      out.println("incomplete backup " + id + " (no backup_manifest): not checked");
    }
    for (Problem p : r.problems()) {
      cli.error(p.toString(), null, null);
    }
    out.println(
        r.ok()
            ? "archive verified: no problems"
            : "archive verification failed: "
                + r.problems().size()
                + (r.problems().size() == 1 ? " problem" : " problems"));
  }

  private void printJson(VerifyReport r) {
    JsonOutput.print(
        cli.out(),
        g -> {
          g.writeStringField("archive", r.location());
          g.writeBooleanField("ok", r.ok());
          g.writeNumberField("segment_size", r.segmentSize().bytes());
          g.writeNumberField("segment_files", r.segmentFiles());
          g.writeNumberField("history_files", r.historyFiles());
          g.writeNumberField("wal_bytes", r.walBytes());
          timeline(g, "newest_timeline", r.newestTimeline());
          g.writeArrayFieldStart("backups");
          for (VerifyReport.BackupResult b : r.backups()) {
            g.writeStartObject();
            g.writeStringField("id", b.id());
            g.writeNumberField("objects", b.objects());
            g.writeNumberField("bytes", b.bytes());
            g.writeStringField("start_lsn", b.start() == null ? null : b.start().toString());
            timeline(g, "start_timeline", b.startTimeline());
            g.writeStringField("end_lsn", b.end() == null ? null : b.end().toString());
            timeline(g, "end_timeline", b.endTimeline());
            g.writeArrayFieldStart("chain");
            for (WalChain.Span s : b.chain()) {
              g.writeStartObject();
              g.writeNumberField("timeline", s.timeline().asLong());
              g.writeStringField("first", s.first().fileName());
              g.writeStringField("last", s.last().fileName());
              g.writeNumberField("segments", s.files());
              g.writeBooleanField("complete", s.complete());
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeArrayFieldStart("incomplete_backups");
          for (String id : r.incomplete()) {
            g.writeString(id);
          }
          g.writeEndArray();
          g.writeArrayFieldStart("problems");
          for (Problem p : r.problems()) {
            g.writeStartObject();
            g.writeStringField("object", p.object());
            g.writeStringField("problem", p.message());
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  private static void timeline(JsonGenerator g, String name, @Nullable TimelineId tli)
      throws IOException {
    if (tli == null) {
      g.writeNullField(name);
    } else {
      g.writeNumberField(name, tli.asLong());
    }
  }
}
