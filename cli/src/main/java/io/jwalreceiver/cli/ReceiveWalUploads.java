// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.upload.UploadOptions;
import io.jwalreceiver.archive.upload.WalUploader;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.wal.ReceiverOptions;
import io.jwalreceiver.wal.ResumePoint;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.SegmentFileOptions;
import io.jwalreceiver.wal.segment.SegmentFileSink;
import io.jwalreceiver.wal.segment.SyncPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.Consumer;

/**
 * {@code receivewal --target}: the {@link WalUploader} of a run and its wiring into the receiver
 * (the removal gate around each resume scan, the wake-up per completed segment, the receiver of
 * {@code --ack-after-upload}, the bounded drain at a stop), apart from {@link ReceiveWalCommand}'s
 * pg_receivewal surface.
 */
final class ReceiveWalUploads {

  /** How long a stop waits for the upload of what is complete. */
  static final Duration UPLOAD_DRAIN = Duration.ofSeconds(30);

  private final Cli cli;
  private final WalUploader uploader;

  ReceiveWalUploads(
      Cli cli,
      ObjectStore store,
      Path dir,
      boolean keepLocal,
      boolean verbose,
      InstantSource clock) {
    this.cli = cli;
    this.uploader =
        new WalUploader(
            dir,
            store,
            ArchiveLayout.STORE,
            UploadOptions.DEFAULTS.withKeepLocal(keepLocal),
            new WalUploader.Listener() {
              @Override
              public void uploaded(String fileName, String location) {
                if (verbose) {
                  cli.info("uploaded " + fileName + " to " + location);
                }
              }

              @Override
              public void warning(String message) {
                cli.warning(message);
              }
            },
            clock);
  }

  /** The uploader itself (for the metrics). */
  WalUploader uploader() {
    return uploader;
  }

  /** Starts the uploads (of what -D already holds, then of each completed segment). */
  void start() {
    uploader.start();
  }

  /** A sink is open: the resume scan of this connection is over, removals cannot confuse it. */
  void resumeScanned() {
    uploader.allowRemovals(true);
  }

  /**
   * An attempt to connect starts: it scans -D for its resume point, no file may vanish until its
   * sink is open ({@link #resumeScanned}).
   */
  void connecting() {
    uploader.allowRemovals(false);
  }

  /**
   * A connection is lost or an attempt failed: until the next attempt nothing scans -D, and
   * uploaded files may leave it. That is what frees a full spool: an attempt that fails for want of
   * space (preparing its first segment) never opens a sink, so holding removals back until the next
   * sink opens would keep the spool full for good.
   */
  void disconnected() {
    uploader.allowRemovals(true);
  }

  /** A segment is complete: upload it. */
  void segmentCompleted() {
    uploader.wake();
  }

  /**
   * {@code --ack-after-upload}: WalArchiver's receiver, with the sink's flush position held back to
   * what is uploaded.
   */
  WalReceiver ackingReceiver(
      ConnectionConfig config,
      ReceiverOptions receiverOptions,
      Path dir,
      SyncPolicy syncPolicy,
      Compression compression,
      Consumer<SegmentFileSink> onSinkOpened,
      WalReceiver.Listener listener,
      InstantSource clock) {
    SegmentFileOptions fileOptions =
        SegmentFileOptions.DEFAULTS.withSyncPolicy(syncPolicy).withCompression(compression);
    return new WalReceiver(
        config,
        receiverOptions,
        (size, groupAccess) -> {
          SegmentFileSink sink =
              SegmentFileSink.open(dir, size, fileOptions.withGroupAccess(groupAccess));
          onSinkOpened.accept(sink);
          return new UploadAckSink(sink, uploader, size);
        },
        size -> ResumePoint.scan(dir, size, cli::warning),
        listener,
        clock);
  }

  /** At a stop: uploads what is complete, for a bounded time. */
  void finish() {
    // The receiver scans no more: what is uploaded may go.
    uploader.allowRemovals(true);
    if (!uploader.close(UPLOAD_DRAIN)) {
      cli.warning(
          uploader.pendingFiles()
              + " completed WAL file(s) not uploaded yet; the next run uploads them");
    }
  }

  /** Whether {@code --target}'s directory is the -D directory {@code b}. */
  static boolean sameDirectory(Path a, Path b) {
    try {
      return Files.exists(a) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }
}
