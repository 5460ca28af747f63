// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.compress.ArchiveEncoder;
import io.jwalreceiver.basebackup.sink.DirectoryTree;
import io.jwalreceiver.basebackup.stream.BackupListener;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code -F t -X stream}: packs the streamed WAL directory into {@code pg_wal.tar} with
 * pg_basebackup's member names ({@code <segment>}, {@code <tli>.history}, {@code
 * archive_status/<segment>.done}) and end blocks, then removes the staging directory.
 *
 * <p>With client-side gzip the tar is written through a gzip encoder into {@code pg_wal.tar.gz}
 * (pg_basebackup compresses pg_wal.tar only for gzip).
 *
 * <p>pg_basebackup writes the tar while streaming; staging the (usually few) segments in a
 * directory first reuses the segment writer and its durability rules, at the cost of one extra copy
 * of the streamed WAL.
 */
final class WalTarPacker {

  private WalTarPacker() {}

  /**
   * Packs {@code walDir} into {@code tarFile}, compressed as {@code compression} says.
   *
   * @param gzipWorkers threads for gzip
   */
  static void pack(
      Path walDir,
      Path tarFile,
      boolean sync,
      Compression compression,
      int gzipWorkers,
      boolean groupAccess) {
    try (FileChannel out =
        io.jwalreceiver.basebackup.sink.OutputDirectory.createFile(tarFile, groupAccess)) {
      ArchiveEncoder encoder =
          compression.compressed() ? ArchiveEncoder.open(compression, out, gzipWorkers) : null;
      write(walDir, encoder != null ? encoder : out, tarFile.getFileName().toString());
      if (encoder != null) {
        try {
          encoder.finish();
        } finally {
          encoder.close();
        }
      }
      if (sync) {
        out.force(true);
      }
    } catch (IOException e) {
      throw io("could not write file \"" + tarFile + "\"", e);
    }
    delete(java.util.Objects.requireNonNull(walDir.getParent(), "pg_wal has a parent"));
  }

  /**
   * Writes {@code walDir} as an uncompressed tar (members and end blocks) into {@code out}.
   *
   * @param name the tar's name, for messages
   */
  static void write(Path walDir, WritableByteChannel out, String name) throws IOException {
    List<Path> members = new ArrayList<>();
    try (Stream<Path> files = Files.list(walDir)) {
      files.filter(Files::isRegularFile).sorted().forEach(members::add);
    } catch (IOException e) {
      throw io("could not read directory \"" + walDir + "\"", e);
    }
    Path status = walDir.resolve("archive_status");
    if (Files.isDirectory(status)) {
      try (Stream<Path> files = Files.list(status)) {
        files.filter(Files::isRegularFile).sorted().forEach(members::add);
      } catch (IOException e) {
        throw io("could not read directory \"" + status + "\"", e);
      }
    }
    long now = System.currentTimeMillis() / 1000;
    TarWriter writer = new TarWriter(out, name);
    ByteBuffer buf = ByteBuffer.allocate(1024 * 1024);
    for (Path p : members) {
      String member = walDir.relativize(p).toString();
      long size = Files.size(p);
      writer.startEntry(TarHeader.regularFile(member, size, 0600, 0, 0, now));
      try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
        while (true) {
          buf.clear();
          if (in.read(buf) < 0) {
            break;
          }
          buf.flip();
          writer.writeData(buf);
        }
      }
      writer.endEntry();
    }
    writer.finish();
  }

  /**
   * {@link Destination.External}: passes {@code walDir} to {@code sink} as one more archive,
   * {@value Destination.External#WAL_ARCHIVE} (uncompressed tar; the sink stores it as it stores
   * the others), then removes {@code walDir}.
   */
  static void pass(Path walDir, BackupListener sink) {
    String name = Destination.External.WAL_ARCHIVE;
    sink.archiveStart(name, Destination.External.WAL_ARCHIVE_PATH, true);
    WritableByteChannel out =
        new WritableByteChannel() {
          @Override
          public int write(ByteBuffer src) {
            int n = src.remaining();
            sink.archiveData(src);
            src.position(src.limit());
            return n;
          }

          @Override
          public boolean isOpen() {
            return true;
          }

          @Override
          public void close() {}
        };
    try {
      write(walDir, out, name);
    } catch (IOException e) {
      throw io("could not read directory \"" + walDir + "\"", e);
    }
    sink.archiveEnd();
    delete(walDir);
  }

  private static void delete(Path dir) {
    try {
      DirectoryTree.delete(dir, false);
    } catch (IOException e) {
      throw io("could not remove directory \"" + dir + "\"", e);
    }
  }

  private static PgException io(String what, IOException e) {
    return new PgException(SqlState.IO_ERROR, what + ": " + e.getMessage(), e);
  }
}
