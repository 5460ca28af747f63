// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.compress.ArchiveDecompressor;
import io.jwalreceiver.basebackup.compress.ArchiveEncoder;
import io.jwalreceiver.basebackup.manifest.ManifestParser;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarReader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code -F t -D -}: the one archive ({@code base.tar}) written to standard output, as
 * pg_basebackup does it: the archive is parsed and written again member by member so that {@code
 * backup_manifest} and then the {@code -R} files ({@code standby.signal}) can be added before the
 * end blocks (the manifest arrives after the archive); pg_basebackup 15 writes them in that order.
 * With client-side compression the whole stream is compressed. A server-compressed archive is
 * copied through as it is, which is only possible without a manifest and without {@code -R} (the
 * caller refuses the rest).
 */
public final class StdoutTarSink implements BackupSink {

  private static final String NAME = "-";

  private final OutputStream stdout;
  private final @Nullable String recoveryConf;
  private final Compression compression;
  private final int gzipWorkers;

  private @Nullable WritableByteChannel output;
  private @Nullable ArchiveEncoder encoder;
  private @Nullable TarWriter writer;
  private @Nullable TarReader reader;
  private @Nullable RecoveryInjector injector;
  private boolean raw;

  /** The manifest, spooled to a temporary file until its size (for the member header) is known. */
  private @Nullable Path manifest;

  private @Nullable FileChannel manifestChannel;
  private long manifestSize;
  private boolean archiveSeen;

  /**
   * @param stdout standard output
   * @param recoveryConf the {@code -R} lines, or null
   * @param compression client-side compression of the stream, or {@link Compression#NONE}
   * @param gzipWorkers threads for gzip (0 = on the receiving thread)
   */
  public StdoutTarSink(
      OutputStream stdout,
      @Nullable String recoveryConf,
      Compression compression,
      int gzipWorkers) {
    this.stdout = stdout;
    this.recoveryConf = recoveryConf;
    this.compression = compression;
    this.gzipWorkers = gzipWorkers;
  }

  @Override
  public void archiveStart(String name, String tablespacePath, boolean terminated) {
    if (archiveSeen) {
      // The caller checked the tablespace count; a second archive is a protocol error.
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "can only write single tablespace to stdout, server sent archive \"" + name + "\"");
    }
    archiveSeen = true;
    Compression.Algorithm serverSide = ArchiveDecompressor.algorithmOf(name);
    output = Channels.newChannel(stdout);
    if (compression.compressed()) {
      encoder = ArchiveEncoder.open(compression, output, gzipWorkers);
      output = encoder;
    }
    if (serverSide != Compression.Algorithm.NONE) {
      if (recoveryConf != null || serverSide == null) {
        throw RecoveryInjector.cannotParse(name);
      }
      raw = true;
      return;
    }
    TarWriter writer = new TarWriter(Objects.requireNonNull(output, "output is open"), NAME);
    RecoveryInjector injector = new RecoveryInjector(writer, recoveryConf).deferTrailer();
    this.writer = writer;
    this.injector = injector;
    reader = new TarReader(injector);
  }

  @Override
  public void archiveData(ByteBuffer data) {
    if (raw) {
      write(data);
    } else {
      Objects.requireNonNull(reader, "an archive is open").feed(data);
    }
  }

  @Override
  public void archiveEnd() {
    if (reader != null) {
      // The -R members and the end blocks wait for the manifest.
      reader.finish();
      reader = null;
    }
  }

  @Override
  public void manifestStart() {
    try {
      // Not in memory: the server decides how big it is (pg_basebackup keeps it in memory).
      manifest = Files.createTempFile("jwalreceiver-backup_manifest", ".tmp");
      manifestChannel =
          FileChannel.open(
              manifest,
              StandardOpenOption.WRITE,
              StandardOpenOption.READ,
              StandardOpenOption.DELETE_ON_CLOSE);
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not create a temporary file for the manifest", e);
    }
  }

  @Override
  public void manifestData(ByteBuffer data) {
    manifestSize += data.remaining();
    if (manifestSize > ManifestFile.MAX_SIZE) {
      throw ManifestParser.tooLarge(ManifestFile.MAX_SIZE);
    }
    FileChannel manifestChannel =
        Objects.requireNonNull(this.manifestChannel, "the manifest started");
    try {
      while (data.hasRemaining()) {
        manifestChannel.write(data);
      }
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write to file \"" + manifest + "\"", e);
    }
  }

  @Override
  public void manifestEnd() {
    TarWriter writer = this.writer;
    RecoveryInjector injector = this.injector;
    FileChannel manifestChannel = this.manifestChannel;
    if (writer == null || injector == null) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION, "cannot inject manifest into a compressed tar file");
    }
    writer.startEntry(
        TarHeader.regularFile(
            "backup_manifest", manifestSize, 0600, 0, 0, System.currentTimeMillis() / 1000));
    try {
      Objects.requireNonNull(manifestChannel, "the manifest started");
      ByteBuffer block = ByteBuffer.allocate(64 * 1024);
      long at = 0;
      while (at < manifestSize) {
        block.clear();
        int n = manifestChannel.read(block, at);
        if (n < 0) {
          throw new IOException("unexpected end of file");
        }
        at += n;
        writer.writeData(block.flip());
      }
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not read file \"" + manifest + "\"", e);
    }
    writer.endEntry();
    closeManifest();
    injector.writeTrailer();
  }

  @Override
  public void finish() {
    if (writer != null) {
      Objects.requireNonNull(injector).writeTrailer();
      writer.finish();
    }
    try {
      if (encoder != null) {
        encoder.finish();
        encoder.close();
        encoder = null;
      }
      stdout.flush();
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write to standard output", e);
    }
  }

  /** Closes (and so deletes) the spooled manifest. */
  private void closeManifest() {
    if (manifestChannel != null) {
      try {
        manifestChannel.close();
      } catch (IOException ignored) {
        // A temporary file: deleted on close, or by the system's cleaning of its directory.
      }
      manifestChannel = null;
    }
  }

  @Override
  public void abort() {
    closeManifest();
    if (encoder != null) {
      encoder.close();
    }
    try {
      stdout.flush();
    } catch (IOException ignored) {
      // Failing anyway.
    }
  }

  private void write(ByteBuffer data) {
    try {
      while (data.hasRemaining()) {
        Objects.requireNonNull(output, "output is open").write(data);
      }
    } catch (IOException e) {
      throw OutputDirectory.ioError("could not write to standard output", e);
    }
  }
}
