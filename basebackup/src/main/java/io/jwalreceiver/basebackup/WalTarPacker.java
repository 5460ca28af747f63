// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.compress.ArchiveEncoder;
import io.jwalreceiver.basebackup.sink.DirectoryTree;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
    try (FileChannel out =
        io.jwalreceiver.basebackup.sink.OutputDirectory.createFile(tarFile, groupAccess)) {
      ArchiveEncoder encoder =
          compression.compressed() ? ArchiveEncoder.open(compression, out, gzipWorkers) : null;
      TarWriter writer =
          new TarWriter(encoder != null ? encoder : out, tarFile.getFileName().toString());
      ByteBuffer buf = ByteBuffer.allocate(1024 * 1024);
      for (Path p : members) {
        String name = walDir.relativize(p).toString();
        long size = Files.size(p);
        writer.startEntry(TarHeader.regularFile(name, size, 0600, 0, 0, now));
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
