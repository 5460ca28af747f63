// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.protocol.MessageWriter;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendMessage;
import io.jwalreceiver.protocol.backend.BackendMessage.CommandComplete;
import io.jwalreceiver.protocol.backend.BackendMessage.ErrorResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ReadyForQuery;
import io.jwalreceiver.protocol.frontend.FrontendMessage;
import java.nio.ByteBuffer;

/**
 * The COPY IN exchange of UPLOAD_MANIFEST (17+, protocol-notes §2.9), after the command is sent:
 * the manifest in CopyData chunks, CopyDone, then the server's verdict at ReadyForQuery.
 */
final class ManifestUpload {

  /** CopyData size for UPLOAD_MANIFEST (what pg_basebackup reads per call). */
  private static final int UPLOAD_CHUNK = 128 * 1024;

  private ManifestUpload() {}

  /**
   * Answers the server's CopyInResponse with {@code manifest} and waits for ReadyForQuery.
   *
   * @throws PgException {@code could not send replication command "UPLOAD_MANIFEST": …} when the
   *     server refuses the command, {@code could not upload manifest: …} when it rejects the
   *     manifest
   */
  static void copyIn(ReplicationConnection connection, byte[] manifest) {
    MessageWriter writer = connection.writer();
    PgException error = null;
    boolean sent = false;
    while (true) {
      BackendMessage m = connection.nextMessage();
      if (m instanceof BackendMessage.CopyResponse cr && cr.direction() == 'G' && !sent) {
        for (int off = 0; off < manifest.length; off += UPLOAD_CHUNK) {
          int n = Math.min(UPLOAD_CHUNK, manifest.length - off);
          writer.send(new FrontendMessage.CopyData(ByteBuffer.wrap(manifest, off, n)));
        }
        writer.send(new FrontendMessage.CopyDone());
        sent = true;
      } else if (m instanceof ErrorResponse er) {
        error =
            new PgException(
                sent
                    ? "could not upload manifest: "
                    : "could not send replication command \"UPLOAD_MANIFEST\": ",
                er.error());
      } else if (m instanceof CommandComplete) {
        // the copy finished; the error, if any, comes before ReadyForQuery
      } else if (m instanceof ReadyForQuery) {
        connection.markReady();
        if (error != null) {
          throw error;
        }
        if (!sent) {
          throw Wire.violation("UPLOAD_MANIFEST completed without COPY IN");
        }
        return;
      } else {
        throw ReplicationConnection.unexpected(m, "UPLOAD_MANIFEST");
      }
    }
  }
}
