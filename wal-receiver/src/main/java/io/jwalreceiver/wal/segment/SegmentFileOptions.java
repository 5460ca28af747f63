// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import io.jwalreceiver.compress.Compression;
import java.util.Objects;

/**
 * Options of a {@link SegmentFileSink}: a record with defaults ({@link #DEFAULTS}) and {@code
 * withX} methods.
 *
 * @param syncPolicy when to force; {@link SyncPolicy#ON_REQUEST} by default
 * @param groupAccess create files with mode 0640 and directories with 0750 instead of 0600 and
 *     0700, as the tools do when the source cluster allows group access
 * @param markDone write an empty {@code archive_status/<name>.done} after each completed segment
 *     and history file (pg_basebackup's {@code -X stream}; pg_receivewal never does)
 * @param compression how segment files are compressed; {@link Compression#NONE} by default
 * @param partialSuffix name incomplete segments {@code <24 hex>.partial} (pg_receivewal; the
 *     default) rather than under their final names from the start (pg_basebackup's streamer)
 */
public record SegmentFileOptions(
    SyncPolicy syncPolicy,
    boolean groupAccess,
    boolean markDone,
    Compression compression,
    boolean partialSuffix) {

  /** {@link SyncPolicy#ON_REQUEST}, owner-only modes, no {@code .done} markers, uncompressed. */
  public static final SegmentFileOptions DEFAULTS =
      new SegmentFileOptions(SyncPolicy.ON_REQUEST, false, false);

  /**
   * Checks for nulls.
   *
   * @param syncPolicy when to force
   * @param groupAccess group-readable modes
   * @param markDone write {@code .done} markers
   * @param compression how segment files are compressed
   * @param partialSuffix whether incomplete segments carry {@code .partial}
   */
  public SegmentFileOptions {
    Objects.requireNonNull(syncPolicy, "syncPolicy");
    Objects.requireNonNull(compression, "compression");
  }

  /**
   * Uncompressed segment files.
   *
   * @param syncPolicy when to force
   * @param groupAccess group-readable modes
   * @param markDone write {@code .done} markers
   */
  public SegmentFileOptions(SyncPolicy syncPolicy, boolean groupAccess, boolean markDone) {
    this(syncPolicy, groupAccess, markDone, Compression.NONE, true);
  }

  /**
   * Segment files named with {@code .partial} while incomplete.
   *
   * @param syncPolicy when to force
   * @param groupAccess group-readable modes
   * @param markDone write {@code .done} markers
   * @param compression how segment files are compressed
   */
  public SegmentFileOptions(
      SyncPolicy syncPolicy, boolean groupAccess, boolean markDone, Compression compression) {
    this(syncPolicy, groupAccess, markDone, compression, true);
  }

  /**
   * These options with another sync policy.
   *
   * @param policy the policy
   * @return the changed options
   */
  public SegmentFileOptions withSyncPolicy(SyncPolicy policy) {
    return new SegmentFileOptions(policy, groupAccess, markDone, compression, partialSuffix);
  }

  /**
   * These options with group access on or off.
   *
   * @param enabled whether files are group-readable
   * @return the changed options
   */
  public SegmentFileOptions withGroupAccess(boolean enabled) {
    return new SegmentFileOptions(syncPolicy, enabled, markDone, compression, partialSuffix);
  }

  /**
   * These options with {@code .done} markers on or off.
   *
   * @param enabled whether to write markers
   * @return the changed options
   */
  public SegmentFileOptions withMarkDone(boolean enabled) {
    return new SegmentFileOptions(syncPolicy, groupAccess, enabled, compression, partialSuffix);
  }

  /**
   * These options with another compression.
   *
   * @param newCompression the compression; {@link Compression#NONE} for plain files
   * @return the changed options
   */
  public SegmentFileOptions withCompression(Compression newCompression) {
    return new SegmentFileOptions(syncPolicy, groupAccess, markDone, newCompression, partialSuffix);
  }

  /**
   * These options with the {@code .partial} suffix on (pg_receivewal) or off (pg_basebackup's
   * streamer writes segments under their final names, pre-sized, from the start).
   *
   * @param enabled whether incomplete segments carry {@code .partial}
   * @return the changed options
   */
  public SegmentFileOptions withPartialSuffix(boolean enabled) {
    return new SegmentFileOptions(syncPolicy, groupAccess, markDone, compression, enabled);
  }
}
