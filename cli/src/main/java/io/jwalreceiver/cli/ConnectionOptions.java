// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.session.ConnInfo;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.PgPassFile;
import java.io.Console;
import java.nio.file.Files;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The connection options of pg_basebackup and pg_receivewal ({@code -d -h -p -U -w -W}), turned
 * into a {@link ConnectionConfig} together with the {@code PG*} environment variables, as libpq
 * does it ({@link ConnInfo#resolve}).
 */
public final class ConnectionOptions {

  @Option(
      names = {"-d", "--dbname"},
      paramLabel = "CONNSTR",
      description = "connection string")
  @Nullable String dbname;

  @Option(
      names = {"-h", "--host"},
      paramLabel = "HOSTNAME",
      description = "database server host or socket directory")
  @Nullable String host;

  @Option(
      names = {"-p", "--port"},
      paramLabel = "PORT",
      description = "database server port number")
  @Nullable String port;

  @Option(
      names = {"-U", "--username"},
      paramLabel = "NAME",
      description = "connect as specified database user")
  @Nullable String username;

  @Option(
      names = {"-w", "--no-password"},
      description = "never prompt for password")
  boolean noPassword;

  @Option(
      names = {"-W", "--password"},
      description = "force password prompt (should happen automatically)")
  boolean forcePassword;

  /** The password typed for -W by {@link #resolve}, or null. */
  private @Nullable String typed;

  /**
   * What {@code -R} writes into {@code primary_conninfo} for the connection {@link #resolve}
   * returned ({@link ConnInfo#primaryConninfo}).
   */
  Map<String, String> primaryConninfo(
      Cli cli, ConnectionConfig resolved, @Nullable String recoveryDbname) {
    return ConnInfo.primaryConninfo(
        new ConnInfo.CommandLine(dbname, host, port, username, typed),
        cli.env(),
        ConnInfo.homeDirectory(cli.env()),
        resolved,
        recoveryDbname);
  }

  /** The replication connection these options and the environment describe. */
  ConnectionConfig resolve(Cli cli, String programName) {
    // -W asks before connecting, and the tools pass the answer as the password keyword: libpq
    // then names no ~/.pgpass (and -R writes the password, not a passfile).
    typed = forcePassword ? ask() : null;
    ConnectionConfig cfg =
        ConnInfo.resolve(
            dbname,
            host,
            port,
            username,
            typed,
            cli.env(),
            System.getProperty("user.name"),
            ConnInfo.homeDirectory(cli.env()),
            programName,
            Files::exists);
    if (cfg.password() == null && cfg.passFile() != null) {
      // libpq reads the password file while it sets the connection up, whatever the server will
      // ask, and prints its warnings (group or world access, not a plain file) to stderr then.
      // The connection reads it again when the server asks for a password.
      PgPassFile.lookup(
          cfg.passFile(),
          cfg.host(),
          cfg.port(),
          cfg.database(),
          cfg.user(),
          ConnInfo.defaultSocketDir(Files::exists),
          cli.err()::println);
    }
    if (!forcePassword && !noPassword) {
      cfg = cfg.toBuilder().passwordPrompt(ConnectionOptions::ask).build();
    }
    return cfg;
  }

  /** The same server, as a plain SQL session (for queries a walsender refuses). */
  ConnectionConfig resolveSql(Cli cli, String programName) {
    return asSqlSession(resolve(cli, programName));
  }

  /**
   * A resolved replication connection as a plain SQL session: no {@code replication} parameter, and
   * database {@code postgres} unless the conninfo named one.
   */
  static ConnectionConfig asSqlSession(ConnectionConfig replication) {
    ConnectionConfig cfg = replication.toBuilder().replication(null).build();
    if ("replication".equals(cfg.database())) {
      cfg = cfg.toBuilder().database("postgres").build();
    }
    return cfg;
  }

  /** Asks on the terminal, as the tools do; null when there is no terminal. */
  private static @Nullable String ask() {
    Console console = Terminal.console();
    if (console == null) {
      return null;
    }
    char[] pw = console.readPassword("Password: ");
    return pw == null ? null : new String(pw);
  }
}
