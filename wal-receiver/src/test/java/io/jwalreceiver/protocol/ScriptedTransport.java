// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory {@link Transport} playing a scripted server: it hands out prepared bytes in prepared
 * chunks (one chunk per read at most), can pause (a timed read returns 0), and at the end of the
 * script either reports end of stream (08006, as {@code SocketTransport} does) or stays silent. It
 * records every write and every read timeout.
 *
 * <pre>{@code
 * ScriptedTransport t = ScriptedTransport.builder()
 *     .bytes(frame, Chunking.oneByteAtATime())
 *     .pause()
 *     .bytes(moreFrames)
 *     .build();                       // EOF after the last byte
 * }</pre>
 */
public final class ScriptedTransport implements Transport {

  /** What the server does once every scripted byte was read. */
  public enum AtEnd {
    /** The connection drops: reads fail with 08006. */
    EOF,
    /** The server stays silent: timed reads return 0; a read without timeout is a test bug. */
    IDLE
  }

  /** A chunk of bytes, or a pause when {@code bytes} is null. */
  private static final class Step {
    final byte @Nullable [] bytes;
    int offset;

    Step(byte @Nullable [] bytes) {
      this.bytes = bytes;
    }
  }

  private final Deque<Step> steps;
  private final AtEnd atEnd;
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();
  private final List<byte[]> writes = new ArrayList<>();
  private final List<Long> readTimeouts = new ArrayList<>();
  private long bytesDelivered;
  private boolean closed;

  private ScriptedTransport(Deque<Step> steps, AtEnd atEnd) {
    this.steps = steps;
    this.atEnd = atEnd;
  }

  /** A transport that delivers {@code bytes} in {@code chunking}'s chunks, then EOF. */
  public static ScriptedTransport of(byte[] bytes, Chunking chunking) {
    return builder().bytes(bytes, chunking).build();
  }

  /** A transport that delivers {@code bytes} in one chunk, then EOF. */
  public static ScriptedTransport of(byte[] bytes) {
    return builder().bytes(bytes).build();
  }

  /** A transport for writes only: any read fails as at end of stream. */
  public static ScriptedTransport silent() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds the script. */
  public static final class Builder {
    private final Deque<Step> steps = new ArrayDeque<>();
    private AtEnd atEnd = AtEnd.EOF;

    private Builder() {}

    /** Delivers {@code bytes} as one chunk. */
    public Builder bytes(byte[] bytes) {
      return bytes(bytes, Chunking.whole());
    }

    /** Delivers {@code bytes} in the chunks {@code chunking} cuts. */
    public Builder bytes(byte[] bytes, Chunking chunking) {
      for (byte[] chunk : chunking.split(bytes)) {
        steps.add(new Step(chunk));
      }
      return this;
    }

    /**
     * One timed read returns 0 here, as if its timeout passed. A read without timeout waits through
     * the pause (the next bytes "arrive later").
     */
    public Builder pause() {
      steps.add(new Step(null));
      return this;
    }

    /** After the script the connection drops (the default). */
    public Builder thenEof() {
      atEnd = AtEnd.EOF;
      return this;
    }

    /** After the script the server stays silent. */
    public Builder thenIdle() {
      atEnd = AtEnd.IDLE;
      return this;
    }

    public ScriptedTransport build() {
      return new ScriptedTransport(new ArrayDeque<>(steps), atEnd);
    }
  }

  @Override
  public int read(ByteBuffer dst, long timeoutMillis) {
    readTimeouts.add(timeoutMillis);
    if (closed) {
      throw new PgException(SqlState.CONNECTION_FAILURE, "read after close");
    }
    if (!dst.hasArray() || dst.isReadOnly()) {
      throw new AssertionError("the reader must offer a writable heap buffer");
    }
    if (!dst.hasRemaining()) {
      throw new AssertionError("the reader offered a full buffer: a real socket read would spin");
    }
    while (true) {
      Step step = steps.peekFirst();
      if (step == null) {
        return end(timeoutMillis);
      }
      if (step.bytes == null) {
        steps.removeFirst();
        if (timeoutMillis > 0) {
          return 0;
        }
        continue; // a blocking read waits through the pause
      }
      int n = Math.min(step.bytes.length - step.offset, dst.remaining());
      dst.put(step.bytes, step.offset, n);
      step.offset += n;
      if (step.offset == step.bytes.length) {
        steps.removeFirst();
      }
      bytesDelivered += n;
      return n;
    }
  }

  private int end(long timeoutMillis) {
    if (atEnd == AtEnd.EOF) {
      throw new PgException(
          SqlState.CONNECTION_FAILURE, "server closed the connection unexpectedly");
    }
    if (timeoutMillis == 0) {
      throw new AssertionError("a read without timeout on an idle script would block forever");
    }
    return 0;
  }

  @Override
  public void write(ByteBuffer src) {
    if (closed) {
      throw new PgException(SqlState.CONNECTION_FAILURE, "write after close");
    }
    byte[] b = new byte[src.remaining()];
    src.get(b);
    writes.add(b);
    written.writeBytes(b);
  }

  @Override
  public void close() {
    closed = true;
  }

  /** Everything the client wrote, concatenated. */
  public byte[] written() {
    return written.toByteArray();
  }

  /** Each write call's bytes, in order. */
  public List<byte[]> writes() {
    List<byte[]> copy = new ArrayList<>();
    for (byte[] w : writes) {
      copy.add(Arrays.copyOf(w, w.length));
    }
    return copy;
  }

  /** The timeout passed to each read, in order. */
  public List<Long> readTimeouts() {
    return List.copyOf(readTimeouts);
  }

  /** How many scripted bytes the client has read. */
  public long bytesDelivered() {
    return bytesDelivered;
  }

  /** True when no scripted bytes or pauses are left. */
  public boolean exhausted() {
    return steps.isEmpty();
  }

  public boolean closed() {
    return closed;
  }
}
