// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.backend;

import io.jwalreceiver.ServerError;
import io.jwalreceiver.protocol.ByteString;
import io.jwalreceiver.protocol.Wire;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Messages the server sends (protocol-notes §1.4–§1.7). Each record decodes itself from a frame
 * body; {@link BackendDecoder} holds the one switch from type byte to record.
 */
public sealed interface BackendMessage {

  /**
   * Authentication request {@code 'R'}.
   *
   * <pre>
   * Int32 code | code-specific payload
   *   0 Ok, 3 CleartextPassword, 5 MD5Password (Byte4 salt),
   *  10 SASL (String mechanism)* 0, 11 SASLContinue (data), 12 SASLFinal (data)
   * </pre>
   */
  sealed interface AuthenticationRequest extends BackendMessage {
    static AuthenticationRequest decode(ByteBuffer b) {
      int code = Wire.int32(b, "authentication code");
      switch (code) {
        case 0 -> {
          return new AuthenticationOk();
        }
        case 3 -> {
          return new AuthenticationCleartextPassword();
        }
        case 5 -> {
          Wire.need(b, 4, "MD5 salt");
          byte[] salt = new byte[4];
          b.get(salt);
          return new AuthenticationMd5Password(salt);
        }
        case 10 -> {
          List<String> mechanisms = new ArrayList<>();
          while (true) {
            String m = Wire.cString(b);
            if (m.isEmpty()) {
              break;
            }
            mechanisms.add(m);
          }
          return new AuthenticationSasl(mechanisms);
        }
        case 11 -> {
          return new AuthenticationSaslContinue(Wire.rest(b));
        }
        case 12 -> {
          return new AuthenticationSaslFinal(Wire.rest(b));
        }
        default -> {
          return new AuthenticationUnsupported(code);
        }
      }
    }
  }

  /** The server accepted the client. */
  record AuthenticationOk() implements AuthenticationRequest {}

  /** The server asks for the password in clear text. */
  record AuthenticationCleartextPassword() implements AuthenticationRequest {}

  /** The server asks for an MD5 hash of the password with this salt. */
  record AuthenticationMd5Password(ByteString salt) implements AuthenticationRequest {
    public AuthenticationMd5Password(byte[] salt) {
      this(ByteString.copyOf(salt));
    }
  }

  /** The server offers SASL mechanisms, most preferred first. */
  record AuthenticationSasl(List<String> mechanisms) implements AuthenticationRequest {
    public AuthenticationSasl {
      mechanisms = List.copyOf(mechanisms);
    }
  }

  /** A SASL challenge. */
  record AuthenticationSaslContinue(ByteString payload) implements AuthenticationRequest {
    public AuthenticationSaslContinue(byte[] data) {
      this(ByteString.copyOf(data));
    }

    /** A copy of the challenge's bytes. */
    public byte[] data() {
      return payload.toArray();
    }
  }

  /** The SASL outcome from the server (for SCRAM: its signature). */
  record AuthenticationSaslFinal(ByteString payload) implements AuthenticationRequest {
    public AuthenticationSaslFinal(byte[] data) {
      this(ByteString.copyOf(data));
    }

    /** A copy of the outcome's bytes. */
    public byte[] data() {
      return payload.toArray();
    }
  }

  /** A method we do not implement (Kerberos 2, GSS 7/8, SSPI 9 …). */
  record AuthenticationUnsupported(int code) implements AuthenticationRequest {}

  /** ParameterStatus {@code 'S'}: {@code String name | String value}. */
  record ParameterStatus(String name, String value) implements BackendMessage {
    static ParameterStatus decode(ByteBuffer b) {
      return new ParameterStatus(Wire.cString(b), Wire.cString(b));
    }
  }

  /** BackendKeyData {@code 'K'}: {@code Int32 pid | Byte[n] secret key} (4 bytes in 3.0). */
  record BackendKeyData(int processId, ByteString secretKey) implements BackendMessage {
    public BackendKeyData(int processId, byte[] secretKey) {
      this(processId, ByteString.copyOf(secretKey));
    }

    static BackendKeyData decode(ByteBuffer b) {
      int pid = Wire.int32(b, "BackendKeyData process id");
      return new BackendKeyData(pid, Wire.rest(b));
    }
  }

  /** ReadyForQuery {@code 'Z'}: {@code Byte1 status} ({@code I}, {@code T} or {@code E}). */
  record ReadyForQuery(char status) implements BackendMessage {
    static ReadyForQuery decode(ByteBuffer b) {
      return new ReadyForQuery((char) Wire.int8(b, "ReadyForQuery status"));
    }
  }

  /** One column of a RowDescription. */
  record Field(
      String name,
      int tableOid,
      short columnNumber,
      int typeOid,
      short typeSize,
      int typeModifier,
      short format) {}

  /**
   * RowDescription {@code 'T'}.
   *
   * <pre>
   * Int16 n | n × (String name, Int32 table, Int16 attnum, Int32 type, Int16 typlen,
   *                Int32 typmod, Int16 format)
   * </pre>
   */
  record RowDescription(List<Field> fields) implements BackendMessage {
    public RowDescription {
      fields = List.copyOf(fields);
    }

    static RowDescription decode(ByteBuffer b) {
      int n = Short.toUnsignedInt(Wire.int16(b, "RowDescription count"));
      List<Field> fields = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String name = Wire.cString(b);
        Wire.need(b, 18, "RowDescription field");
        fields.add(
            new Field(
                name,
                b.getInt(),
                b.getShort(),
                b.getInt(),
                b.getShort(),
                b.getInt(),
                b.getShort()));
      }
      return new RowDescription(fields);
    }
  }

  /**
   * DataRow {@code 'D'}: {@code Int16 n | n × (Int32 len or -1 for NULL, Byte[len])}. Values are
   * copied (result sets are small and outlive the frame).
   */
  record DataRow(List<byte[]> values) implements BackendMessage {
    public DataRow {
      values = java.util.Collections.unmodifiableList(new ArrayList<>(values));
    }

    static DataRow decode(ByteBuffer b) {
      int n = Short.toUnsignedInt(Wire.int16(b, "DataRow count"));
      List<byte[]> values = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int len = Wire.int32(b, "DataRow value length");
        if (len == -1) {
          values.add(null);
        } else {
          Wire.need(b, len, "DataRow value");
          byte[] v = new byte[len];
          b.get(v);
          values.add(v);
        }
      }
      return new DataRow(values);
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof DataRow r) || r.values.size() != values.size()) {
        return false;
      }
      for (int i = 0; i < values.size(); i++) {
        if (!Arrays.equals(values.get(i), r.values.get(i))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      return values.size();
    }
  }

  /** CommandComplete {@code 'C'}: {@code String tag}. */
  record CommandComplete(String tag) implements BackendMessage {
    static CommandComplete decode(ByteBuffer b) {
      return new CommandComplete(Wire.cString(b));
    }
  }

  /** EmptyQueryResponse {@code 'I'}. */
  record EmptyQueryResponse() implements BackendMessage {}

  /** ErrorResponse {@code 'E'}: {@code (Byte1 code, String value)* 0}. */
  record ErrorResponse(ServerError error) implements BackendMessage {
    static ErrorResponse decode(ByteBuffer b) {
      return new ErrorResponse(ServerError.of(fields(b)));
    }
  }

  /** NoticeResponse {@code 'N'}: same layout as ErrorResponse. */
  record NoticeResponse(ServerError notice) implements BackendMessage {
    static NoticeResponse decode(ByteBuffer b) {
      return new NoticeResponse(ServerError.of(fields(b)));
    }
  }

  private static Map<Character, String> fields(ByteBuffer b) {
    Map<Character, String> fields = new LinkedHashMap<>();
    while (true) {
      byte code = Wire.int8(b, "error field code");
      if (code == 0) {
        return fields;
      }
      fields.put((char) code, Wire.cString(b));
    }
  }

  /**
   * CopyOutResponse {@code 'H'}, CopyInResponse {@code 'G'} and CopyBothResponse {@code 'W'}.
   *
   * <pre>
   * Int8 overall format | Int16 n | Int16[n] column formats
   * </pre>
   *
   * @param direction {@code 'H'}, {@code 'G'} or {@code 'W'}
   */
  record CopyResponse(char direction, byte format, List<Short> columnFormats)
      implements BackendMessage {
    public CopyResponse {
      columnFormats = List.copyOf(columnFormats);
    }

    static CopyResponse decode(char direction, ByteBuffer b) {
      byte format = Wire.int8(b, "copy format");
      int n = Short.toUnsignedInt(Wire.int16(b, "copy column count"));
      Wire.need(b, 2 * n, "copy column formats");
      List<Short> formats = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        formats.add(b.getShort());
      }
      return new CopyResponse(direction, format, formats);
    }
  }

  /** CopyData {@code 'd'}. Borrowed: the view is valid until the reader's next frame. */
  record CopyData(ByteBuffer data) implements BackendMessage {}

  /** CopyDone {@code 'c'}. */
  record CopyDone() implements BackendMessage {}

  /**
   * NegotiateProtocolVersion {@code 'v'}: {@code Int32 newest minor | Int32 n | String[n]
   * unrecognised options}.
   */
  record NegotiateProtocolVersion(int newestMinor, List<String> unrecognized)
      implements BackendMessage {
    public NegotiateProtocolVersion {
      unrecognized = List.copyOf(unrecognized);
    }

    static NegotiateProtocolVersion decode(ByteBuffer b) {
      int minor = Wire.int32(b, "newest minor version");
      int n = Wire.int32(b, "option count");
      if (n < 0 || n > b.remaining()) {
        throw Wire.violation("invalid option count " + n + " in NegotiateProtocolVersion");
      }
      List<String> names = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        names.add(Wire.cString(b));
      }
      return new NegotiateProtocolVersion(minor, names);
    }
  }

  /** ParameterDescription, NoData and other messages we never act on, kept by type byte. */
  record Ignored(char type) implements BackendMessage {}
}
