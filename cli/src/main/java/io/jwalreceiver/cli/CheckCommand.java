// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.cli.check.CheckReport;
import io.jwalreceiver.cli.check.Preflight;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.HostSpec;
import io.jwalreceiver.session.TargetSessionAttrs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jwalreceiver check}: the preflight of a primary ({@link Preflight}), one line per item,
 * exit 1 when any item failed.
 */
/** {@code jwalreceiver check}: preflight checks that a server is ready to stream WAL to us. */
@Command(
    name = "check",
    header = "Preflight: checks a server is ready to stream WAL to this user and host.",
    description = {
      "Checks that a server is ready to stream WAL to this user from this host: server",
      "reachable, wal_level, max_wal_senders and free senders, max_replication_slots, the",
      "role's REPLICATION attribute, a real replication connection (pg_hba.conf), the slot",
      "(-S) and its WAL, max_slot_wal_keep_size, and whether resuming the archive (-D) would",
      "leave a gap. One line per item, OK, WARN or FAIL; each FAIL shows the exact fix.",
      "Exits 1 if anything failed. Changes nothing on the server.",
      ""
    })
public final class CheckCommand extends CliCommand {

  @Option(
      names = {"-S", "--slot"},
      paramLabel = "SLOTNAME",
      description = "replication slot to check")
  @Nullable String slot;

  @Option(
      names = {"-D", "--directory"},
      paramLabel = "DIR",
      description = "WAL archive directory (as for receivewal) to check resuming from")
  @Nullable Path directory;

  @Option(names = "--json", description = "print one JSON document instead of lines")
  boolean json;

  @Mixin VerboseOption verboseOption;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    if (slot != null) {
      try {
        SqlText.validateSlotName(slot);
      } catch (PgException e) {
        cli.error(null, e);
        return ExitCodes.USAGE;
      }
    }
    if (directory != null && !Files.isDirectory(directory)) {
      cli.error(
          "could not open directory \""
              + directory
              + "\": "
              + (Files.exists(directory) ? "Not a directory" : "No such file or directory"),
          null,
          null);
      return ExitCodes.ERROR;
    }
    ConnectionConfig resolved = askOnce(connection.resolve(cli, Cli.PROGRAM));
    // A host list: each server is checked and reported in turn, whatever target_session_attrs
    // would choose (text: a "server host:port" line before each report; --json: an array).
    List<HostSpec> hosts = resolved.hosts();
    boolean failed = false;
    List<String> reports = new ArrayList<>();
    for (HostSpec host : hosts) {
      ConnectionConfig replication =
          hosts.size() == 1
              ? resolved
              : resolved.toBuilder().hosts(List.of(host), TargetSessionAttrs.ANY, false).build();
      CheckReport report =
          Preflight.run(
              new Preflight.Request(
                  replication, ConnectionOptions.asSqlSession(replication), slot, directory),
              line -> {
                if (verboseOption.verbose) {
                  cli.info(line);
                }
              },
              cli::warning);
      failed |= report.failed();
      String header = hosts.size() == 1 || json ? "" : "server " + host + ":\n";
      reports.add(header + (json ? report.toJson() : report.toText()));
    }
    cli.out()
        .print(
            hosts.size() > 1 && json
                ? "["
                    + reports.stream().map(String::strip).collect(Collectors.joining(",\n"))
                    + "]\n"
                : String.join("\n", reports));
    cli.out().flush();
    return failed ? ExitCodes.ERROR : ExitCodes.OK;
  }

  /** Two connections, one password prompt: the answer is kept for the second. */
  private static ConnectionConfig askOnce(ConnectionConfig config) {
    return config.passwordPrompt() == null
        ? config
        : config.toBuilder().passwordPrompt(new OncePrompt(config.passwordPrompt())).build();
  }

  /** Asks the first time only and then repeats that answer (null included). */
  private static final class OncePrompt implements ConnectionConfig.PasswordPrompt {
    private final ConnectionConfig.PasswordPrompt prompt;
    private boolean asked;
    private @Nullable String answer;

    OncePrompt(ConnectionConfig.PasswordPrompt prompt) {
      this.prompt = prompt;
    }

    @Override
    public @Nullable String ask() {
      if (!asked) {
        answer = prompt.ask();
        asked = true;
      }
      return answer;
    }
  }
}
