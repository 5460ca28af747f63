// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.basebackup.manifest.BackupManifest;
import io.jwalreceiver.basebackup.manifest.BackupManifest.WalRange;
import io.jwalreceiver.basebackup.manifest.ManifestParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * What verify and cleanup need from a backup's manifest: where its WAL starts and ends, and which
 * tablespace archives it has.
 *
 * @param startTimeline the timeline of the backup's start (its oldest WAL range)
 * @param start the start LSN
 * @param endTimeline the timeline of the backup's end (its newest WAL range)
 * @param end the end LSN
 * @param tablespaces the OIDs of the tablespaces the manifest has files of ({@code
 *     pg_tblspc/OID/…})
 * @param systemId the manifest's {@code System-Identifier} (version 2), or empty
 */
public record BackupManifestSummary(
    TimelineId startTimeline,
    Lsn start,
    TimelineId endTimeline,
    Lsn end,
    Set<String> tablespaces,
    OptionalLong systemId) {

  /** A manifest larger than this is not a real one. */
  private static final long LIMIT = 4L << 30;

  private static final String TABLESPACES = "pg_tblspc/";

  /** Copies the set. */
  public BackupManifestSummary {
    tablespaces = Set.copyOf(tablespaces);
  }

  /**
   * Reads a manifest object, streaming (memory independent of the manifest's size), and checks it
   * (its {@code Manifest-Checksum} included).
   *
   * @throws PgException XX001 when it is not a valid manifest or has no WAL range
   * @throws IOException when the object cannot be read
   */
  public static BackupManifestSummary read(ObjectStore store, String key) throws IOException {
    Set<String> tablespaces = new TreeSet<>();
    ManifestParser parser =
        ManifestParser.streaming(
            f -> {
              if (f.path().startsWith(TABLESPACES)) {
                String rest = f.path().substring(TABLESPACES.length());
                int slash = rest.indexOf('/');
                if (slash > 0) {
                  tablespaces.add(rest.substring(0, slash));
                }
              }
            },
            LIMIT);
    try (InputStream in = store.open(key)) {
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        parser.feed(ByteBuffer.wrap(buffer, 0, n));
      }
    }
    BackupManifest manifest = parser.finish();
    List<WalRange> ranges = manifest.walRanges();
    if (ranges.isEmpty()) {
      throw new PgException(SqlState.DATA_CORRUPTED, "the manifest has no WAL-Ranges");
    }
    WalRange first = ranges.stream().min(Comparator.comparing(WalRange::timeline)).orElseThrow();
    WalRange last = ranges.stream().max(Comparator.comparing(WalRange::timeline)).orElseThrow();
    return new BackupManifestSummary(
        first.timeline(),
        first.start(),
        last.timeline(),
        last.end(),
        tablespaces,
        manifest.systemIdentifier());
  }
}
