// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import static io.jwalreceiver.cli.check.Fixes.NEW_DIRECTORY;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.cli.check.Connections.Setting;
import io.jwalreceiver.cli.check.Connections.Slot;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SystemIdentity;
import io.jwalreceiver.wal.ResumePoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The {@code archive} item (with {@code -D}): where receivewal would resume in the directory, and
 * whether that leaves a gap (another cluster's WAL, a position ahead of the server, WAL that the
 * slot or the server no longer keeps).
 */
final class ArchiveCheck {

  private ArchiveCheck() {}

  static CheckItem check(Connections c, Path dir) {
    String item = Preflight.ARCHIVE;
    ReplicationConnection repl = c.repl;
    WalSegmentSize size;
    SystemIdentity id = null;
    try {
      Setting shown = c.settings.get("wal_segment_size");
      size =
          shown != null
              ? WalSegmentSize.parseShow(shown.value())
              : repl != null ? repl.walSegmentSize() : null;
      if (repl != null) {
        id = repl.identifySystem();
      }
    } catch (PgException e) {
      return CheckItem.notChecked(item, String.valueOf(e.getMessage()));
    }
    if (size == null) {
      return CheckItem.notChecked(item, "the WAL segment size is unknown: " + c.noSql());
    }
    Optional<ResumePoint> resume;
    try {
      resume = ResumePoint.scan(dir, size, c.warnings);
    } catch (PgException e) {
      return CheckItem.fail(
          item,
          String.valueOf(e.getMessage()),
          "make the directory readable," + " or " + NEW_DIRECTORY);
    }
    String slotName = c.request.slotName();
    Optional<Slot> s = slotName == null ? Optional.empty() : c.readSlot(slotName);
    if (resume.isEmpty()) {
      String from =
          s.isPresent() && s.get().restartLsn() != null
              ? "the slot's restart_lsn " + s.get().restartLsn()
              : "the server's current position";
      return CheckItem.ok(item, "\"" + dir + "\" holds no WAL yet: receivewal starts at " + from);
    }
    ResumePoint r = resume.get();
    String at =
        "resuming \""
            + dir
            + "\" at "
            + r.start()
            + " (timeline "
            + r.timeline()
            + ", after "
            + r.fromFile()
            + ")";
    if (id != null) {
      if (r.timeline().compareTo(id.timeline()) > 0) {
        return CheckItem.fail(
            item,
            at + ": the server is only on timeline " + id.timeline() + " (another cluster?)",
            NEW_DIRECTORY);
      }
      if (r.timeline().equals(id.timeline()) && r.start().isAfter(id.xlogPosition())) {
        return CheckItem.fail(
            item,
            at
                + ": ahead of the server's WAL at "
                + id.xlogPosition()
                + " (another cluster, or a restored one?)",
            NEW_DIRECTORY);
      }
    }
    if (s.isPresent() && "physical".equals(s.get().type())) {
      Slot sl = s.get();
      String named = "slot \"" + slotName + "\"";
      if ("lost".equals(sl.walStatus())) {
        return CheckItem.fail(
            item,
            at + " would leave a gap: " + named + " lost its WAL",
            NEW_DIRECTORY + " and take a new base backup");
      }
      Lsn restartLsn = sl.restartLsn();
      if (restartLsn != null) {
        if (r.start().isBefore(restartLsn.segmentStart(size))) {
          return CheckItem.fail(
              item,
              at
                  + " would leave a gap: "
                  + named
                  + " only keeps WAL from "
                  + restartLsn
                  + " (receivewal refuses to resume)",
              NEW_DIRECTORY + " and take a new base backup");
        }
        return CheckItem.ok(item, at + ": " + named + " keeps WAL from " + restartLsn + ", no gap");
      }
    }
    return oldestOnServer(c, at, r, size);
  }

  /** Without a slot's reservation, the gap question is whether the server still has the WAL. */
  private static CheckItem oldestOnServer(
      Connections c, String at, ResumePoint r, WalSegmentSize size) {
    String item = Preflight.ARCHIVE;
    ReplicationConnection sql = c.sql;
    if (sql == null) {
      return CheckItem.notChecked(
          item,
          at + ": whether the server still has that WAL needs" + " pg_ls_waldir(): " + c.noSql());
    }
    List<String> names;
    try {
      names =
          sql.query("SELECT name FROM pg_catalog.pg_ls_waldir()").rows().stream()
              .map(row -> row.get(0))
              .toList();
    } catch (PgException e) {
      String user = c.request.replication().user();
      return CheckItem.warn(
          item,
          at
              + ": could not check whether the server still has"
              + " that WAL: "
              + Connections.shortMessage(e),
          "SQL (as a superuser): GRANT pg_monitor TO " + Fixes.sqlIdentifier(user) + ";");
    }
    long oldest = -1;
    for (String n : names) {
      if (SegmentName.isSegmentFileName(n)) {
        long number = SegmentName.parse(n, size).segmentNumber();
        if (oldest < 0 || Long.compareUnsigned(number, oldest) < 0) {
          oldest = number;
        }
      }
    }
    long wanted = size.segmentNumber(r.start());
    if (oldest < 0 || Long.compareUnsigned(wanted, oldest) >= 0) {
      return CheckItem.ok(
          item,
          at
              + ": the server still has that WAL, no gap (without a slot"
              + " it may remove it before receivewal starts)");
    }
    return CheckItem.fail(
        item,
        at + " would leave a gap: the server's oldest WAL starts at " + size.segmentStart(oldest),
        NEW_DIRECTORY
            + " and take a new base backup; use a slot"
            + " (-S) so the server keeps WAL for it");
  }
}
