// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ChannelTransport#wakeup}: a read waiting for bytes that are not coming returns 0 when
 * another thread wakes it, long before its own timeout (60 s here; the test's limit is 30 s), and
 * bytes that did come are still read whole afterwards.
 */
class ChannelTransportTest {

  private ServerSocketChannel server;
  private SocketChannel peer;
  private ChannelTransport transport;

  @BeforeEach
  void connect() throws IOException {
    server =
        ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    SocketChannel client = SocketChannel.open(server.getLocalAddress());
    peer = server.accept();
    transport = new ChannelTransport(client);
  }

  @AfterEach
  void close() throws IOException {
    transport.close();
    peer.close();
    server.close();
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aWakeupBeforeTheReadMakesItReturnNothing() {
    transport.wakeup();
    assertThat(transport.read(ByteBuffer.allocateDirect(64), 60_000)).isZero();
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aWakeupFromAnotherThreadEndsAWaitingRead() throws Exception {
    CountDownLatch reading = new CountDownLatch(1);
    Thread waker =
        new Thread(
            () -> {
              try {
                reading.await();
                // The read is (about to be) in its select: a wakeup either ends it or the next one.
                Thread.sleep(100);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              transport.wakeup();
            });
    waker.start();
    reading.countDown();
    assertThat(transport.read(ByteBuffer.allocateDirect(64), 60_000)).isZero();
    waker.join();

    // The connection is intact: what the peer sends next is read.
    peer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    ByteBuffer dst = ByteBuffer.allocateDirect(64);
    int n = 0;
    while (n < 3) {
      n += transport.read(dst, 10_000);
    }
    assertThat(n).isEqualTo(3);
    assertThat(dst.get(0)).isEqualTo((byte) 1);
    assertThat(dst.get(2)).isEqualTo((byte) 3);
  }
}
