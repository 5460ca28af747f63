// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code bench} options refused before connecting (the port points nowhere). */
class BenchCommandTest {

  private static final Map<String, String> NOWHERE =
      Map.of("PGHOST", "127.0.0.1", "PGPORT", "1", "PGCONNECT_TIMEOUT", "2");

  @ParameterizedTest
  @ValueSource(strings = {"bench", "bench wal", "bench basebackup"})
  void printsHelpOnStdoutAndExitsZero(String command) {
    CliRun r = CliRun.of(NOWHERE, (command + " --help").split(" "));
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Usage: jwalreceiver " + command);
    assertThat(r.err()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "bench wal --sink tape|invalid sink \"tape\", must be \"discard\" or \"disk\"",
        "bench wal --sink disk|--sink disk needs a directory (-D)",
        "bench wal -D /tmp/x|-D can only be used with --sink disk",
        "bench wal --synchronous|--synchronous needs --sink disk: the discard sink never flushes",
        "bench wal -S s --start 0/1000000|cannot use --slot together with --start",
        "bench wal --start nowhere|could not parse start position \"nowhere\"",
        "bench wal --duration soon|invalid duration \"soon\"",
        "bench wal --bytes lots|invalid size \"lots\"",
        "bench basebackup --sink tape|invalid sink \"tape\", must be \"discard\" or \"disk\"",
        "bench basebackup --sink disk|--sink disk needs a directory (-D)",
        "bench basebackup -F t|-F can only be used with --sink disk",
        "bench basebackup -X stream|the bench does not stream WAL; use -X none or -X fetch",
        "bench basebackup --sink disk -D /tmp/x -F x|invalid output format \"x\", must be \"plain\" or \"tar\"",
        "bench basebackup -Z client-gzip|client-side compression needs --sink disk and -F tar",
        "bench basebackup -Z bogus|unrecognized compression algorithm: \"bogus\"",
      })
  void refusesBadOptionsWithOneLineBeforeConnecting(String args, String message) {
    CliRun r = CliRun.of(NOWHERE, args.split(" "));
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.firstErrorLine()).isEqualTo("jwalreceiver: error: " + message);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("could not connect");
    assertThat(r.out()).isEmpty();
  }
}
