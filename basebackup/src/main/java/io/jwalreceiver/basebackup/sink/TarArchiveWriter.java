// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.basebackup.compress.ArchiveDecompressor;
import io.jwalreceiver.basebackup.compress.ArchiveEncoder;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.basebackup.tar.TarReader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One archive of a tar-format backup as it is stored, whatever stores it (a file for {@code -F t},
 * an object for an object-store target): the bytes as the server sent them, with the two end blocks
 * that 13/14 servers leave out; compressed as it is written with client-side compression; with
 * {@code -R}, {@code base.tar} rewritten member by member ({@link RecoveryInjector}), a
 * server-compressed one decompressed, rewritten and compressed again with the same algorithm.
 *
 * <p>The caller owns the output channel: it closes, syncs or commits it after {@link #end}.
 */
public final class TarArchiveWriter {

  private final String description;
  private final boolean terminated;
  private final StageTimes times;

  /** Where the archive's (tar) bytes go: the output, or an encoder writing into it. */
  private WritableByteChannel output;

  private @Nullable ArchiveEncoder encoder;
  private @Nullable ArchiveDecompressor decompressor;
  private @Nullable TarReader rewriter;
  private @Nullable TarWriter writer;

  /**
   * Starts an archive.
   *
   * @param name the archive's name as the server sent it ({@code base.tar}, {@code <oid>.tar}, with
   *     {@code .gz}/{@code .lz4}/{@code .zst} when the server compresses)
   * @param tablespacePath empty for the data directory (the archive {@code -R} rewrites)
   * @param terminated whether the server ends the tar with its end blocks
   * @param out where the stored bytes go (not closed here)
   * @param description the stored file's name or location, for messages
   * @param recoveryConf the {@code -R} lines, or null
   * @param compression client-side compression, or {@link Compression#NONE}
   * @param gzipWorkers threads for the encoder (0 = on the receiving thread)
   * @param times where the time spent writing is counted
   */
  public TarArchiveWriter(
      String name,
      String tablespacePath,
      boolean terminated,
      WritableByteChannel out,
      String description,
      @Nullable String recoveryConf,
      Compression compression,
      int gzipWorkers,
      StageTimes times) {
    this.description = description;
    this.terminated = terminated;
    this.times = times;
    output = out;
    if (compression.compressed()) {
      encoder = ArchiveEncoder.open(compression, out, gzipWorkers);
      output = encoder;
    }
    if (tablespacePath.isEmpty() && recoveryConf != null) {
      Compression.Algorithm serverSide = ArchiveDecompressor.algorithmOf(name);
      if (serverSide == null) {
        abort();
        throw RecoveryInjector.cannotParse(name);
      }
      if (serverSide != Compression.Algorithm.NONE) {
        // Not both: client-side and server-side compression exclude each other.
        encoder = ArchiveEncoder.open(Compression.of(serverSide), out, gzipWorkers);
        output = encoder;
      }
      writer = new TarWriter(output, storedName(name, compression));
      rewriter = new TarReader(new RecoveryInjector(writer, recoveryConf));
      if (serverSide != Compression.Algorithm.NONE) {
        decompressor = new ArchiveDecompressor(serverSide, name, rewriter::feed);
      }
    }
  }

  /** The name an archive is stored under: the server's name and the client compression's suffix. */
  public static String storedName(String name, Compression compression) {
    return name + compression.extension();
  }

  /** Bytes of the archive. */
  public void data(ByteBuffer data) {
    if (decompressor != null) {
      decompressor.feed(data);
    } else if (rewriter != null) {
      rewriter.feed(data);
    } else {
      long t = times.start();
      write(output, data);
      times.end(StageTimes.Stage.EXTRACTION, t);
    }
  }

  /** The archive is complete: end blocks (when missing) written, the encoder finished. */
  public void end() {
    if (decompressor != null) {
      decompressor.finish();
      decompressor = null;
    }
    if (rewriter != null) {
      // finish() reports the end (once) whether or not the server sent end blocks; the
      // injector appends the recovery members then.
      rewriter.finish();
      Objects.requireNonNull(writer, "rewriting").finish();
      rewriter = null;
      writer = null;
    } else if (!terminated) {
      // 13/14 servers leave out the end-of-archive blocks; a tar file needs them.
      write(output, TarWriter.endOfArchive());
    }
    if (encoder != null) {
      try {
        encoder.finish();
      } catch (IOException e) {
        throw OutputDirectory.ioError("could not write to file \"" + description + "\"", e);
      } finally {
        encoder.close();
      }
      encoder = null;
    }
  }

  /** After a failure: stops the decompressor and the encoder's threads. Never throws. */
  public void abort() {
    if (decompressor != null) {
      decompressor.abort();
    }
    if (encoder != null) {
      encoder.close();
    }
  }

  private void write(WritableByteChannel ch, ByteBuffer data) {
    try {
      while (data.hasRemaining()) {
        ch.write(data);
      }
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write to file \"" + description + "\"", e);
    }
  }
}
