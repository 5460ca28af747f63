// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.ServerError;
import io.jwalreceiver.protocol.MessageReader;
import io.jwalreceiver.protocol.MessageWriter;
import io.jwalreceiver.protocol.Transport;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A {@link ReplicationConnection} over any {@link Transport}, past startup and authentication: for
 * tests that drive the replication layers on a scripted server (the package-private constructor is
 * what {@code Connector} uses after ReadyForQuery).
 */
public final class ScriptedConnections {

  private ScriptedConnections() {}

  /**
   * A ready connection whose server reported {@code serverVersion} at startup.
   *
   * @param transport the scripted server
   * @param serverVersion {@code server_version}, e.g. {@code "14.0"}
   * @param notices receives NoticeResponses
   * @return the connection
   */
  public static ReplicationConnection over(
      Transport transport, String serverVersion, Consumer<ServerError> notices) {
    return new ReplicationConnection(
        ConnectionConfig.of("scripted", 5432, "replicator"),
        transport,
        new MessageReader(transport, 8 << 20),
        new MessageWriter(transport),
        notices,
        Map.of("server_version", serverVersion, "integer_datetimes", "on"),
        4242,
        false,
        false,
        new ConnectedServer("scripted", 5432, null));
  }
}
