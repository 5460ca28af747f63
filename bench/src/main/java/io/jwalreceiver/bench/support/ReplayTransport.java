// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import io.jwalreceiver.protocol.Transport;
import java.nio.ByteBuffer;

/**
 * An in-memory {@link Transport} that replays a byte array of complete frames endlessly, at most
 * {@code chunkSize} bytes per read, as a socket hands out what its receive buffer holds. The copy
 * into the reader's buffer stands in for the kernel's copy out of the socket. Wrapping happens at
 * the end of the array, which is a frame boundary; {@link #laps()} counts the wraps so a consumer
 * can shift LSNs and keep them contiguous. Writes are discarded.
 */
public final class ReplayTransport implements Transport {

  private final byte[] data;
  private final int chunkSize;
  private int pos;
  private long laps;
  private long bytesRead;

  /**
   * @param data complete frames
   * @param chunkSize the most bytes one read returns (64 KiB is a typical socket read)
   */
  public ReplayTransport(byte[] data, int chunkSize) {
    if (data.length == 0 || chunkSize < 1) {
      throw new IllegalArgumentException("empty data or chunk size < 1");
    }
    this.data = data;
    this.chunkSize = chunkSize;
  }

  @Override
  public int read(ByteBuffer dst, long timeoutMillis) {
    if (pos == data.length) {
      pos = 0;
      laps++;
    }
    int n = Math.min(Math.min(chunkSize, dst.remaining()), data.length - pos);
    dst.put(data, pos, n);
    pos += n;
    bytesRead += n;
    return n;
  }

  @Override
  public void write(ByteBuffer src) {
    src.position(src.limit());
  }

  @Override
  public void close() {}

  /** How many times the data wrapped around: frames read so far belong to lap 0..laps(). */
  public long laps() {
    return laps;
  }

  /** Bytes handed out so far. */
  public long bytesRead() {
    return bytesRead;
  }
}
