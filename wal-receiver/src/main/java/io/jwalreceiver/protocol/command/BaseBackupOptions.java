// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.command;

import io.jwalreceiver.SqlText;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The options of BASE_BACKUP (protocol-notes §2.8), rendered in the syntax the server speaks: the
 * parenthesised generic list on 15+, the keyword list on 13 and 14.
 *
 * <p>Its one producer, {@code BaseBackup}, maps a whole request onto it at once (one constructor
 * call, each argument named); pg_basebackup's defaults live in {@code BaseBackupRequest.builder()}.
 *
 * @param label the backup label (pg_basebackup's default is {@code pg_basebackup base backup})
 * @param progress ask the server to estimate sizes first (PROGRESS)
 * @param fastCheckpoint start with an immediate checkpoint rather than a spread one
 * @param includeWal append the WAL needed for consistency to the main archive ({@code -X fetch})
 * @param waitForArchive wait for WAL archiving at the end (pg_basebackup sends "don't wait"
 *     whenever WAL is fetched or streamed)
 * @param maxRateKb throttle in kB/s, 0 = unlimited (32 … 1048576 otherwise)
 * @param tablespaceMap send {@code tablespace_map} instead of pg_tblspc symlinks
 * @param verifyChecksums verify data page checksums while reading
 * @param manifest {@code yes}, {@code no} or {@code force-encode}
 * @param manifestChecksums the manifest's checksum algorithm, or null for the server default
 * @param target {@code client}, {@code server} or {@code blackhole} (15+), or null
 * @param targetDetail the server directory for {@code server}, or null
 * @param compression server-side compression method (15+), or null
 * @param compressionDetail e.g. {@code level=5}, or null
 * @param incremental an incremental backup (17+; needs UPLOAD_MANIFEST first)
 */
public record BaseBackupOptions(
    String label,
    boolean progress,
    boolean fastCheckpoint,
    boolean includeWal,
    boolean waitForArchive,
    int maxRateKb,
    boolean tablespaceMap,
    boolean verifyChecksums,
    String manifest,
    @Nullable String manifestChecksums,
    @Nullable String target,
    @Nullable String targetDetail,
    @Nullable String compression,
    @Nullable String compressionDetail,
    boolean incremental) {

  /** The command text for a server of {@code serverVersionNum}. */
  public String text(int serverVersionNum) {
    boolean generic = serverVersionNum >= 150000;
    List<String> opts = options(generic);
    return generic
        ? "BASE_BACKUP ( " + String.join(", ", opts) + ")"
        : "BASE_BACKUP " + String.join(" ", opts);
  }

  /**
   * The options in the order pg_basebackup sends them: 15+ spells them in the generic form ({@code
   * LABEL '…', PROGRESS, CHECKPOINT 'fast', …}) and knows TARGET, COMPRESSION and INCREMENTAL; 13
   * and 14 take keywords ({@code LABEL '…' PROGRESS FAST …}).
   */
  private List<String> options(boolean generic) {
    List<String> opts = new ArrayList<>();
    opts.add("LABEL " + SqlText.literal(label));
    if (progress) {
      opts.add("PROGRESS");
    }
    if (fastCheckpoint) {
      opts.add(generic ? "CHECKPOINT 'fast'" : "FAST");
    }
    if (includeWal) {
      opts.add("WAL");
    }
    if (!waitForArchive) {
      opts.add(generic ? "WAIT 0" : "NOWAIT");
    }
    if (maxRateKb > 0) {
      opts.add("MAX_RATE " + maxRateKb);
    }
    if (tablespaceMap) {
      opts.add("TABLESPACE_MAP");
    }
    if (!verifyChecksums) {
      opts.add(generic ? "VERIFY_CHECKSUMS 0" : "NOVERIFY_CHECKSUMS");
    }
    opts.add("MANIFEST " + SqlText.literal(manifest));
    if (manifestChecksums != null) {
      opts.add("MANIFEST_CHECKSUMS " + SqlText.literal(manifestChecksums));
    }
    if (!generic) {
      return opts;
    }
    opts.add("TARGET " + SqlText.literal(target == null ? "client" : target));
    if (targetDetail != null) {
      opts.add("TARGET_DETAIL " + SqlText.literal(targetDetail));
    }
    if (compression != null) {
      opts.add("COMPRESSION " + SqlText.literal(compression));
      if (compressionDetail != null) {
        opts.add("COMPRESSION_DETAIL " + SqlText.literal(compressionDetail));
      }
    }
    if (incremental) {
      opts.add("INCREMENTAL");
    }
    return opts;
  }
}
