// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.PgCtl;

/** Loopback ports for tests. */
public final class Ports {

  private Ports() {}

  /**
   * A port on {@link PostgresServer#HOST} that nothing listens on: one the system just handed out
   * and that was closed again ({@link PgCtl#freePort}), so a connection to it is refused.
   */
  public static int unused() {
    return PgCtl.freePort(PostgresServer.HOST);
  }
}
