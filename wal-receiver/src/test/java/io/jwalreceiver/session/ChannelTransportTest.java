// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
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
 * bytes that did come are still read whole afterwards. {@link ChannelTransport#blockingReads}: the
 * blocking mode reads and writes the same bytes, reports the peer's close in the same words, and a
 * timed read or a wakeup afterwards still behaves as before.
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

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void blockingReadsWaitForTheBytesAndWritesStillGoOut() throws Exception {
    transport.blockingReads();
    Thread sender =
        new Thread(
            () -> {
              try {
                Thread.sleep(100);
                peer.write(ByteBuffer.wrap(new byte[] {7, 8, 9}));
              } catch (InterruptedException | IOException e) {
                Thread.currentThread().interrupt();
              }
            });
    sender.start();
    ByteBuffer dst = ByteBuffer.allocateDirect(64);
    int n = 0;
    while (n < 3) {
      n += transport.read(dst, 0);
    }
    sender.join();
    assertThat(n).isEqualTo(3);
    assertThat(dst.get(0)).isEqualTo((byte) 7);
    assertThat(dst.get(2)).isEqualTo((byte) 9);

    transport.write(ByteBuffer.wrap(new byte[] {4, 5}));
    ByteBuffer got = ByteBuffer.allocate(2);
    while (got.hasRemaining()) {
      peer.read(got);
    }
    assertThat(got.array()).containsExactly(4, 5);
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aTimedReadAfterBlockingReadsStillTimesOutAndHonoursAnEarlierWakeup() {
    transport.blockingReads();
    transport.wakeup();
    // The wakeup that came while blocking ends the next timed read at once, not after 60 s.
    assertThat(transport.read(ByteBuffer.allocateDirect(64), 60_000)).isZero();
    // Back to selectors: a timed read with nothing to read returns 0 after its timeout.
    assertThat(transport.read(ByteBuffer.allocateDirect(64), 50)).isZero();
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void theServersCloseDuringABlockingReadIsReportedAsBefore() throws IOException {
    transport.blockingReads();
    peer.close();
    assertThatThrownBy(() -> transport.read(ByteBuffer.allocateDirect(64), 0))
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.CONNECTION_FAILURE))
        .hasMessage("server closed the connection unexpectedly");
  }
}
