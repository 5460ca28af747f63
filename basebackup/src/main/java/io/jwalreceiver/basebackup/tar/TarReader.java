// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static io.jwalreceiver.basebackup.tar.TarHeader.BLOCK_SIZE;
import static io.jwalreceiver.basebackup.tar.TarHeader.violation;

import io.jwalreceiver.PgException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A push parser for a tar stream (protocol-notes §5.4) that accepts the archive in chunks cut at
 * any byte, reports members to a {@link TarListener} and never holds a member's data: file bytes go
 * to {@link TarListener#entryData} as views into the chunk being fed.
 *
 * <pre>
 * archive   = member* [ zero-block zero-block ] zero-byte*
 * member    = extension* header data padding
 * header    = 512 bytes (see {@link TarHeader})
 * data      = header.size bytes                     → entryData views
 * padding   = zeros up to the next multiple of 512
 * extension = header('x' | 'g' | 'L' | 'K') data padding
 *
 *  offset 0        512                512+size         ⌈512+size⌉₅₁₂
 *  ├── header ─────┼── data ──────────┼── padding ─────┼── next header …
 * </pre>
 *
 * <p>The parser holds at most one partial 512-byte header and the data of pending extension members
 * (capped at {@value #MAX_EXTENSION_SIZE} bytes). Extension members are folded into the header of
 * the member they describe and are not reported themselves:
 *
 * <ul>
 *   <li>pax {@code x}: the records {@code path}, {@code linkpath}, {@code size}, {@code uid},
 *       {@code gid} and {@code mtime} override the next header's fields;
 *   <li>pax {@code g}: checked for well-formed records, then ignored;
 *   <li>GNU {@code L} and {@code K}: the data (NUL-terminated) replaces the next header's name or
 *       link name.
 * </ul>
 *
 * <p>The archive ends at two zero blocks ({@link TarListener#end()} is called, later zero bytes are
 * skipped). PostgreSQL 13 and 14 send each archive without those blocks, so the caller calls {@link
 * #finish()} when the stream is over: it accepts a stream that stops between members and raises
 * 08P01 for one that stops inside a header, data, padding or extension.
 *
 * <p>Names are reported raw: judging {@code ..} components and absolute names is the sink's job.
 * Not thread-safe; one reader per archive.
 */
public final class TarReader {

  /** Largest accepted pax or GNU long-name extension data, in bytes. */
  public static final int MAX_EXTENSION_SIZE = 1 << 20;

  private enum State {
    /** Collecting a member or extension header. */
    HEADER,
    /** One zero block seen; the next must be the second one. */
    AFTER_ZERO,
    /** Passing member data to the listener. */
    DATA,
    /** Collecting extension data. */
    EXTENSION,
    /** Skipping the zeros after data. */
    PADDING,
    /** Both zero blocks seen; only zero bytes may follow. */
    ENDED,
    /** A callback or the stream failed, or {@link #finish()} ran. */
    CLOSED
  }

  private final TarListener listener;
  private final byte[] header = new byte[BLOCK_SIZE];
  private final ByteBuffer headerView = ByteBuffer.wrap(header).asReadOnlyBuffer();
  private int headerFill;

  private State state = State.HEADER;
  private boolean endReported;
  private boolean endBlocksSeen;
  private long offset;

  /** The member whose data or padding is being read, and where its header started. */
  private @Nullable TarHeader current;

  private long currentOffset;
  private long dataRemaining;
  private int paddingRemaining;

  /** The padding being skipped follows an extension member's data, not {@link #current}'s. */
  private boolean extensionPadding;

  /** The extension member being collected. */
  private @Nullable TarHeader extension;

  private byte[] extensionData = new byte[0];
  private int extensionFill;

  /** Overrides from extension members, applied to the next real header. */
  private final TarOverrides pending = new TarOverrides();

  /**
   * The last writable chunk fed and the read-only view made of it: a caller that feeds the same
   * buffer object again (a message reader's one body view) gets the view re-pointed, not a new one.
   */
  private @Nullable ByteBuffer lastChunk;

  private @Nullable ByteBuffer lastChunkView;

  /**
   * The view handed to {@link TarListener#entryData}, re-pointed at each run of data, and the
   * read-only buffer it was made from: no allocation per data event.
   */
  private @Nullable ByteBuffer dataSource;

  private @Nullable ByteBuffer dataView;

  /** A reader that reports to {@code listener}. */
  public TarReader(TarListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Parses the chunk's remaining bytes, calling the listener for every member event they complete.
   * On return the chunk's position is at its limit; the chunk may be reused.
   *
   * @throws PgException 08P01 for a malformed archive (bad checksum, unknown magic, bad number,
   *     malformed extension, data after a lone zero block or after the end blocks)
   * @throws IllegalStateException after {@link #finish()} or after an earlier failure
   */
  public void feed(ByteBuffer chunk) {
    ensureOpen();
    ByteBuffer in = readOnly(chunk);
    try {
      while (in.hasRemaining()) {
        switch (state) {
          case HEADER, AFTER_ZERO -> header(in);
          case DATA -> data(in);
          case EXTENSION -> extension(in);
          case PADDING -> padding(in);
          case ENDED -> trailer(in);
          default -> throw new IllegalStateException(String.valueOf(state));
        }
      }
    } catch (RuntimeException e) {
      state = State.CLOSED;
      throw e;
    }
    chunk.position(chunk.limit());
  }

  /**
   * Declares the end of the stream. If the end blocks were seen, nothing more happens; if the
   * stream stopped cleanly after a member's padding (or after one zero block), {@link
   * TarListener#end()} is called now.
   *
   * @throws PgException 08P01 {@code tar stream ended in the middle of …} when the stream stopped
   *     inside a header, member data, padding or extension
   * @throws IllegalStateException when called twice or after a failure
   */
  public void finish() {
    ensureOpen();
    State at = state;
    state = State.CLOSED;
    switch (at) {
      case HEADER, AFTER_ZERO -> {
        if (headerFill > 0) {
          throw violation(
              "tar stream ended in the middle of a header at offset "
                  + (offset - headerFill)
                  + ": "
                  + headerFill
                  + " of 512 bytes");
        }
        if (pending.offset() >= 0) {
          throw violation(
              "tar stream ended after the extended header at offset "
                  + pending.offset()
                  + ", before the member it describes");
        }
        reportEnd();
      }
      case DATA ->
          throw violation(
              "tar stream ended in the middle of an entry: \""
                  + current().name()
                  + "\" at offset "
                  + currentOffset
                  + " is missing "
                  + dataRemaining
                  + " of "
                  + current().size()
                  + " data bytes");
      case PADDING ->
          throw violation(
              "tar stream ended in the middle of an entry: the padding of "
                  + (extensionPadding ? "the extended header" : "\"" + current().name() + "\"")
                  + " at offset "
                  + currentOffset
                  + " is missing "
                  + paddingRemaining
                  + " bytes");
      case EXTENSION ->
          throw violation(
              "tar stream ended in the middle of an entry: extended header at offset "
                  + currentOffset
                  + " is missing "
                  + (extensionData.length - extensionFill)
                  + " of "
                  + extensionData.length
                  + " bytes");
      case ENDED -> reportEnd();
      default -> throw new IllegalStateException(String.valueOf(at));
    }
  }

  /** Bytes consumed so far: the archive offset of the next byte to be fed. */
  public long offset() {
    return offset;
  }

  /** True once the two zero blocks have been read. */
  public boolean endBlocksSeen() {
    return endBlocksSeen;
  }

  /**
   * True when the stream could stop here without loss: between members, with no partial header and
   * no pending extension. {@link #finish()} succeeds exactly in this state.
   */
  public boolean atMemberBoundary() {
    return switch (state) {
      case HEADER, AFTER_ZERO -> headerFill == 0 && pending.offset() < 0;
      case ENDED -> true;
      default -> false;
    };
  }

  /** {@code chunk} as a read-only buffer at the same position and limit. */
  @SuppressWarnings("ReferenceEquality") // the same buffer object, not equal contents
  private ByteBuffer readOnly(ByteBuffer chunk) {
    if (chunk.isReadOnly()) {
      return chunk;
    }
    ByteBuffer view = lastChunkView;
    if (chunk != lastChunk || view == null) {
      view = chunk.asReadOnlyBuffer();
      lastChunk = chunk;
      lastChunkView = view;
      return view;
    }
    // Same buffer object, so the same memory and indexes: move the view to the chunk's window.
    view.limit(chunk.limit());
    view.position(chunk.position());
    return view;
  }

  private void ensureOpen() {
    if (state == State.CLOSED) {
      throw new IllegalStateException("tar reader is finished or failed");
    }
  }

  private void reportEnd() {
    if (!endReported) {
      endReported = true;
      listener.end();
    }
  }

  // ---------------------------------------------------------------------------------------

  private void header(ByteBuffer in) {
    if (headerFill == 0 && in.remaining() >= BLOCK_SIZE) {
      // Whole header inside this chunk: parse in place rather than copy.
      long at = offset;
      int p = in.position();
      in.position(p + BLOCK_SIZE);
      offset += BLOCK_SIZE;
      block(in.duplicate().position(p), at);
      return;
    }
    int n = Math.min(BLOCK_SIZE - headerFill, in.remaining());
    in.get(header, headerFill, n);
    headerFill += n;
    offset += n;
    if (headerFill == BLOCK_SIZE) {
      headerFill = 0;
      block(headerView.duplicate(), offset - BLOCK_SIZE);
    }
  }

  /** One complete 512-byte block at {@code block}'s position, read while expecting a header. */
  private void block(ByteBuffer block, long at) {
    if (TarHeader.isZeroBlock(block)) {
      if (pending.offset() >= 0) {
        throw violation(
            "invalid tar stream: zero block at offset "
                + at
                + " follows the extended header at offset "
                + pending.offset());
      }
      if (state == State.AFTER_ZERO) {
        state = State.ENDED;
        endBlocksSeen = true;
        reportEnd();
      } else {
        state = State.AFTER_ZERO;
      }
      return;
    }
    if (state == State.AFTER_ZERO) {
      throw violation("invalid tar stream: header at offset " + at + " follows a lone zero block");
    }
    TarHeader h = TarHeader.parse(block, at);
    currentOffset = at;
    if (h.isExtension()) {
      startExtension(h, at);
      return;
    }
    h = pending.apply(h);
    current = h;
    dataRemaining = h.size();
    paddingRemaining = h.padding();
    listener.entryStart(h);
    if (dataRemaining == 0) {
      listener.entryEnd(h);
      state = State.HEADER;
    } else {
      state = State.DATA;
    }
  }

  @SuppressWarnings("ReferenceEquality") // the same buffer object, not equal contents
  private void data(ByteBuffer in) {
    int n = (int) Math.min(dataRemaining, in.remaining());
    int p = in.position();
    ByteBuffer view = dataView;
    if (in != dataSource || view == null) {
      view = in.duplicate();
      dataSource = in;
      dataView = view;
    }
    // The listener sees bytes p .. p + n of the chunk (its position is p, not 0) and may advance
    // it.
    view.limit(p + n);
    view.position(p);
    in.position(p + n);
    offset += n;
    dataRemaining -= n;
    listener.entryData(view);
    if (dataRemaining == 0) {
      state = paddingRemaining > 0 ? State.PADDING : State.HEADER;
      extensionPadding = false;
      listener.entryEnd(current());
    }
  }

  private void padding(ByteBuffer in) {
    // Padding is not checked for zeros: GNU tar and PostgreSQL's own readers ignore it too.
    int n = Math.min(paddingRemaining, in.remaining());
    in.position(in.position() + n);
    offset += n;
    paddingRemaining -= n;
    if (paddingRemaining == 0) {
      state = State.HEADER;
    }
  }

  private void trailer(ByteBuffer in) {
    // Archives are often padded to a record size (10240 bytes for GNU tar) after the end blocks.
    while (in.hasRemaining()) {
      if (in.get() != 0) {
        throw violation(
            "invalid tar stream: data after the end of the archive at offset " + offset);
      }
      offset++;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Extensions

  private void startExtension(TarHeader h, long at) {
    if (h.size() > MAX_EXTENSION_SIZE) {
      throw violation(
          "invalid tar stream: extended header at offset "
              + at
              + " has "
              + h.size()
              + " bytes, more than the limit of "
              + MAX_EXTENSION_SIZE);
    }
    extension = h;
    extensionData = new byte[(int) h.size()];
    extensionFill = 0;
    paddingRemaining = h.padding();
    if (extensionData.length == 0) {
      endExtension();
    } else {
      state = State.EXTENSION;
    }
  }

  private void extension(ByteBuffer in) {
    int n = Math.min(extensionData.length - extensionFill, in.remaining());
    in.get(extensionData, extensionFill, n);
    extensionFill += n;
    offset += n;
    if (extensionFill == extensionData.length) {
      endExtension();
    }
  }

  /** The member whose data or padding is being read. */
  private TarHeader current() {
    return Objects.requireNonNull(current, "a member is open");
  }

  private void endExtension() {
    byte[] d = extensionData;
    long at = currentOffset;
    TarHeader extension = Objects.requireNonNull(this.extension, "an extension is open");
    switch (extension.typeflag()) {
      case TarHeader.PAX_EXTENDED -> pending.pax(d, at, false);
      case TarHeader.PAX_GLOBAL -> pending.pax(d, at, true);
      case TarHeader.GNU_LONG_NAME -> pending.longName(d);
      case TarHeader.GNU_LONG_LINK -> pending.longLink(d);
      default -> throw new IllegalStateException("not an extension: " + extension);
    }
    if (extension.typeflag() != TarHeader.PAX_GLOBAL) {
      pending.describedFrom(at);
    }
    extensionData = new byte[0];
    state = paddingRemaining > 0 ? State.PADDING : State.HEADER;
    extensionPadding = true;
  }
}
