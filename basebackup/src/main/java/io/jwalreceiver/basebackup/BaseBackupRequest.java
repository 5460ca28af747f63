// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.basebackup.sink.TablespaceMapping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the user asked pg_basebackup (or {@code jwalreceiver basebackup}) for.
 *
 * @param targetDir {@code -D}; null when writing to standard output ({@code -D -}) or to a
 *     backup target
 * @param format plain or tar
 * @param walMethod none, fetch or stream
 * @param slotName {@code -S}, or null
 * @param createSlot {@code -C}
 * @param temporarySlot a temporary slot for streaming (default; off with {@code --no-slot})
 * @param writeRecoveryConf {@code -R}
 * @param fastCheckpoint {@code -c fast}
 * @param label {@code -l}
 * @param estimateSize send PROGRESS (off with {@code --no-estimate-size})
 * @param maxRateKb {@code -r} in kB/s, 0 = unlimited
 * @param tablespaceMappings {@code -T}
 * @param walDir {@code --waldir}, or null
 * @param sync fsync at the end (off with {@code -N})
 * @param keepOnFailure {@code -n}
 * @param manifest {@code yes}, {@code no} or {@code force-encode}
 * @param manifestChecksums {@code --manifest-checksums}, or null for the server's default
 * @param verifyChecksums off with {@code --no-verify-checksums}
 * @param statusInterval {@code -s} for the WAL streamer
 * @param recoveryConninfo the keywords {@code -R} writes into {@code primary_conninfo}, in order
 *     ({@code ConnInfo.primaryConninfo}), or null to derive them from the connection ({@link
 *     RecoveryConfig#keywordsOf})
 * @param compression {@code -z}/{@code -Z}: where and how archives are compressed
 * @param target {@code -t}: {@code server} or {@code blackhole} (or an extension's target), null
 *     to receive the backup ({@code client})
 * @param targetDetail the part of {@code -t} after the first colon (the server directory for
 *     {@code server}), or null
 * @param incrementalManifest {@code -i}: the manifest of the backup this one is incremental to,
 *     or null
 */
public record BaseBackupRequest(
    Path targetDir,
    Format format,
    WalMethod walMethod,
    String slotName,
    boolean createSlot,
    boolean temporarySlot,
    boolean writeRecoveryConf,
    boolean fastCheckpoint,
    String label,
    boolean estimateSize,
    int maxRateKb,
    List<TablespaceMapping> tablespaceMappings,
    Path walDir,
    boolean sync,
    boolean keepOnFailure,
    String manifest,
    String manifestChecksums,
    boolean verifyChecksums,
    Duration statusInterval,
    Map<String, String> recoveryConninfo,
    BackupCompression compression,
    String target,
    String targetDetail,
    Path incrementalManifest) {

  /** {@code -F}. */
  public enum Format {
    PLAIN,
    TAR;

    /**
     * A {@code -F} value as pg_basebackup reads it: {@code p}/{@code plain} or {@code t}/{@code
     * tar}.
     *
     * @return the format, or null for anything else
     */
    public static Format parse(String value) {
      return switch (value) {
        case "p", "plain" -> PLAIN;
        case "t", "tar" -> TAR;
        default -> null;
      };
    }
  }

  /** {@code -X}. */
  public enum WalMethod {
    NONE,
    FETCH,
    STREAM;

    /**
     * A {@code -X} value as pg_basebackup reads it: {@code n}/{@code none}, {@code f}/{@code
     * fetch} or {@code s}/{@code stream}.
     *
     * @return the method, or null for anything else
     */
    public static WalMethod parse(String value) {
      return switch (value) {
        case "n", "none" -> NONE;
        case "f", "fetch" -> FETCH;
        case "s", "stream" -> STREAM;
        default -> null;
      };
    }
  }

  public BaseBackupRequest {
    tablespaceMappings = List.copyOf(tablespaceMappings);
    compression = compression == null ? BackupCompression.NONE : compression;
  }

  /** Whether the server keeps the backup ({@code -t server:DIR} or {@code blackhole}). */
  public boolean toTarget() {
    return target != null;
  }

  /** Whether the (tar) backup goes to standard output ({@code -D -}). */
  public boolean toStdout() {
    return targetDir == null && target == null;
  }
}
