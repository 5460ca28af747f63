// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.replication;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.bench.support.FakeWalSender;
import io.jwalreceiver.bench.support.SyntheticWal;
import io.jwalreceiver.bench.support.ThroughputBenchmark;
import io.jwalreceiver.bench.support.WalBytes;
import io.jwalreceiver.protocol.replication.ReplicationDecoder;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.CopyBothStream;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SslMode;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * pgjdbc's {@link PGReplicationStream} against our {@link ReplicationConnection} / {@link
 * CopyBothStream}, on the same input: a {@link FakeWalSender} on 127.0.0.1 replays the same
 * pre-generated CopyData stream ({@link SyntheticWal}, XLogData of {@code messageSize} plus a
 * keepalive asking for a reply every 256 messages) to whichever client connects, through a real
 * loopback TCP socket. One operation is one XLogData message received and its payload handed to a
 * blackhole; keepalives are answered (pgjdbc does it inside {@code read()}, we call {@link
 * CopyBothStream#sendStatus}), nothing is written to disk.
 *
 * <p>So the difference is the client's receive path: pgjdbc reads each CopyData message into a new
 * byte array, ours decodes in place from a direct buffer. {@code ·walBytes} is WAL payload bytes/s;
 * with {@code -prof gc}, {@code gc.alloc.rate.norm} is the allocation per message. The fake
 * server's thread shares the machine with the client, the same for both.
 */
public class ReplicationStreamBenchmark extends ThroughputBenchmark {

  @Param({"8192", "131072"})
  public int messageSize;

  /** {@code pgjdbc} or {@code jwalreceiver}. */
  @Param({"pgjdbc", "jwalreceiver"})
  public String client;

  private FakeWalSender server;

  // pgjdbc
  private @Nullable Connection jdbc;
  private @Nullable PGReplicationStream pgStream;

  // ours
  private @Nullable ReplicationConnection connection;
  private @Nullable CopyBothStream stream;
  private long received;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    byte[] frames =
        SyntheticWal.builder().messageSize(messageSize).keepalives(256, 1).build().stream(64L << 20)
            .bytes();
    server = new FakeWalSender(frames);
    if (client.equals("pgjdbc")) {
      Properties props = new Properties();
      PGProperty.USER.set(props, "bench");
      PGProperty.REPLICATION.set(props, "true");
      PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
      PGProperty.PREFER_QUERY_MODE.set(props, "simple");
      PGProperty.SSL_MODE.set(props, "disable");
      PGProperty.GSS_ENC_MODE.set(props, "disable");
      jdbc =
          DriverManager.getConnection(
              "jdbc:postgresql://127.0.0.1:" + server.port() + "/replication", props);
      pgStream =
          jdbc.unwrap(PGConnection.class)
              .getReplicationAPI()
              .replicationStream()
              .physical()
              .withStartPosition(LogSequenceNumber.valueOf(0x1000000L))
              .start();
    } else if (client.equals("jwalreceiver")) {
      connection =
          ReplicationConnection.open(
              ConnectionConfig.builder()
                  .host("127.0.0.1")
                  .port(server.port())
                  .user("bench")
                  .sslMode(SslMode.DISABLE)
                  .build());
      stream = connection.startReplication(null, Lsn.of(0x1000000L), TimelineId.FIRST);
    } else {
      throw new IllegalArgumentException("client " + client);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    try {
      if (jdbc != null) {
        // Not close(): that waits for the server's CopyDone, which the fake server never sends.
        jdbc.close();
      }
    } catch (SQLException e) {
      // the fake server does not end COPY cleanly
    }
    server.close();
  }

  /** One XLogData message. */
  @Benchmark
  public void receive(WalBytes counter, Blackhole bh) throws Exception {
    PGReplicationStream pg = pgStream;
    if (pg != null) {
      ByteBuffer payload = pg.read();
      counter.walBytes += payload.remaining();
      bh.consume(payload);
      return;
    }
    CopyBothStream copyBoth = Objects.requireNonNull(stream, "stream");
    while (true) {
      CopyBothStream.Event e = copyBoth.poll(0);
      ReplicationDecoder m = copyBoth.message();
      if (e == CopyBothStream.Event.XLOG_DATA) {
        received = m.dataStart() + m.payload().remaining();
        counter.walBytes += m.payload().remaining();
        bh.consume(m.payload());
        return;
      }
      if (e != CopyBothStream.Event.KEEPALIVE) {
        throw new IllegalStateException("unexpected " + e);
      }
      if (m.replyRequested()) {
        copyBoth.sendStatus(received, 0, 0, 0, false);
      }
    }
  }
}
