// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.stream.StageTimes;
import io.jwalreceiver.compress.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Decompresses a server-compressed archive ({@code base.tar.gz}, {@code .tar.lz4}, {@code
 * .tar.zst}) as it arrives, for plain format (and for {@code -R} in tar format): the receiving
 * thread pushes compressed chunks in with {@link #feed}; a worker thread pulls them through the
 * JDK's gzip, our {@link Lz4FrameDecoder} or zstd-jni's decompressing stream and pushes the tar
 * bytes to the downstream consumer (the tar reader), so decompression and extraction overlap the
 * transfer.
 *
 * <pre>
 *   receive thread: feed(chunk) ─ copy into a 128 KiB buffer ─► queue (bounded) ─┐
 *   worker thread:  decompressing InputStream ◄── queue ◄──────────────────────────┘
 *                   └─► downstream.accept(tar bytes)            finish(): end mark, join, rethrow
 * </pre>
 *
 * <p>Memory is bounded by the queue ({@value #QUEUE_CHUNKS} chunks of {@value #CHUNK} bytes, their
 * arrays recycled) and each decompressor's window. The downstream consumer runs on the worker
 * thread between construction and {@link #finish} (or {@link #abort}); after either returns, its
 * effects are visible to the caller. A failure on the worker (corrupt data, a disk error in the
 * downstream) is rethrown by the next {@link #feed} or by {@link #finish}.
 */
public final class ArchiveDecompressor {

  static final int CHUNK = 128 * 1024;
  static final int QUEUE_CHUNKS = 8;

  /** The end of the compressed stream. */
  private static final Chunk END = new Chunk(0);

  private final String archiveName;
  private final Compression.Algorithm algorithm;
  private final Consumer<ByteBuffer> downstream;
  private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
  private final BlockingQueue<Chunk> free = new ArrayBlockingQueue<>(QUEUE_CHUNKS + 2);
  private final Thread worker;
  private final StageTimes times;

  private @Nullable Chunk filling;
  private volatile @Nullable Throwable failure;
  private volatile boolean aborted;
  private boolean finished;

  private static final class Chunk {
    final byte[] data;
    int length;

    Chunk(int size) {
      data = new byte[size];
    }
  }

  /**
   * Starts the worker thread.
   *
   * @param algorithm how the archive is compressed (not {@code NONE})
   * @param archiveName the archive's name, for messages
   * @param downstream receives the decompressed bytes, on the worker thread; the buffer is borrowed
   *     for the call
   */
  public ArchiveDecompressor(
      Compression.Algorithm algorithm, String archiveName, Consumer<ByteBuffer> downstream) {
    this(algorithm, archiveName, downstream, StageTimes.OFF);
  }

  /**
   * As {@link #ArchiveDecompressor(Compression.Algorithm, String, Consumer)}, adding the worker's
   * decompression time (not its waits for input, nor the downstream's time) to {@code times}.
   */
  public ArchiveDecompressor(
      Compression.Algorithm algorithm,
      String archiveName,
      Consumer<ByteBuffer> downstream,
      StageTimes times) {
    this.times = Objects.requireNonNull(times, "times");
    if (algorithm == Compression.Algorithm.NONE) {
      throw new IllegalArgumentException("not compressed: " + archiveName);
    }
    this.algorithm = algorithm;
    this.archiveName = Objects.requireNonNull(archiveName, "archiveName");
    this.downstream = Objects.requireNonNull(downstream, "downstream");
    this.worker = new Thread(this::run, "decompress-" + archiveName);
    worker.setDaemon(true);
    worker.start();
  }

  /**
   * How an archive is compressed, from the name the server gave it (pg_basebackup's rule).
   *
   * @param archiveName e.g. {@code base.tar}, {@code 16385.tar.zst}
   * @return {@code NONE} for {@code .tar}, the algorithm for {@code .tar.gz}, {@code .tar.lz4},
   *     {@code .tar.zst}, or null when the name is none of these (not a tar archive)
   */
  public static Compression.@Nullable Algorithm algorithmOf(String archiveName) {
    if (archiveName.length() > 4 && archiveName.endsWith(".tar")) {
      return Compression.Algorithm.NONE;
    }
    if (archiveName.length() > 7 && archiveName.endsWith(".tar.gz")) {
      return Compression.Algorithm.GZIP;
    }
    if (archiveName.length() > 8 && archiveName.endsWith(".tar.lz4")) {
      return Compression.Algorithm.LZ4;
    }
    if (archiveName.length() > 8 && archiveName.endsWith(".tar.zst")) {
      return Compression.Algorithm.ZSTD;
    }
    return null;
  }

  /**
   * Hands over compressed bytes (copied; the buffer is consumed and not kept). Blocks while the
   * worker is {@value #QUEUE_CHUNKS} chunks behind.
   *
   * @throws PgException the worker's failure, if it failed
   */
  public void feed(ByteBuffer data) {
    rethrow();
    while (data.hasRemaining()) {
      if (filling == null) {
        filling = takeFree();
        filling.length = 0;
      }
      int n = Math.min(data.remaining(), filling.data.length - filling.length);
      data.get(filling.data, filling.length, n);
      filling.length += n;
      if (filling.length == filling.data.length) {
        put(filling);
        filling = null;
      }
    }
  }

  /**
   * Marks the end of the compressed stream and waits until the worker has passed everything
   * downstream.
   *
   * @throws PgException the worker's failure: corrupt or truncated data, or the downstream's
   *     exception as thrown
   */
  public void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (filling != null && filling.length > 0) {
      put(filling);
    }
    filling = null;
    put(END);
    join();
    rethrow();
  }

  /** Stops the worker and waits for it; never throws. */
  public void abort() {
    aborted = true;
    finished = true;
    worker.interrupt();
    join();
  }

  private void join() {
    boolean interrupted = false;
    while (true) {
      try {
        worker.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
        aborted = true;
        worker.interrupt();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private Chunk takeFree() {
    Chunk c = free.poll();
    return c != null ? c : new Chunk(CHUNK);
  }

  /** Queues a chunk, checking for the worker's failure while waiting. */
  private void put(Chunk c) {
    try {
      while (!queue.offer(c, 100, TimeUnit.MILLISECONDS)) {
        rethrow();
        if (!worker.isAlive()) {
          throw new PgException(
              SqlState.PROTOCOL_VIOLATION,
              "could not decompress archive \"" + archiveName + "\": decompressor stopped");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new PgException(
          SqlState.IO_ERROR, "interrupted while decompressing \"" + archiveName + "\"", e);
    }
  }

  private void rethrow() {
    Throwable t = failure;
    if (t == null) {
      return;
    }
    if (t instanceof PgException pg) {
      throw pg;
    }
    if (t instanceof IOException) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "could not decompress archive \"" + archiveName + "\": " + t.getMessage(),
          t);
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new PgException(
        SqlState.PROTOCOL_VIOLATION,
        "could not decompress archive \"" + archiveName + "\": " + t,
        t);
  }

  private void run() {
    QueueInput in = new QueueInput();
    try (InputStream decoded = open(in)) {
      byte[] buf = new byte[CHUNK];
      int n;
      while (true) {
        long t = times.start();
        long waitedBefore = in.waited;
        n = decoded.read(buf);
        times.end(StageTimes.Stage.DECOMPRESSION, t + (in.waited - waitedBefore));
        if (n < 0) {
          break;
        }
        if (aborted) {
          return;
        }
        if (n > 0) {
          downstream.accept(ByteBuffer.wrap(buf, 0, n));
        }
      }
      if (!in.atEnd()) {
        throw new IOException("unexpected data after the end of the compressed stream");
      }
    } catch (Throwable t) {
      if (!aborted) {
        failure = t;
      }
    } finally {
      // Unblocks a feeding thread: nothing more is taken from the queue.
      queue.clear();
    }
  }

  private InputStream open(InputStream in) throws IOException {
    return switch (algorithm) {
      case GZIP -> new GZIPInputStream(in, CHUNK);
      case LZ4 ->
          // Linked blocks, as the server writes them: lz4-java's frame reader refuses those.
          new Lz4FrameDecoder(in);
      case ZSTD -> new ZstdInputStreamNoFinalizer(in);
      default -> throw new IllegalStateException(algorithm.name());
    };
  }

  /** The queue as an InputStream, recycling each chunk once read. */
  private final class QueueInput extends InputStream {
    private @Nullable Chunk current;
    private int position;
    private boolean end;

    /** Nanoseconds spent waiting for compressed input (only when timing). */
    long waited;

    boolean atEnd() throws IOException {
      return end || read() < 0;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (current == null || position == current.length) {
        if (end) {
          return -1;
        }
        if (current != null) {
          free.offer(current);
          current = null;
        }
        Chunk next;
        long t = times.start();
        try {
          next = queue.take();
          waited += times.start() - t;
        } catch (InterruptedException e) {
          throw new java.io.InterruptedIOException("decompression aborted");
        }
        if (next == END) {
          end = true;
          return -1;
        }
        current = next;
        position = 0;
      }
      int n = Math.min(len, current.length - position);
      System.arraycopy(current.data, position, b, off, n);
      position += n;
      return n;
    }

    @Override
    public int available() {
      return current == null ? 0 : current.length - position;
    }
  }
}
