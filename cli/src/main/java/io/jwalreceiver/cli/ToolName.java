// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL client tools this program stands in for when it is invoked under their names (the
 * launcher run through a link named {@code pg_basebackup} or {@code pg_receivewal}). Under such a
 * name the command line is that of the matching command alone, and everything the user sees carries
 * the tool's name: message prefixes, the usage line, the help hint and {@code --version}.
 */
public enum ToolName {
  PG_BASEBACKUP("pg_basebackup", BaseBackupCommand.class),
  PG_RECEIVEWAL("pg_receivewal", ReceiveWalCommand.class);

  /**
   * The PostgreSQL release {@code --version} reports under a tool's name. Version-sniffing programs
   * decide with it whether the tool can serve a server and which options to pass: Barman requires
   * the client's major version to be at least the server's (so it must be 18, the newest server we
   * support, or Barman refuses 18 servers), needs a minor part (it drops the last dotted component
   * to get the major), and passes the 15+ {@code --compress} syntax and, from 10, {@code --no-slot
   * --wal-method=none}, all of which we accept. 18.3 is the release whose messages and options
   * these commands were compared with.
   */
  public static final String POSTGRESQL_VERSION = "18.3";

  /** The system property through which the launcher passes the name it was invoked as. */
  public static final String INVOKED_AS_PROPERTY = "jwalreceiver.invokedAs";

  private final String programName;
  private final Class<?> command;

  ToolName(String programName, Class<?> command) {
    this.programName = programName;
    this.command = command;
  }

  /** {@code pg_basebackup} or {@code pg_receivewal}. */
  public String programName() {
    return programName;
  }

  /** The command class whose command line this name runs. */
  Class<?> command() {
    return command;
  }

  /**
   * The tool a program name stands for: the last path element of {@code invokedAs}, exactly {@code
   * pg_basebackup} or {@code pg_receivewal}; empty for any other name (including {@code
   * jwalreceiver}) or null.
   */
  public static Optional<ToolName> of(@Nullable String invokedAs) {
    if (invokedAs == null) {
      return Optional.empty();
    }
    String name = invokedAs.substring(invokedAs.lastIndexOf('/') + 1);
    for (ToolName t : values()) {
      if (t.programName.equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /**
   * The {@code --version} line: {@code pg_basebackup (PostgreSQL) 18.3 (jwalreceiver 0.1.0)}. The
   * first three words are what the PostgreSQL tool prints; our own version follows in parentheses,
   * where distributions put their package version ({@code (Debian 15.18-1)}), so parsers that read
   * the third word, or drop parenthesised parts as Barman does, read 18.3.
   */
  public String versionLine() {
    // Not "+": the first string concatenation of a JVM spins its method handles, about a fifth of
    // a "--version" run (Main answers it without picocli, for scripts that run it often).
    return String.join(
        "",
        programName,
        " (PostgreSQL) ",
        POSTGRESQL_VERSION,
        " (",
        Cli.PROGRAM,
        " ",
        Cli.version(),
        ")");
  }
}
