// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.stream.StageTimes;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What the two sinks that write into a directory ({@link DirectoryBackupSink}, {@link
 * TarFileBackupSink}) share: the background {@link Syncer}, the manifest written as {@code
 * backup_manifest.tmp} and renamed into place once everything else is durable, the inline check of
 * the received files against it ({@link InlineVerifier}), and the clean-up after a failure.
 */
abstract class DiskSink implements BackupSink {

  final OutputDirectory target;
  final boolean keepOnFailure;
  final Syncer syncer;
  final ManifestFile manifest;

  /** Checks the files against the manifest as they arrive; null when not checking. */
  @Nullable InlineVerifier verifier;

  StageTimes times = StageTimes.OFF;

  DiskSink(
      OutputDirectory target,
      boolean sync,
      boolean keepOnFailure,
      @Nullable ChecksumAlgorithm verifyWith) {
    this.verifier = verifyWith == null ? null : new InlineVerifier(verifyWith);
    this.target = target;
    this.keepOnFailure = keepOnFailure;
    this.syncer = new Syncer(sync);
    this.manifest = new ManifestFile(target, syncer);
  }

  /** Times the subclass's stages and the fsyncs into {@code t}. */
  final void timeInto(StageTimes t) {
    this.times = t;
    syncer.timed(t);
  }

  @Override
  public final void manifestStart() {
    manifest.start();
    toVerifier(InlineVerifier::manifestStart);
  }

  @Override
  public final void manifestData(ByteBuffer data) {
    toVerifier(v -> v.manifestData(data));
    manifest.data(data);
  }

  @Override
  public final void manifestEnd() {
    manifest.end();
    toVerifier(InlineVerifier::manifestEnd);
  }

  /** Passes a manifest event on to the inline check, when there is one. */
  private void toVerifier(Consumer<InlineVerifier> event) {
    InlineVerifier v = verifier;
    if (v != null) {
      event.accept(v);
    }
  }

  /**
   * How many manifest entries the received files were checked against, or -1 when no check ran (no
   * manifest).
   */
  @Override
  public final int verifiedFiles() {
    InlineVerifier v = verifier;
    return v == null ? -1 : v.verified();
  }

  @Override
  public final @Nullable ChecksumAlgorithm verifiedWith() {
    InlineVerifier v = verifier;
    return v == null ? null : v.algorithm();
  }

  @Override
  public final void finish() {
    syncer.finish();
    manifest.publish();
  }

  /**
   * The shared end of {@link #abort}, after the subclass closed its own files: the manifest closed,
   * the background syncs stopped, and what was written removed (unless {@code -n}).
   */
  final void abandon() {
    manifest.closeQuietly();
    syncer.abort();
    if (!keepOnFailure) {
      target.cleanUp();
    }
  }
}
