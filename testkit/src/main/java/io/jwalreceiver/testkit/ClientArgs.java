// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How a client program reaches a test server: the libpq options ({@code -h -p -U}) and environment
 * ({@code PGHOST}, {@code PGPORT}, {@code PGUSER}) of the superuser over the server's Unix socket,
 * the way the PostgreSQL tools and our command line are run against it.
 */
public final class ClientArgs {

  private ClientArgs() {}

  /**
   * {@code command} followed by {@code -h <socket directory> -p <port> -U postgres}: one program's
   * command line (or the first part of one) connecting as the superuser over the Unix socket.
   */
  public static List<String> socket(PostgresServer server, String... command) {
    List<String> args = new ArrayList<>(Arrays.asList(command));
    args.addAll(
        List.of(
            "-h",
            server.socketDir().toString(),
            "-p",
            Integer.toString(server.port()),
            "-U",
            PostgresServer.SUPERUSER));
    return args;
  }

  /** As {@link #socket}, as an array for a {@code String...} parameter. */
  public static String[] socketArray(PostgresServer server, String... command) {
    return socket(server, command).toArray(String[]::new);
  }

  /**
   * The environment of the superuser over the Unix socket ({@code PGHOST}, {@code PGPORT}, {@code
   * PGUSER}, {@code PGSSLMODE=disable}).
   */
  public static Map<String, String> socketEnv(PostgresServer server) {
    return Map.of(
        "PGHOST",
        server.socketDir().toString(),
        "PGPORT",
        Integer.toString(server.port()),
        "PGUSER",
        PostgresServer.SUPERUSER,
        "PGSSLMODE",
        "disable");
  }
}
