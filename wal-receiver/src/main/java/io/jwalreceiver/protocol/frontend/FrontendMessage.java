// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.frontend;

import io.jwalreceiver.protocol.ByteString;
import io.jwalreceiver.protocol.Encodable;
import io.jwalreceiver.protocol.MessageWriter;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Messages the client sends (protocol-notes §1.2–§1.7). Each record encodes itself; {@link
 * MessageWriter} frames it.
 */
public sealed interface FrontendMessage extends Encodable {

  /** Writes the message, including its type byte and length, into the writer. */
  @Override
  void encode(MessageWriter w);

  /**
   * StartupMessage.
   *
   * <pre>
   * Int32 length | Int32 196608 (3.0) | (String name, String value)* | Byte1 0
   * </pre>
   *
   * @param parameters name/value pairs in the order sent
   */
  record StartupMessage(List<Map.Entry<String, String>> parameters) implements FrontendMessage {
    /** Protocol 3.0. */
    public static final int PROTOCOL_3_0 = 196608;

    public StartupMessage {
      parameters = List.copyOf(parameters);
    }

    @Override
    public void encode(MessageWriter w) {
      w.beginUntypedFrame();
      w.putInt(PROTOCOL_3_0);
      for (Map.Entry<String, String> p : parameters) {
        w.putCString(p.getKey());
        w.putCString(p.getValue());
      }
      w.putByte((byte) 0);
    }
  }

  /** SSLRequest: {@code Int32 8 | Int32 80877103}. */
  record SslRequest() implements FrontendMessage {
    public static final int CODE = 80877103;

    @Override
    public void encode(MessageWriter w) {
      w.beginUntypedFrame();
      w.putInt(CODE);
    }
  }

  /** PasswordMessage {@code 'p'}: a cleartext or MD5-hashed password, NUL-terminated. */
  record PasswordMessage(String password) implements FrontendMessage {
    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'p');
      w.putCString(password);
    }

    @Override
    public String toString() {
      return "PasswordMessage[***]";
    }
  }

  /**
   * SASLInitialResponse {@code 'p'}.
   *
   * <pre>
   * String mechanism | Int32 length of data (-1 if none) | Byte[n] data
   * </pre>
   */
  record SaslInitialResponse(String mechanism, byte @Nullable [] data) implements FrontendMessage {
    public SaslInitialResponse {
      data = data == null ? null : data.clone();
    }

    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'p');
      w.putCString(mechanism);
      if (data == null) {
        w.putInt(-1);
      } else {
        w.putInt(data.length);
        w.putBytes(data);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SaslInitialResponse r
          && r.mechanism.equals(mechanism)
          && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() {
      return mechanism.hashCode() * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "SaslInitialResponse[" + mechanism + "]";
    }
  }

  /** SASLResponse {@code 'p'}: the raw mechanism data, no inner length. */
  record SaslResponse(ByteString payload) implements FrontendMessage {
    public SaslResponse(byte[] data) {
      this(ByteString.copyOf(data));
    }

    /** A copy of the response's bytes. */
    public byte[] data() {
      return payload.toArray();
    }

    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'p');
      w.putBytes(payload.view());
    }
  }

  /** Query {@code 'Q'}: one simple-protocol command. */
  record Query(String sql) implements FrontendMessage {
    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'Q');
      w.putCString(sql);
    }
  }

  /** CopyData {@code 'd'}: the bytes of {@code data} from its position to its limit. */
  record CopyData(ByteBuffer data) implements FrontendMessage {
    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'd');
      w.putBytes(data);
    }
  }

  /** CopyDone {@code 'c'}. */
  record CopyDone() implements FrontendMessage {
    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'c');
    }
  }

  /** CopyFail {@code 'f'}: aborts a COPY IN with a reason. */
  record CopyFail(String reason) implements FrontendMessage {
    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'f');
      w.putCString(reason);
    }
  }

  /** Terminate {@code 'X'}. */
  record Terminate() implements FrontendMessage {
    @Override
    public void encode(MessageWriter w) {
      w.beginFrame((byte) 'X');
    }
  }
}
