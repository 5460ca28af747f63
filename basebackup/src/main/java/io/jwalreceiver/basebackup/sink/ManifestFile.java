// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.basebackup.manifest.ManifestParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code backup_manifest} of a backup, stored byte for byte as the server sent it: written as
 * {@code backup_manifest.tmp} while it arrives, forced with the rest of the backup, and renamed
 * into place (then the directory forced) only after everything it describes is durable —
 * pg_basebackup's order, so a manifest never vouches for a backup that is not on disk.
 */
final class ManifestFile {

  /**
   * The most bytes stored of a manifest that is not also checked as it arrives (whose bound is
   * {@link InlineVerifier}'s). A manifest line is 150 to 2300 bytes per file: 4 GiB lists some 2
   * million files at the longest encoding, far beyond a real data directory's manifest, and stops a
   * server that never ends one from filling the disk.
   */
  static final long MAX_SIZE = 4L << 30;

  private final Path tmp;
  private final Path target;
  private final Syncer syncer;
  private final OutputDirectory directory;
  private final long limit;
  private @Nullable FileChannel channel;
  private long written;

  ManifestFile(OutputDirectory directory, Syncer syncer) {
    this(directory, syncer, MAX_SIZE);
  }

  ManifestFile(OutputDirectory directory, Syncer syncer, long limit) {
    this.limit = limit;
    this.directory = directory;
    this.tmp = directory.path().resolve("backup_manifest.tmp");
    this.target = directory.path().resolve("backup_manifest");
    this.syncer = syncer;
  }

  void start() {
    try {
      channel = directory.createFile(tmp);
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not create file \"" + tmp + "\"", e);
    }
  }

  void data(ByteBuffer data) {
    written += data.remaining();
    if (written > limit) {
      throw ManifestParser.tooLarge(limit);
    }
    FileChannel channel = Objects.requireNonNull(this.channel, "the manifest started");
    try {
      while (data.hasRemaining()) {
        channel.write(data);
      }
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write to file \"" + tmp + "\"", e);
    }
  }

  /** The manifest is complete: its fsync joins the backup's. */
  void end() {
    syncer.fileDone(tmp, Objects.requireNonNull(channel, "the manifest started"));
    channel = null;
  }

  /** After the backup's sync: the durable rename, when a manifest was received. */
  void publish() {
    if (!Files.exists(tmp)) {
      return;
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not rename file \"" + tmp + "\"", e);
    }
    syncer.directory(java.util.Objects.requireNonNull(tmp.getParent()));
    syncer.finish();
  }

  /** After a failure: closes the file if it is open. */
  void closeQuietly() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Failing anyway; the failure is what gets reported.
      }
      channel = null;
    }
  }
}
