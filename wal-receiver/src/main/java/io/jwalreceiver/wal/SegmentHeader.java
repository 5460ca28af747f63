// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import io.jwalreceiver.SegmentName.ParsedWalFileName;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.compress.SegmentDecoder;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The long page header at the start of every WAL segment ({@code XLogLongPageHeaderData}): the
 * cluster's system identifier ({@code xlp_sysid}) that the archive's files were written by. Read
 * from archived files, plain or compressed, so that a restarted archiver knows which cluster its
 * directory belongs to before it connects anywhere.
 */
final class SegmentHeader {

  /** {@code XLP_LONG_HEADER} in {@code xlp_info}. */
  private static final int XLP_LONG_HEADER = 0x0002;

  /** Bytes of the long header up to and including {@code xlp_xlog_blcksz}. */
  private static final int LONG_HEADER_SIZE = 40;

  private static final int CHUNK = 64 * 1024;

  private SegmentHeader() {}

  /**
   * The system identifier in the file's long page header.
   *
   * @param file the segment file
   * @param parsed its parsed name (compression, segment)
   * @param size the segment size the header must state
   * @return the identifier (decimal, unsigned), or empty when the file does not start with a valid
   *     long header for this segment (a zero-filled {@code .partial}, a short or unreadable file)
   */
  static Optional<String> systemId(Path file, ParsedWalFileName parsed, WalSegmentSize size) {
    byte[] header = new byte[LONG_HEADER_SIZE];
    try (InputStream in = open(file, parsed.compression())) {
      if (in.readNBytes(header, 0, LONG_HEADER_SIZE) < LONG_HEADER_SIZE) {
        return Optional.empty();
      }
    } catch (IOException | RuntimeException e) {
      // Unreadable or corrupt: it tells nothing about the cluster; another file may.
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder());
    int info = Short.toUnsignedInt(b.getShort(2));
    long pageAddress = b.getLong(8);
    long sysid = b.getLong(24);
    int segmentSize = b.getInt(32);
    if ((info & XLP_LONG_HEADER) == 0
        || segmentSize != size.bytes()
        || pageAddress != parsed.segment().startLsn().value()
        || sysid == 0) {
      return Optional.empty();
    }
    return Optional.of(Long.toUnsignedString(sysid));
  }

  /**
   * The file's uncompressed content.
   *
   * @param file the file
   * @param compression a {@link ParsedWalFileName} compression
   * @return the stream, buffered
   * @throws IOException when the file cannot be opened or its compression header is bad
   */
  static InputStream open(Path file, String compression) throws IOException {
    return SegmentDecoder.open(
        new BufferedInputStream(Files.newInputStream(file), CHUNK), compression);
  }
}
