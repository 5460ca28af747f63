// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import java.nio.ByteBuffer;

/**
 * A {@link Transport} that forwards reads, writes and close to another one: tests override what
 * they change about it (the buffers a read gets, the time a read takes).
 */
public class ForwardingTransport implements Transport {

  private final Transport delegate;

  /**
   * Forwards to {@code delegate}.
   *
   * @param delegate the transport that does the work
   */
  public ForwardingTransport(Transport delegate) {
    this.delegate = delegate;
  }

  @Override
  public int read(ByteBuffer dst, long timeoutMillis) {
    return delegate.read(dst, timeoutMillis);
  }

  @Override
  public void write(ByteBuffer src) {
    delegate.write(src);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
