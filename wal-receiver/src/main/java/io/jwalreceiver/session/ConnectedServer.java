// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The server of a host list that a connection reached (libpq's {@code PQhost}, {@code PQport} and
 * {@code PQhostaddr}), for status output, metrics and logs.
 *
 * @param host the host as listed: a name, an address, or a Unix socket directory
 * @param port the port
 * @param address the IP address connected to, or null over a Unix socket
 */
public record ConnectedServer(String host, int port, @Nullable String address) {

  /** Checks the components. */
  public ConnectedServer {
    Objects.requireNonNull(host, "host");
  }

  /**
   * As libpq names a server in its messages: {@code "h" (addr), port p}, {@code "h", port p} when
   * the address is the host as written, or {@code socket "/dir/.s.PGSQL.p"}.
   */
  public String describe() {
    if (address == null) {
      return "socket \"" + host + "/.s.PGSQL." + port + "\"";
    }
    String shown = address.equals(host) ? "\"" + host + "\"" : "\"" + host + "\" (" + address + ")";
    return shown + ", port " + port;
  }
}
