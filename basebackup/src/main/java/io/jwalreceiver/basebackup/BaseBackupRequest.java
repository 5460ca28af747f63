// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.basebackup.sink.TablespaceMapping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the user asked pg_basebackup (or {@code jwalreceiver basebackup}) for.
 *
 * <p>Build one with {@link #builder()}: every field starts at pg_basebackup's default, and only the
 * {@link Destination} is required.
 *
 * @param destination {@code -D DIR}, {@code -D -} or {@code -t}: where the backup goes
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
 * @param incrementalManifest {@code -i}: the manifest of the backup this one is incremental to, or
 *     null
 * @param waitForArchive with {@code -X none}, whether the server waits at the end for the WAL to be
 *     archived (pg_basebackup always asks it to; the bench does not); with {@code fetch} or {@code
 *     stream} it never waits
 */
public record BaseBackupRequest(
    Destination destination,
    Format format,
    WalMethod walMethod,
    @Nullable String slotName,
    boolean createSlot,
    boolean temporarySlot,
    boolean writeRecoveryConf,
    boolean fastCheckpoint,
    String label,
    boolean estimateSize,
    int maxRateKb,
    List<TablespaceMapping> tablespaceMappings,
    @Nullable Path walDir,
    boolean sync,
    boolean keepOnFailure,
    String manifest,
    @Nullable String manifestChecksums,
    boolean verifyChecksums,
    Duration statusInterval,
    @Nullable Map<String, String> recoveryConninfo,
    BackupCompression compression,
    @Nullable Path incrementalManifest,
    boolean waitForArchive) {

  /** pg_basebackup's {@code -l} default. */
  public static final String DEFAULT_LABEL = "pg_basebackup base backup";

  /** pg_basebackup's {@code -s} default. */
  public static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(10);

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
    public static @Nullable Format parse(String value) {
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
     * A {@code -X} value as pg_basebackup reads it: {@code n}/{@code none}, {@code f}/{@code fetch}
     * or {@code s}/{@code stream}.
     *
     * @return the method, or null for anything else
     */
    public static @Nullable WalMethod parse(String value) {
      return switch (value) {
        case "n", "none" -> NONE;
        case "f", "fetch" -> FETCH;
        case "s", "stream" -> STREAM;
        default -> null;
      };
    }
  }

  /**
   * Checks what no server would accept.
   *
   * @throws IllegalArgumentException when WAL is streamed anywhere but into a directory or an
   *     external sink
   */
  public BaseBackupRequest {
    Objects.requireNonNull(destination, "destination");
    tablespaceMappings = List.copyOf(tablespaceMappings);
    compression = compression == null ? BackupCompression.NONE : compression;
    if (walMethod == WalMethod.STREAM
        && !(destination instanceof Destination.Directory)
        && !(destination instanceof Destination.External)) {
      throw new IllegalArgumentException("WAL can only be streamed into a directory");
    }
  }

  /** A builder at pg_basebackup's defaults; set at least the {@link Builder#destination}. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this request's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Builds a {@link BaseBackupRequest}; every setter returns the builder. The defaults are
   * pg_basebackup's: plain format, {@code -X stream} with a temporary slot, spread checkpoint, size
   * estimate, manifest with the server's checksums, fsync at the end, clean-up on failure.
   */
  public static final class Builder {
    private @Nullable Destination destination;
    private Format format = Format.PLAIN;
    private WalMethod walMethod = WalMethod.STREAM;
    private @Nullable String slotName;
    private boolean createSlot;
    private boolean temporarySlot = true;
    private boolean writeRecoveryConf;
    private boolean fastCheckpoint;
    private String label = DEFAULT_LABEL;
    private boolean estimateSize = true;
    private int maxRateKb;
    private List<TablespaceMapping> tablespaceMappings = List.of();
    private @Nullable Path walDir;
    private boolean sync = true;
    private boolean keepOnFailure;
    private String manifest = "yes";
    private @Nullable String manifestChecksums;
    private boolean verifyChecksums = true;
    private Duration statusInterval = DEFAULT_STATUS_INTERVAL;
    private @Nullable Map<String, String> recoveryConninfo;
    private BackupCompression compression = BackupCompression.NONE;
    private @Nullable Path incrementalManifest;
    private boolean waitForArchive = true;

    private Builder() {}

    private Builder(BaseBackupRequest r) {
      destination = r.destination;
      format = r.format;
      walMethod = r.walMethod;
      slotName = r.slotName;
      createSlot = r.createSlot;
      temporarySlot = r.temporarySlot;
      writeRecoveryConf = r.writeRecoveryConf;
      fastCheckpoint = r.fastCheckpoint;
      label = r.label;
      estimateSize = r.estimateSize;
      maxRateKb = r.maxRateKb;
      tablespaceMappings = r.tablespaceMappings;
      walDir = r.walDir;
      sync = r.sync;
      keepOnFailure = r.keepOnFailure;
      manifest = r.manifest;
      manifestChecksums = r.manifestChecksums;
      verifyChecksums = r.verifyChecksums;
      statusInterval = r.statusInterval;
      recoveryConninfo = r.recoveryConninfo;
      compression = r.compression;
      incrementalManifest = r.incrementalManifest;
      waitForArchive = r.waitForArchive;
    }

    /** {@code -D DIR}, {@code -D -} or {@code -t}; required. */
    public Builder destination(Destination v) {
      destination = v;
      return this;
    }

    /** {@code -F}; default plain. */
    public Builder format(Format v) {
      format = v;
      return this;
    }

    /** {@code -X}; default stream. */
    public Builder walMethod(WalMethod v) {
      walMethod = v;
      return this;
    }

    /** {@code -S}; default none. */
    public Builder slotName(@Nullable String v) {
      slotName = v;
      return this;
    }

    /** {@code -C}; default off. */
    public Builder createSlot(boolean v) {
      createSlot = v;
      return this;
    }

    /** A temporary slot for streaming; default on ({@code --no-slot} turns it off). */
    public Builder temporarySlot(boolean v) {
      temporarySlot = v;
      return this;
    }

    /** {@code -R}; default off. */
    public Builder writeRecoveryConf(boolean v) {
      writeRecoveryConf = v;
      return this;
    }

    /** {@code -c fast}; default spread. */
    public Builder fastCheckpoint(boolean v) {
      fastCheckpoint = v;
      return this;
    }

    /** {@code -l}; default {@value #DEFAULT_LABEL}. */
    public Builder label(String v) {
      label = v;
      return this;
    }

    /** PROGRESS; default on ({@code --no-estimate-size} turns it off). */
    public Builder estimateSize(boolean v) {
      estimateSize = v;
      return this;
    }

    /** {@code -r} in kB/s; default 0, unlimited. */
    public Builder maxRateKb(int v) {
      maxRateKb = v;
      return this;
    }

    /** {@code -T}; default none. */
    public Builder tablespaceMappings(List<TablespaceMapping> v) {
      tablespaceMappings = v;
      return this;
    }

    /** {@code --waldir}; default none. */
    public Builder walDir(@Nullable Path v) {
      walDir = v;
      return this;
    }

    /** fsync at the end; default on ({@code -N} turns it off). */
    public Builder sync(boolean v) {
      sync = v;
      return this;
    }

    /** {@code -n}; default off. */
    public Builder keepOnFailure(boolean v) {
      keepOnFailure = v;
      return this;
    }

    /** {@code yes} (default), {@code no} or {@code force-encode}. */
    public Builder manifest(String v) {
      manifest = v;
      return this;
    }

    /** {@code --manifest-checksums}; default null, the server's choice. */
    public Builder manifestChecksums(@Nullable String v) {
      manifestChecksums = v;
      return this;
    }

    /** Data page checksums verified; default on ({@code --no-verify-checksums}). */
    public Builder verifyChecksums(boolean v) {
      verifyChecksums = v;
      return this;
    }

    /** {@code -s}; default 10 seconds. */
    public Builder statusInterval(Duration v) {
      statusInterval = v;
      return this;
    }

    /** What {@code -R} writes into {@code primary_conninfo}; default null, from the connection. */
    public Builder recoveryConninfo(@Nullable Map<String, String> v) {
      recoveryConninfo = v;
      return this;
    }

    /** {@code -z}/{@code -Z}; default none. */
    public Builder compression(BackupCompression v) {
      compression = v;
      return this;
    }

    /** {@code -i}; default null, a full backup. */
    public Builder incrementalManifest(@Nullable Path v) {
      incrementalManifest = v;
      return this;
    }

    /** With {@code -X none}, wait for the WAL to be archived; default on. */
    public Builder waitForArchive(boolean v) {
      waitForArchive = v;
      return this;
    }

    /**
     * The request.
     *
     * @throws NullPointerException without a destination
     * @throws IllegalArgumentException as {@link BaseBackupRequest#BaseBackupRequest}
     */
    public BaseBackupRequest build() {
      return new BaseBackupRequest(
          Objects.requireNonNull(destination, "destination"),
          format,
          walMethod,
          slotName,
          createSlot,
          temporarySlot,
          writeRecoveryConf,
          fastCheckpoint,
          label,
          estimateSize,
          maxRateKb,
          tablespaceMappings,
          walDir,
          sync,
          keepOnFailure,
          manifest,
          manifestChecksums,
          verifyChecksums,
          statusInterval,
          recoveryConninfo,
          compression,
          incrementalManifest,
          waitForArchive);
    }
  }
}
