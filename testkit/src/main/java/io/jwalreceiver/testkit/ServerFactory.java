// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.ServerUser;
import io.jwalreceiver.testkit.PostgresServer.Options;
import io.jwalreceiver.testkit.PostgresServer.StopMode;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How a {@link PostgresServer} comes to be: created by initdb, started from an existing data
 * directory, shared by the JVM per options value, or copied from a primary as its streaming
 * standby. Each abandons (kills and forgets) a server whose creation failed.
 */
final class ServerFactory {

  private static final Map<Options, PostgresServer> SHARED = new ConcurrentHashMap<>();
  private static final ReentrantLock SHARED_LOCK = new ReentrantLock();

  private ServerFactory() {}

  /** {@link PostgresServer#start(Options)}: initdb, configuration, start, test roles. */
  static PostgresServer start(Options options) {
    Path dir = ServerDirectories.newServerDir(options.major(), "primary");
    PostgresServer server = new PostgresServer(options, dir, dir.resolve("data"));
    try {
      server.initdb();
      ServerConfiguration.write(options, server.dataDir, server.instanceSettings);
      server.startOnFreePort();
      server.execute(ServerConfiguration.createRolesSql());
      return server;
    } catch (RuntimeException e) {
      server.abandon();
      throw e;
    }
  }

  /** {@link PostgresServer#startFromDataDir(Path, Options)}. */
  static PostgresServer startFromDataDir(Path dir, Options options) {
    Path data = dir.toAbsolutePath();
    int found = ServerDirectories.dataDirMajor(data);
    if (found != options.major()) {
      throw new IllegalArgumentException(
          data + " holds PostgreSQL " + found + ", options ask for " + options.major());
    }
    PostgresServer.handOver(data);
    PostgresServer server =
        new PostgresServer(
            options, ServerDirectories.newServerDir(options.major(), "restored"), data);
    try {
      ServerConfiguration.writeTlsFiles(options.tls(), data, server.instanceSettings);
      server.startOnFreePort();
      return server;
    } catch (RuntimeException e) {
      server.abandon();
      throw e;
    }
  }

  /** {@link PostgresServer#shared(Options)}: created on first use, restarted if stopped. */
  static PostgresServer shared(Options options) {
    SHARED_LOCK.lock();
    try {
      PostgresServer server = SHARED.get(options);
      if (server == null) {
        server = start(options);
        server.shared = true;
        SHARED.put(options, server);
      } else if (!server.isRunning()) {
        server.running = false;
        server.start();
      }
      return server;
    } finally {
      SHARED_LOCK.unlock();
    }
  }

  /** {@link PostgresServer#createStandby(String)}. */
  static PostgresServer standby(PostgresServer primary, String applicationName) {
    if (primary.shared) {
      throw new IllegalStateException("createStandby restarts the primary; not on a shared server");
    }
    Options options = primary.options();
    Path dir = ServerDirectories.newServerDir(options.major(), "standby");
    Path copy = dir.resolve("data");
    primary.stop(StopMode.FAST);
    try {
      ServerDirectories.copyDataDir(primary.dataDir(), copy);
    } finally {
      primary.start();
    }
    PostgresServer.handOver(copy);
    ServerUser.get().writeFile(copy.resolve("standby.signal"), "", false);
    PostgresServer standby = new PostgresServer(options, dir, copy);
    standby.initdbOutput = "(copy of " + primary.dataDir() + ")";
    standby.instanceSettings.put(
        "primary_conninfo",
        "host="
            + PostgresServer.HOST
            + " port="
            + primary.port()
            + " user="
            + PostgresServer.REPL_TRUST
            + " application_name="
            + applicationName);
    standby.instanceSettings.put("hot_standby", "on");
    try {
      standby.startOnFreePort();
      primary.awaitReplication(applicationName, ServerProcess.WAIT_TIMEOUT);
      return standby;
    } catch (RuntimeException e) {
      standby.abandon();
      throw e;
    }
  }
}
