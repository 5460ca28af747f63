// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.backend;

import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendMessage.AuthenticationRequest;
import io.jwalreceiver.protocol.backend.BackendMessage.BackendKeyData;
import io.jwalreceiver.protocol.backend.BackendMessage.CommandComplete;
import io.jwalreceiver.protocol.backend.BackendMessage.CopyData;
import io.jwalreceiver.protocol.backend.BackendMessage.CopyDone;
import io.jwalreceiver.protocol.backend.BackendMessage.CopyResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.DataRow;
import io.jwalreceiver.protocol.backend.BackendMessage.EmptyQueryResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ErrorResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.NegotiateProtocolVersion;
import io.jwalreceiver.protocol.backend.BackendMessage.NoticeResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ParameterStatus;
import io.jwalreceiver.protocol.backend.BackendMessage.ReadyForQuery;
import io.jwalreceiver.protocol.backend.BackendMessage.RowDescription;
import java.nio.ByteBuffer;

/**
 * The one switch from backend type byte to message record. An unknown type byte is a protocol
 * violation (08P01); so is a body with bytes left over after decoding.
 */
public final class BackendDecoder {

  private BackendDecoder() {}

  /**
   * Decodes one frame. The body's position is advanced; the returned {@link CopyData} borrows the
   * body.
   */
  public static BackendMessage decode(byte type, ByteBuffer body) {
    BackendMessage m;
    switch (type) {
      case 'R' -> m = AuthenticationRequest.decode(body);
      case 'S' -> m = ParameterStatus.decode(body);
      case 'K' -> m = BackendKeyData.decode(body);
      case 'Z' -> m = ReadyForQuery.decode(body);
      case 'T' -> m = RowDescription.decode(body);
      case 'D' -> m = DataRow.decode(body);
      case 'C' -> m = CommandComplete.decode(body);
      case 'I' -> m = new EmptyQueryResponse();
      case 'E' -> m = ErrorResponse.decode(body);
      case 'N' -> m = NoticeResponse.decode(body);
      case 'H', 'G', 'W' -> m = CopyResponse.decode((char) type, body);
      case 'd' -> {
        return new CopyData(body);
      }
      case 'c' -> m = new CopyDone();
      case 'v' -> m = NegotiateProtocolVersion.decode(body);
      case 't', 'n', '1', '2', '3', 's' -> {
        // ParameterDescription, NoData, ParseComplete, BindComplete, CloseComplete,
        // PortalSuspended: extended-protocol replies we never ask for.
        body.position(body.limit());
        return new BackendMessage.Ignored((char) type);
      }
      default ->
          throw Wire.violation("unexpected message type " + Wire.typeName(type) + " from server");
    }
    Wire.end(body, "message " + Wire.typeName(type));
    return m;
  }
}
