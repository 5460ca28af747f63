// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * {@code archive verify}: checks that each complete base backup of an archive can be restored and
 * rolled forward to the archive's newest WAL.
 *
 * <ul>
 *   <li>its manifest parses and checks out, and its archives are there ({@code base.tar…}, one
 *       {@code OID.tar…} per tablespace the manifest names);
 *   <li>the WAL is continuous from the backup's start segment through its end and on to the newest
 *       segment of the newest timeline, across timeline switches ({@link WalChain});
 *   <li>every timeline after the first has its history file, and every history file parses;
 *   <li>every segment object reads and decompresses to the segment size, starts with a long page
 *       header for its timeline and address, has the SHA-256 the store recorded at upload (when it
 *       recorded one), and comes from the same cluster as the others.
 * </ul>
 *
 * Objects are streamed; memory does not grow with the archive's size beyond its listing.
 */
public final class ArchiveVerifier {

  /** Real history files are a line per timeline switch; more than this is not one. */
  private static final int MAX_HISTORY = 1 << 20;

  private static final List<String> TAR_SUFFIXES =
      List.of(".tar", ".tar.gz", ".tar.lz4", ".tar.zst");

  private final ObjectStore store;
  private final ArchiveLayout layout;

  /** A verifier of the archive in {@code store}, laid out as {@code layout} says. */
  public ArchiveVerifier(ObjectStore store, ArchiveLayout layout) {
    this.store = store;
    this.layout = layout;
  }

  /**
   * Verifies the archive.
   *
   * @param only the id of the one backup to check (with only its chain's segments), or null for all
   * @throws PgException 42704 when {@code only} is not a complete backup of the archive
   * @throws IOException when the store cannot be listed
   */
  public VerifyReport verify(@Nullable String only) throws IOException {
    ArchiveContents contents = ArchiveContents.list(store, layout);
    WalListing wal = contents.wal();
    List<Problem> problems = new ArrayList<>();
    Map<TimelineId, TimelineHistoryFile> histories = readHistories(wal, problems);

    Optional<TimelineId> newest = wal.newestTimeline();
    TimelineId target =
        newest.map(n -> WalChain.reachableTarget(n, histories)).orElse(TimelineId.FIRST);
    List<WalChain.Step> path = WalChain.path(target, histories.get(target));
    checkHistoriesPresent(wal, path, newest, problems);

    List<BackupEntry> selected = select(contents.backups(), only);
    List<String> incomplete = new ArrayList<>();
    for (BackupEntry b : contents.backups()) {
      if (!b.complete()) {
        incomplete.add(b.id());
      }
    }
    if (selected.isEmpty()) {
      problems.add(
          new Problem(
              store.describe(layout.backupPrefix()),
              "no complete base backup: the archive cannot be restored"));
    }
    List<VerifyReport.BackupResult> results = new ArrayList<>();
    long systemId = 0;
    for (BackupEntry backup : selected) {
      BackupManifestSummary manifest;
      try {
        manifest = BackupManifestSummary.read(store, backup.manifestKey());
      } catch (IOException | PgException e) {
        problems.add(
            new Problem(
                store.describe(backup.manifestKey()), "invalid manifest: " + e.getMessage()));
        results.add(
            new VerifyReport.BackupResult(
                backup.id(),
                backup.objects().size(),
                backup.bytes(),
                null,
                null,
                null,
                null,
                List.of()));
        continue;
      }
      if (systemId == 0 && manifest.systemId().isPresent()) {
        systemId = manifest.systemId().getAsLong();
      }
      checkArchives(backup, manifest, problems);
      List<WalChain.Step> backupPath = path;
      if (path.stream().noneMatch(s -> s.timeline().equals(manifest.startTimeline()))) {
        problems.add(
            new Problem(
                store.describe(backup.manifestKey()),
                "the backup's timeline "
                    + manifest.startTimeline()
                    + " is not in the history of the newest timeline "
                    + target
                    + ": its WAL chain cannot reach the archive's newest WAL"));
        backupPath =
            WalChain.path(manifest.startTimeline(), histories.get(manifest.startTimeline()));
      }
      WalChain.Result chain =
          WalChain.follow(
              wal,
              backupPath,
              manifest.startTimeline(),
              manifest.start(),
              manifest.endTimeline(),
              manifest.end(),
              store::describe);
      problems.addAll(chain.problems());
      results.add(
          new VerifyReport.BackupResult(
              backup.id(),
              backup.objects().size(),
              backup.bytes(),
              manifest.startTimeline(),
              manifest.start(),
              manifest.endTimeline(),
              manifest.end(),
              chain.spans()));
    }

    long walBytes = 0;
    for (WalFile file : wal.files()) {
      walBytes += file.size();
      if (only != null && !inChain(file, results)) {
        continue;
      }
      systemId = checkSegment(file, wal, pageTimeline(file, histories), systemId, problems);
    }
    return new VerifyReport(
        store.location().text(),
        wal.segmentSize(),
        wal.files().size(),
        wal.histories().size(),
        walBytes,
        newest.orElse(null),
        results,
        incomplete,
        problems);
  }

  private List<BackupEntry> select(List<BackupEntry> backups, @Nullable String only) {
    List<BackupEntry> selected = new ArrayList<>();
    for (BackupEntry b : backups) {
      if (b.complete() && (only == null || b.id().equals(only))) {
        selected.add(b);
      }
    }
    if (only != null && selected.isEmpty()) {
      boolean exists = backups.stream().anyMatch(b -> b.id().equals(only));
      throw new PgException(
          SqlState.UNDEFINED_OBJECT,
          exists
              ? "backup \""
                  + only
                  + "\" is not complete: "
                  + store.describe(layout.backupKey(only, ArchiveLayout.MANIFEST))
                  + " does not exist"
              : "backup \"" + only + "\" not found in " + store.location().text());
    }
    return selected;
  }

  private Map<TimelineId, TimelineHistoryFile> readHistories(
      WalListing wal, List<Problem> problems) {
    Map<TimelineId, TimelineHistoryFile> histories = new TreeMap<>();
    for (Map.Entry<TimelineId, String> e : wal.histories().entrySet()) {
      TimelineId tli = e.getKey();
      String key = e.getValue();
      try (InputStream in = store.open(key)) {
        byte[] content = in.readNBytes(MAX_HISTORY + 1);
        if (content.length > MAX_HISTORY) {
          problems.add(new Problem(store.describe(key), "larger than any history file"));
          continue;
        }
        histories.put(tli, TimelineHistoryFile.parse(tli, tli.historyFileName(), content));
      } catch (IOException e2) {
        problems.add(new Problem(store.describe(key), "cannot be read: " + e2.getMessage()));
      } catch (PgException e2) {
        problems.add(new Problem(store.describe(key), String.valueOf(e2.getMessage())));
      }
    }
    return histories;
  }

  /**
   * Every timeline after the first that has WAL, or is on the way to the newest, needs its file.
   */
  private void checkHistoriesPresent(
      WalListing wal,
      List<WalChain.Step> path,
      Optional<TimelineId> newest,
      List<Problem> problems) {
    Set<TimelineId> need = new TreeSet<>(wal.segmentTimelines());
    path.forEach(s -> need.add(s.timeline()));
    newest.ifPresent(need::add);
    for (TimelineId t : need) {
      if (t.asLong() > 1 && !wal.histories().containsKey(t)) {
        problems.add(
            new Problem(
                store.describe(wal.historyKey(t)),
                "missing: timeline "
                    + t
                    + "'s history file (recovery cannot follow a switch to timeline "
                    + t
                    + " without it)"));
      }
    }
  }

  private void checkArchives(
      BackupEntry backup, BackupManifestSummary manifest, List<Problem> problems) {
    Set<String> keys = new TreeSet<>();
    backup.objects().forEach(o -> keys.add(o.key()));
    List<String> archives = new ArrayList<>();
    archives.add("base");
    archives.addAll(manifest.tablespaces());
    for (String name : archives) {
      boolean present =
          TAR_SUFFIXES.stream().anyMatch(s -> keys.contains(backup.prefix() + name + s));
      if (!present) {
        problems.add(
            new Problem(
                store.describe(backup.prefix() + name + ".tar"),
                "missing: the backup's "
                    + (name.equals("base") ? "main" : "tablespace " + name)
                    + " archive ("
                    + name
                    + ".tar[.gz|.lz4|.zst]), which its manifest lists files of"));
      }
    }
  }

  private static boolean inChain(WalFile file, List<VerifyReport.BackupResult> results) {
    for (VerifyReport.BackupResult r : results) {
      for (WalChain.Span span : r.chain()) {
        long n = file.segment().segmentNumber();
        if (span.timeline().equals(file.segment().timeline())
            && n >= span.first().segmentNumber()
            && n <= span.last().segmentNumber()) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The timeline a segment's first page header names: the one its timeline's history puts the
   * segment's start on (the parent's, for the segment holding the switch point); null (any up to
   * the segment's own) when the history is missing, which is reported already.
   */
  private static @Nullable TimelineId pageTimeline(
      WalFile file, Map<TimelineId, TimelineHistoryFile> histories) {
    TimelineId tli = file.segment().timeline();
    if (tli.asLong() == 1) {
      return tli;
    }
    TimelineHistoryFile history = histories.get(tli);
    return history == null ? null : history.timelineAt(file.segment().startLsn());
  }

  /** Reads one segment through; returns the system identifier the archive's WAL has so far. */
  private long checkSegment(
      WalFile file,
      WalListing wal,
      @Nullable TimelineId pageTimeline,
      long systemId,
      List<Problem> problems) {
    String where = store.describe(file.key());
    SegmentCheck.Outcome outcome;
    try {
      Optional<StoredObject> stat = store.stat(file.key());
      if (stat.isEmpty()) {
        problems.add(new Problem(where, "disappeared while the archive was verified"));
        return systemId;
      }
      outcome =
          SegmentCheck.check(
              store.open(file.key()), file, wal.segmentSize(), stat.get().sha256(), pageTimeline);
    } catch (IOException e) {
      problems.add(new Problem(where, "cannot be read: " + e.getMessage()));
      return systemId;
    }
    outcome.problems().forEach(m -> problems.add(new Problem(where, m)));
    long id = outcome.systemId();
    if (id != 0 && systemId != 0 && id != systemId) {
      problems.add(
          new Problem(
              where,
              "written by the cluster with system identifier "
                  + Long.toUnsignedString(id)
                  + ", not "
                  + Long.toUnsignedString(systemId)
                  + " as the rest of the archive"));
      return systemId;
    }
    return systemId != 0 ? systemId : id;
  }
}
