// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.backend.BackendDecoder;
import io.jwalreceiver.protocol.backend.BackendMessage;
import io.jwalreceiver.protocol.replication.ReplicationDecoder;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzz targets for what a server (or anything pretending to be one) sends: the frame reader and the
 * backend and walsender decoders. See docs/fuzzing.md; without {@code JAZZER_FUZZ} each method runs
 * the inputs under {@code BackendStreamFuzzTestInputs/<method>/} as a test.
 *
 * <p>What must hold: the only exceptions are {@link PgException}s with 08P01 (a malformed message)
 * or 08006 (the stream ended); every frame handed out is exactly the bytes the stream holds at that
 * offset and no larger than the limit; the decoders report the fields the bytes say.
 */
class BackendStreamFuzzTest {

  /**
   * Byte 0 picks the frame limit (low 7 bits; 0: 1 MiB, n: n × 16 bytes) and, with its high bit,
   * direct buffers as a socket channel transport gets them; byte 1 the largest chunk a read returns
   * (0: everything at once) and the reader's initial buffer size; the rest is the server's byte
   * stream.
   */
  @FuzzTest
  void framing(byte[] data) {
    if (data.length < 2) {
      return;
    }
    int control = data[0] & 0x7f;
    int frameLimit = control == 0 ? 1 << 20 : control * 16;
    boolean direct = data[0] < 0;
    int maxChunk = data[1] & 0xff;
    byte[] stream = Arrays.copyOfRange(data, 2, data.length);
    Chunking chunking = maxChunk == 0 ? Chunking.whole() : Chunking.random(data.length, maxChunk);
    ScriptedTransport script = ScriptedTransport.of(stream, chunking);
    MessageReader reader =
        new MessageReader(
            direct ? new DirectBuffers(script) : script, frameLimit, 1 + (data[1] & 0x3f));
    ReplicationDecoder replication = new ReplicationDecoder();
    int offset = 0;
    try {
      while (true) {
        reader.next();
        ByteBuffer body = reader.body();
        int length = body.remaining();
        assertThat(length).isLessThanOrEqualTo(frameLimit);
        assertThat(reader.type()).isEqualTo(stream[offset]);
        assertThat(ByteBuffer.wrap(stream, offset + 1, 4).getInt()).isEqualTo(length + 4);
        byte[] bytes = new byte[length];
        body.duplicate().get(bytes);
        assertThat(bytes).isEqualTo(Arrays.copyOfRange(stream, offset + 5, offset + 5 + length));
        offset += 5 + length;
        assertThat(reader.framesRead()).isPositive();
        decode(reader.type(), body, replication);
      }
    } catch (PgException e) {
      assertThat(e.sqlState()).isIn(SqlState.PROTOCOL_VIOLATION, SqlState.CONNECTION_FAILURE);
    }
  }

  /** Byte 0 is the message type, the rest its body, as one frame the reader handed out. */
  @FuzzTest
  void decoders(byte[] data) {
    if (data.length < 1) {
      return;
    }
    // A body is a view with a non-zero position, as the reader hands it out.
    ByteBuffer body = ByteBuffer.wrap(data, 1, data.length - 1).asReadOnlyBuffer();
    try {
      decode(data[0], body, new ReplicationDecoder());
    } catch (PgException e) {
      assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
    }
  }

  /** Asks the reader for direct buffers and fills them from a script (which wants heap ones). */
  private static final class DirectBuffers extends ForwardingTransport {
    DirectBuffers(ScriptedTransport script) {
      super(script);
    }

    @Override
    public boolean directBuffers() {
      return true;
    }

    @Override
    public int read(ByteBuffer dst, long timeoutMillis) {
      assertThat(dst.isDirect()).isTrue();
      ByteBuffer heap = ByteBuffer.allocate(dst.remaining());
      int n = super.read(heap, timeoutMillis);
      dst.put(heap.flip());
      return n;
    }
  }

  private static void decode(byte type, ByteBuffer body, ReplicationDecoder replication) {
    int start = body.position();
    int end = body.limit();
    BackendMessage m = BackendDecoder.decode(type, body);
    assertThat(body.limit()).isEqualTo(end);
    if (!(m instanceof BackendMessage.CopyData copy)) {
      // Every other message is read to its last byte, or rejected.
      assertThat(body.position()).isEqualTo(end);
      return;
    }
    ByteBuffer data = copy.data();
    assertThat(data.position()).isEqualTo(start);
    byte kind = replication.decode(data);
    if (kind == ReplicationDecoder.XLOG_DATA) {
      assertThat(end - start).isGreaterThanOrEqualTo(25);
      assertThat(replication.dataStart()).isEqualTo(data.getLong(start + 1));
      assertThat(replication.walEnd()).isEqualTo(data.getLong(start + 9));
      assertThat(replication.sendTime()).isEqualTo(data.getLong(start + 17));
      ByteBuffer payload = replication.payload();
      assertThat(payload.position()).isEqualTo(start + 25);
      assertThat(payload.limit()).isEqualTo(end);
    } else {
      assertThat(kind).isEqualTo(ReplicationDecoder.PRIMARY_KEEPALIVE);
      assertThat(end - start).isGreaterThanOrEqualTo(18);
      assertThat(replication.walEnd()).isEqualTo(data.getLong(start + 1));
      assertThat(replication.sendTime()).isEqualTo(data.getLong(start + 9));
      assertThat(replication.replyRequested()).isEqualTo(data.get(start + 17) != 0);
    }
  }
}
