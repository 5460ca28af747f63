// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Usage conventions that need no server. */
class CliTest {

  private static final Map<String, String> NO_ENV = Map.of();

  /** Every command line that names a command ("" is the top level). */
  static Stream<String> commands() {
    return Stream.of(
        "",
        "identify",
        "slot",
        "slot create",
        "slot drop",
        "slot list",
        "basebackup",
        "receivewal",
        "verifybackup",
        "restore-wal",
        "restore-backup",
        "check",
        "demo",
        "status",
        "bench",
        "bench wal",
        "bench basebackup");
  }

  /** The words of {@code command} (none for the top level). */
  private static String[] words(String command) {
    return command.isEmpty() ? new String[0] : command.split(" ");
  }

  /** {@code command} followed by {@code option}, as arguments. */
  private static String[] args(String command, String option) {
    return (command.isEmpty() ? option : command + " " + option).split(" ");
  }

  @ParameterizedTest
  @MethodSource("commands")
  void printsHelpOnStdoutAndExitsZero(String command) {
    assertThat(CliRun.help(words(command)).out()).startsWith("Usage: jwalreceiver");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "slot", "bench"})
  void listsEachSubcommandOnOneLine(String command) {
    String[] args = args(command, "--help");
    String out = CliRun.of(NO_ENV, args).out();
    String list = out.substring(out.indexOf("Commands:\n") + "Commands:\n".length());
    list = list.substring(0, list.indexOf("\n\n") < 0 ? list.length() : list.indexOf("\n\n"));
    // Each entry is "  name  summary": a wrapped description would leave a line that starts
    // with the column's indentation instead of a command name.
    assertThat(list.lines())
        .isNotEmpty()
        .allSatisfy(l -> assertThat(l).matches("  [a-z][a-z-]* +\\S.*"));
  }

  @ParameterizedTest
  @MethodSource("commands")
  void printsVersionOnEveryCommand(String command) {
    CliRun.version(words(command));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "syncfs=this build does not support sync method \"syncfs\"",
        "bogus=unrecognized sync method: bogus"
      })
  void basebackupSyncMethodAsPgBasebackup17(String caseText) {
    String[] c = caseText.split("=", 2);
    CliRun r =
        CliRun.of(NO_ENV, "basebackup", "-D", "/nonexistent/never-created", "--sync-method", c[0]);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("jwalreceiver: error: " + c[1] + "\n");
  }

  @Test
  void rejectsAnUnknownOptionWithAHint() {
    CliRun r =
        CliRun.of(NO_ENV, "identify", "--bogus")
            .assertErrorOnly("jwalreceiver: error: unrecognized option \"--bogus\"");
    assertThat(r.err())
        .contains("jwalreceiver: hint: Try \"jwalreceiver identify --help\" for more information.");
  }

  @Test
  void rejectsExtraArguments() {
    CliRun.of(NO_ENV, "identify", "extra")
        .assertErrorOnly(
            "jwalreceiver: error: too many command-line arguments (first is \"extra\")");
  }

  @Test
  void rejectsAMalformedConninfoBeforeConnecting() {
    CliRun.of(NO_ENV, "identify", "-d", "host=localhost port")
        .assertErrorOnly(
            "jwalreceiver: error: missing \"=\" after \"port\" in connection info string");
  }

  @Test
  void rejectsAnInvalidSlotNameBeforeConnecting() {
    CliRun r =
        CliRun.of(NO_ENV, "slot", "create", "Bad-Name", "-h", "127.0.0.1", "-p", "1")
            .assertErrorOnly(
                "jwalreceiver: error: replication slot name \"Bad-Name\" contains invalid character");
    assertThat(r.err()).contains("jwalreceiver: hint: Replication slot names may only contain");
  }

  @Test
  void rejectsAnUnknownHost() {
    CliRun.of(NO_ENV, "identify", "-h", "no-such-host.invalid")
        .assertErrorOnly(
            "jwalreceiver: error: could not translate host name \"no-such-host.invalid\" to"
                + " address: Name or service not known");
  }

  @Test
  void statusRejectsAMissingDirectoryBeforeConnecting() {
    CliRun r = CliRun.of(NO_ENV, "status", "-D", "/nonexistent/archive", "-p", "1");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "jwalreceiver: error: could not open directory"
                + " \"/nonexistent/archive\": No such file or directory"
                + System.lineSeparator());
  }

  @Test
  void receivewalChecksTheMetricsOptionsBeforeConnecting() {
    CliRun noPort = CliRun.of(NO_ENV, "receivewal", "-D", "/tmp", "--metrics-address", "::1");
    assertThat(noPort.exitCode()).isEqualTo(1);
    assertThat(noPort.firstErrorLine())
        .isEqualTo("jwalreceiver: error: --metrics-address needs --metrics-port");
    CliRun badPort = CliRun.of(NO_ENV, "receivewal", "-D", "/tmp", "--metrics-port", "70000");
    assertThat(badPort.exitCode()).isEqualTo(1);
    assertThat(badPort.firstErrorLine())
        .isEqualTo("jwalreceiver: error: invalid metrics port \"70000\"");
  }

  @Test
  void receivewalChecksItsFailoverOptionsBeforeConnecting() {
    CliRun noSlot = CliRun.of(NO_ENV, "receivewal", "-D", "/tmp", "--create-slot-if-missing");
    assertThat(noSlot.exitCode()).isEqualTo(1);
    assertThat(noSlot.firstErrorLine())
        .isEqualTo(
            "jwalreceiver: error: --create-slot-if-missing needs a slot to be specified using"
                + " --slot");
    CliRun shortBackoff = CliRun.of(NO_ENV, "receivewal", "-D", "/tmp", "--reconnect-backoff", "2");
    assertThat(shortBackoff.exitCode()).isEqualTo(1);
    assertThat(shortBackoff.firstErrorLine())
        .isEqualTo("jwalreceiver: error: --reconnect-backoff must be in range 5..86400");
    CliRun help = CliRun.of(NO_ENV, "receivewal", "--help");
    assertThat(help.out()).contains("--reconnect-backoff=MAXSECS", "--create-slot-if-missing");
  }

  @Test
  void receivewalTimestampsEveryMessageWithLogTimestamps() {
    CliRun r =
        CliRun.of(
            NO_ENV, "receivewal", "-D", "/tmp", "--log-timestamps", "-d", "host=localhost port");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .matches(
            "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC "
                + "jwalreceiver: error: missing \"=\" after \"port\" in connection info string\\R");
  }
}
