// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static io.jwalreceiver.basebackup.tar.TarHeader.BLOCK_SIZE;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Writes a tar stream in the server's format (protocol-notes §5.4): headers from {@link
 * TarHeader#encode()}, data, zero padding to 512, and the two zero blocks at {@link #finish()}.
 * Used for {@code -F t} archives of PostgreSQL 13 and 14, which arrive without end blocks, for
 * {@code pg_wal.tar}, and to inject {@code standby.signal} and {@code postgresql.auto.conf} for
 * {@code -R}.
 *
 * <pre>
 * ├ [pax 'x' header │ records │ pad] ┤ header │ data ──────── │ pad ┤ … ├ zero block │ zero block ┤
 *   only for names over 100 bytes      startEntry  writeData*   endEntry   finish()
 * </pre>
 *
 * <p>A member whose name or link target does not fit the 100-byte ustar field gets a pax {@code x}
 * member with {@code path} / {@code linkpath} records first (the server never needs this; it
 * refuses such names). The channel is not closed by this class. Not thread-safe.
 */
public final class TarWriter {

  /** 1024 zero bytes: two end blocks, and a source for padding. */
  private static final ByteBuffer ZEROS = ByteBuffer.allocate(2 * BLOCK_SIZE).asReadOnlyBuffer();

  private static final String PAX_HEADER_NAME = "././@PaxHeader";

  private final WritableByteChannel out;
  private final String archiveName;
  private final ByteBuffer headerBuffer = ByteBuffer.allocate(BLOCK_SIZE);

  private long position;
  private @Nullable TarHeader current;
  private long dataRemaining;
  private boolean finished;

  /**
   * A writer appending to {@code out} at its current position.
   *
   * @param archiveName how error messages name the archive, e.g. its file name
   */
  public TarWriter(WritableByteChannel out, String archiveName) {
    this.out = Objects.requireNonNull(out, "out");
    this.archiveName = Objects.requireNonNull(archiveName, "archiveName");
  }

  /**
   * A writer appending to a stream (for example standard output for {@code -D -}).
   *
   * @param archiveName how error messages name the archive
   */
  public TarWriter(OutputStream out, String archiveName) {
    this(Channels.newChannel(Objects.requireNonNull(out, "out")), archiveName);
  }

  /**
   * A read-only buffer of the 1024 zero bytes that end an archive, for callers that copy a server's
   * archive through themselves.
   */
  public static ByteBuffer endOfArchive() {
    return ZEROS.duplicate();
  }

  /** Bytes written so far. */
  public long position() {
    return position;
  }

  /**
   * Writes a member's header; exactly {@link TarHeader#size()} bytes of {@link #writeData} must
   * follow before {@link #endEntry()}.
   *
   * @throws IllegalStateException when the previous member is not ended or after {@link #finish()}
   * @throws PgException 58030 or 53100 when writing fails
   */
  public void startEntry(TarHeader header) {
    Objects.requireNonNull(header, "header");
    ensureBetweenEntries("startEntry");
    byte[] name = header.name().getBytes(StandardCharsets.UTF_8);
    byte[] link = header.linkname().getBytes(StandardCharsets.UTF_8);
    boolean longName = name.length > TarHeader.NAME_LEN;
    boolean longLink = link.length > TarHeader.NAME_LEN;
    if (longName || longLink) {
      writePaxHeader(header, longName, longLink);
    }
    headerBuffer.clear();
    header.encodeTruncated(headerBuffer);
    write(headerBuffer.flip());
    current = header;
    dataRemaining = header.size();
  }

  /**
   * Writes the next bytes of the current member's data, consuming {@code data} entirely.
   *
   * @throws IllegalStateException when no member is open or the data exceeds its size
   * @throws PgException 58030 or 53100 when writing fails
   */
  public void writeData(ByteBuffer data) {
    if (current == null) {
      throw new IllegalStateException("writeData outside an entry");
    }
    if (data.remaining() > dataRemaining) {
      throw new IllegalStateException(
          "entry \""
              + current.name()
              + "\" has "
              + current.size()
              + " bytes; "
              + data.remaining()
              + " more would exceed it by "
              + (data.remaining() - dataRemaining));
    }
    dataRemaining -= data.remaining();
    write(data);
  }

  /**
   * Ends the current member: writes the zero padding to the next 512-byte boundary.
   *
   * @throws IllegalStateException when no member is open or its data is incomplete
   * @throws PgException 58030 or 53100 when writing fails
   */
  public void endEntry() {
    if (current == null) {
      throw new IllegalStateException("endEntry outside an entry");
    }
    if (dataRemaining != 0) {
      throw new IllegalStateException(
          "entry \"" + current.name() + "\" is missing " + dataRemaining + " data bytes");
    }
    writeZeros(current.padding());
    current = null;
  }

  /**
   * Writes a whole member: header, {@code data} (whose remaining bytes must number exactly {@link
   * TarHeader#size()}), padding.
   */
  public void writeEntry(TarHeader header, ByteBuffer data) {
    if (data.remaining() != header.size()) {
      throw new IllegalArgumentException(
          "entry \""
              + header.name()
              + "\" has size "
              + header.size()
              + " but "
              + data.remaining()
              + " data bytes were given");
    }
    startEntry(header);
    writeData(data);
    endEntry();
  }

  /**
   * Copies bytes of an existing tar stream through unchanged (a PostgreSQL 13 or 14 archive as
   * received), consuming {@code bytes} entirely. Members written before or after must line up:
   * {@link #startEntry} and {@link #finish()} require a 512-byte boundary.
   *
   * @throws IllegalStateException inside a member or after {@link #finish()}
   */
  public void writeArchiveBytes(ByteBuffer bytes) {
    if (current != null || finished) {
      throw new IllegalStateException("writeArchiveBytes inside an entry or after finish");
    }
    write(bytes);
  }

  /**
   * Writes the two 512-byte zero blocks that end the archive. The channel stays open.
   *
   * @throws IllegalStateException inside a member, off a block boundary, or when called twice
   * @throws PgException 58030 or 53100 when writing fails
   */
  public void finish() {
    ensureBetweenEntries("finish");
    writeZeros(2 * BLOCK_SIZE);
    finished = true;
  }

  private void ensureBetweenEntries(String what) {
    if (finished) {
      throw new IllegalStateException(what + " after finish");
    }
    if (current != null) {
      throw new IllegalStateException(
          what + " while entry \"" + current.name() + "\" is still open");
    }
    if (position % BLOCK_SIZE != 0) {
      throw new IllegalStateException(
          what + " at offset " + position + ", which is not on a 512-byte boundary");
    }
  }

  /**
   * A pax {@code x} member carrying the names that do not fit: {@code "<len> <key>=<value>\n"}
   * records, len counting the whole record including its own digits.
   */
  private void writePaxHeader(TarHeader header, boolean longName, boolean longLink) {
    StringBuilder records = new StringBuilder();
    if (longName) {
      paxRecord(records, "path", header.name());
    }
    if (longLink) {
      paxRecord(records, "linkpath", header.linkname());
    }
    byte[] data = records.toString().getBytes(StandardCharsets.UTF_8);
    TarHeader pax =
        new TarHeader(
            PAX_HEADER_NAME,
            0644,
            header.uid(),
            header.gid(),
            data.length,
            header.mtime(),
            TarHeader.PAX_EXTENDED,
            "");
    headerBuffer.clear();
    pax.encode(headerBuffer);
    write(headerBuffer.flip());
    write(ByteBuffer.wrap(data));
    writeZeros(pax.padding());
  }

  private static void paxRecord(StringBuilder records, String key, String value) {
    int body = 1 + key.length() + 1 + value.getBytes(StandardCharsets.UTF_8).length + 1;
    int len = body + digits(body);
    if (digits(len) != digits(body)) {
      len = body + digits(len);
    }
    records.append(len).append(' ').append(key).append('=').append(value).append('\n');
  }

  private static int digits(int n) {
    return Integer.toString(n).length();
  }

  private void writeZeros(int n) {
    if (n > 0) {
      write(ZEROS.duplicate().limit(n));
    }
  }

  private void write(ByteBuffer b) {
    try {
      while (b.hasRemaining()) {
        position += out.write(b);
      }
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  /** ENOSPC becomes 53100 (disk full), anything else 58030, in pg's wording. */
  private PgException ioError(IOException e) {
    String reason =
        e instanceof FileSystemException fse && fse.getReason() != null
            ? fse.getReason()
            : String.valueOf(e.getMessage());
    SqlState state =
        reason.contains("No space left on device") ? SqlState.DISK_FULL : SqlState.IO_ERROR;
    return new PgException(state, "could not write to file \"" + archiveName + "\": " + reason, e);
  }
}
