// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.restore;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.basebackup.compress.ArchiveDecompressor;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Restores one WAL file from an archive for a recovering server ({@code restore_command =
 * 'jwalreceiver restore-wal %f %p --archive …'}).
 *
 * <p>The file is looked for under its own name, then compressed ({@code .gz}, {@code .lz4}, {@code
 * .zst}), then, for a segment, as a {@code .partial} (pg_receivewal's name for the last segment of
 * a timeline, zero-padded to the segment size when served). A compressed segment is decompressed; a
 * segment must start with a long page header for its own name ({@code xlp_pageaddr}) and have
 * exactly the size that header states ({@code xlp_seg_size}): anything else is refused as corrupt,
 * never served. A {@code .partial} whose header is all zeros holds no WAL and counts as missing.
 *
 * <p>The destination appears complete or not at all: written to a temporary file in its directory,
 * synced, renamed, the directory synced.
 *
 * <p>Outcomes are kept apart as recovery needs them: {@link Optional#empty()} means the archive
 * does not have the file (the end of the archive, for recovery); an {@link IOException} means the
 * store or the local disk failed (worth a retry, never "missing"); a {@link PgException} with
 * {@link SqlState#DATA_CORRUPTED} means the archive has the file but it cannot be served.
 */
public final class WalRestore {

  /** Offsets in {@code XLogLongPageHeaderData}. */
  private static final int XLP_INFO = 2;

  private static final int XLP_PAGEADDR = 8;
  private static final int XLP_SEG_SIZE = 32;
  private static final int LONG_HEADER_SIZE = 40;

  /** {@code XLP_LONG_HEADER} in {@code xlp_info}. */
  private static final int XLP_LONG_HEADER = 0x0002;

  private static final int CHUNK = 128 * 1024;

  private final ObjectStore store;
  private final ArchiveLayout layout;

  /**
   * A restore from {@code store}, whose WAL files are where {@code layout} says.
   *
   * @param store the archive's store
   * @param layout {@link ArchiveLayout#of} the store's location
   */
  public WalRestore(ObjectStore store, ArchiveLayout layout) {
    this.store = Objects.requireNonNull(store, "store");
    this.layout = Objects.requireNonNull(layout, "layout");
  }

  /**
   * What was served.
   *
   * @param key the object's key in the store
   * @param size the bytes written to the destination
   * @param partial whether it was a {@code .partial} (padded to the segment size)
   */
  public record Restored(String key, long size, boolean partial) {}

  /**
   * Restores {@code file} to {@code destination}.
   *
   * @return what was served, or empty when the archive does not have the file
   * @throws IOException when the store cannot be read (unreachable, refusing, a missing bucket or
   *     archive directory) or the destination cannot be written
   * @throws PgException {@link SqlState#DATA_CORRUPTED} when the archived file is corrupt or has
   *     the wrong size
   */
  public Optional<Restored> restore(WalFileName file, Path destination) throws IOException {
    for (String name : present(file)) {
      Optional<Restored> served = serve(file, name, destination);
      if (served.isPresent()) {
        return served;
      }
    }
    return Optional.empty();
  }

  /** The candidate names the store has, best first. */
  private List<String> present(WalFileName file) throws IOException {
    List<String> candidates = file.candidates();
    Path dir = store.location().directory();
    if (dir != null) {
      if (!Files.isDirectory(dir)) {
        // A mistyped location must not read as "every file missing": that ends recovery early.
        throw new NoSuchFileException(dir.toString(), null, "archive directory does not exist");
      }
      List<String> found = new java.util.ArrayList<>();
      for (String name : candidates) {
        if (store.stat(layout.walKey(name)).isPresent()) {
          found.add(name);
        }
      }
      return found;
    }
    // One listing finds every variant, and fails (unlike a lookup's 404) for a missing bucket.
    Set<String> listed = new HashSet<>();
    for (StoredObject o : call(() -> store.list(layout.walKey(file.name())))) {
      listed.add(o.key());
    }
    return candidates.stream().filter(n -> listed.contains(layout.walKey(n))).toList();
  }

  private Optional<Restored> serve(WalFileName file, String name, Path destination)
      throws IOException {
    String key = layout.walKey(name);
    String extension = file.compressionOf(name);
    boolean partial = WalFileName.isPartial(name);
    Path dir = destination.toAbsolutePath().getParent();
    if (dir == null) {
      throw new IOException("invalid destination \"" + destination + "\"");
    }
    Path tmp =
        dir.resolve(
            "." + destination.getFileName() + ".jwalreceiver-" + ProcessHandle.current().pid());
    boolean done = false;
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      Output output = new Output(out, tmp);
      try (InputStream in = call(() -> store.open(key))) {
        copy(in, extension, store.describe(key), output);
      } catch (NoSuchFileException e) {
        // Removed between the lookup and the read (a retention run): as good as missing.
        return Optional.empty();
      }
      long size = output.written;
      if (file.kind() == WalFileName.Kind.SEGMENT) {
        if (partial && output.headerIsZero()) {
          return Optional.empty();
        }
        long segmentSize = checkSegment(file, output, store.describe(key), partial);
        if (partial) {
          output.padTo(segmentSize);
          size = segmentSize;
        }
      }
      out.force(true);
      Files.move(tmp, destination, StandardCopyOption.ATOMIC_MOVE);
      done = true;
      syncDirectory(dir);
      return Optional.of(new Restored(key, size, partial));
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Copies the object's content, decompressed, into {@code output}. */
  private static void copy(InputStream in, String extension, String where, Output output)
      throws IOException {
    Compression.Algorithm algorithm = algorithm(extension);
    byte[] buf = new byte[CHUNK];
    if (algorithm == Compression.Algorithm.NONE) {
      int n;
      while ((n = read(in, buf)) >= 0) {
        output.write(ByteBuffer.wrap(buf, 0, n));
      }
      return;
    }
    ArchiveDecompressor decompressor =
        new ArchiveDecompressor(
            algorithm,
            where,
            data -> {
              try {
                output.write(data);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    boolean finished = false;
    try {
      int n;
      while ((n = read(in, buf)) >= 0) {
        decompressor.feed(ByteBuffer.wrap(buf, 0, n));
      }
      decompressor.finish();
      finished = true;
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } catch (PgException e) {
      Throwable cause = e.getCause();
      if (cause instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      throw new PgException(
          SqlState.DATA_CORRUPTED, "archived file \"" + where + "\" is corrupt: " + e.getMessage());
    } finally {
      if (!finished) {
        decompressor.abort();
      }
    }
  }

  /** A read from the store; an SDK failure while streaming is an I/O failure too. */
  private static int read(InputStream in, byte[] buf) throws IOException {
    try {
      return in.read(buf);
    } catch (SdkException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static Compression.Algorithm algorithm(String extension) {
    return switch (extension) {
      case "" -> Compression.Algorithm.NONE;
      case ".gz" -> Compression.Algorithm.GZIP;
      case ".lz4" -> Compression.Algorithm.LZ4;
      case ".zst" -> Compression.Algorithm.ZSTD;
      default -> throw new IllegalArgumentException("unknown compression " + extension);
    };
  }

  /**
   * Checks a restored segment against its long page header.
   *
   * @return the segment size the header states
   */
  private static long checkSegment(WalFileName file, Output output, String where, boolean partial) {
    if (output.headerBytes < LONG_HEADER_SIZE) {
      throw corrupt(where, "it has " + output.written + " bytes, less than a WAL page header");
    }
    ByteBuffer h = ByteBuffer.wrap(output.header).order(ByteOrder.nativeOrder());
    int info = Short.toUnsignedInt(h.getShort(XLP_INFO));
    long pageAddress = h.getLong(XLP_PAGEADDR);
    int segmentSize = h.getInt(XLP_SEG_SIZE);
    if ((info & XLP_LONG_HEADER) == 0) {
      throw corrupt(where, "it does not start with a long WAL page header");
    }
    WalSegmentSize size;
    try {
      size = new WalSegmentSize(segmentSize);
    } catch (PgException e) {
      throw corrupt(where, "its page header states an invalid segment size " + segmentSize);
    }
    SegmentName segment = SegmentName.parse(file.name(), size);
    if (pageAddress != segment.startLsn().value()) {
      throw corrupt(
          where,
          "its first page is at "
              + Long.toHexString(pageAddress).toUpperCase(java.util.Locale.ROOT)
              + ", not at the start of segment "
              + file.name());
    }
    if (partial ? output.written > segmentSize : output.written != segmentSize) {
      throw corrupt(
          where,
          "it has "
              + output.written
              + " bytes, but the segment size in its header is "
              + segmentSize);
    }
    return segmentSize;
  }

  private static PgException corrupt(String where, String why) {
    return new PgException(
        SqlState.DATA_CORRUPTED, "archived file \"" + where + "\" is corrupt: " + why);
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** A store call whose SDK failure escaped as an unchecked exception. */
  private static <T> T call(IoCall<T> call) throws IOException {
    try {
      return call.run();
    } catch (SdkException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @FunctionalInterface
  private interface IoCall<T> {
    T run() throws IOException;
  }

  /** The destination file, with the first bytes kept for the header check. */
  private static final class Output {
    final FileChannel channel;
    final Path path;
    final byte[] header = new byte[LONG_HEADER_SIZE];
    int headerBytes;
    long written;

    Output(FileChannel channel, Path path) {
      this.channel = channel;
      this.path = path;
    }

    void write(ByteBuffer data) throws IOException {
      if (headerBytes < LONG_HEADER_SIZE) {
        int n = Math.min(data.remaining(), LONG_HEADER_SIZE - headerBytes);
        data.duplicate().get(header, headerBytes, n);
        headerBytes += n;
      }
      while (data.hasRemaining()) {
        written += channel.write(data);
      }
    }

    boolean headerIsZero() {
      for (int i = 0; i < headerBytes; i++) {
        if (header[i] != 0) {
          return false;
        }
      }
      return true;
    }

    /** Appends zeros up to {@code size}, as pg_receivewal pre-pads its uncompressed files. */
    void padTo(long size) throws IOException {
      ByteBuffer zeros = ByteBuffer.allocate(CHUNK);
      while (written < size) {
        zeros.clear().limit((int) Math.min(CHUNK, size - written));
        write(zeros);
      }
    }

    @Override
    public String toString() {
      return path.toString();
    }
  }
}
