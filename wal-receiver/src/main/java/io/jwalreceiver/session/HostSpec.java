// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One entry of libpq's host list ({@code pg_conn_host}): the {@code host}, {@code hostaddr} and
 * {@code port} elements at the same position of their comma-separated lists, with libpq's defaults
 * filled in.
 *
 * @param host the host name (checked against the server certificate, looked up in {@code .pgpass}),
 *     an IP address, or an absolute directory holding the Unix socket; the {@code hostaddr} element
 *     when the {@code host} element is empty
 * @param hostAddr the numeric address to connect to instead of looking {@code host} up, or null
 * @param port the TCP port, also the Unix socket's suffix
 */
public record HostSpec(String host, @Nullable String hostAddr, int port) {

  /** Checks the components. */
  public HostSpec {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("invalid port number: \"" + port + "\"");
    }
  }

  /** True when {@link #host} names a Unix socket directory. */
  public boolean isUnixSocket() {
    return hostAddr == null && host.startsWith("/");
  }

  /*
   * equals and hashCode are written out: a record's generated ones are linked through
   * java.lang.runtime.ObjectMethods (method handles, spun classes) at their first call, about 20 ms
   * of a short command's CPU, and every connection compares its host list (issue #19).
   */

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof HostSpec h
        && port == h.port
        && host.equals(h.host)
        && Objects.equals(hostAddr, h.hostAddr);
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, hostAddr, port);
  }

  /** {@code host:port}, or {@code host:port (hostaddr)} when an address is given. */
  @Override
  public String toString() {
    return host + ":" + port + (hostAddr == null ? "" : " (" + hostAddr + ")");
  }
}
