// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.testkit.Ports;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Trying a host list without servers: the order and libpq's wording of the failures. */
class HostListConnectTest {

  private static final String REFUSED_HINT =
      "Is the server running on that host and accepting TCP/IP connections?";

  @Test
  void listsEveryHostsFailureInTurnAsLibpq() throws IOException {
    int p1 = Ports.unused();
    int p2 = Ports.unused();
    ConnectionConfig cfg =
        ConnInfo.resolve(
            "host=127.0.0.1,localhost,nonexistent.invalid port=" + p1 + "," + p2 + ",1",
            null,
            null,
            null,
            Map.of(),
            "u",
            null,
            null,
            p -> false);
    PgException e = failure(cfg);
    // What pg_receivewal 15 prints for the same list (localhost: one line per address).
    assertThat(e.getMessage())
        .startsWith(
            "connection to server at \"127.0.0.1\", port "
                + p1
                + " failed: Connection refused\n\t"
                + REFUSED_HINT
                + "\nconnection to server at \"localhost\" (")
        .contains("), port " + p2 + " failed: Connection refused\n\t" + REFUSED_HINT)
        .endsWith(
            "\ncould not translate host name \"nonexistent.invalid\" to address: Name or"
                + " service not known");
    assertThat(e.sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE);
  }

  @Test
  void aSingleFailureIsReportedUnchanged() throws IOException {
    int port = Ports.unused();
    PgException e = failure(ConnectionConfig.of("127.0.0.1", port, "u"));
    assertThat(e.getMessage())
        .isEqualTo(
            "connection to server at \"127.0.0.1\", port " + port + " failed: Connection refused");
    assertThat(e.hint()).isEqualTo(REFUSED_HINT);
  }

  private static PgException failure(ConnectionConfig cfg) {
    PgException e = catchThrowableOfType(PgException.class, () -> ReplicationConnection.open(cfg));
    assertThat(e).isNotNull();
    return e;
  }

  @Test
  void showsTheHostaddrAsLibpqDoes() throws IOException {
    int port = Ports.unused();
    ConnectionConfig cfg =
        ConnectionConfig.builder()
            .host("db.example")
            .hostAddr("127.0.0.1")
            .port(port)
            .user("u")
            .build();
    assertThatThrownBy(() -> ReplicationConnection.open(cfg))
        .hasMessage(
            "connection to server at \"127.0.0.1\", port " + port + " failed: Connection refused");
  }

  @Test
  void rendersEarlierFailuresWithTheirServerAndHintLines() {
    ConnectFailures failures = new ConnectFailures();
    failures.add(
        new PgException(
            SqlState.CONNECTION_UNABLE,
            "where1 failed: Connection refused",
            null,
            REFUSED_HINT,
            null));
    failures.add(
        new PgException(
            "where2 failed: ",
            ServerError.of(
                Map.of('V', "FATAL", 'C', "57P03", 'M', "the database system is starting up"))));
    failures.add(
        new PgException(SqlState.CONNECTION_UNABLE, "where3 failed: session is read-only"));
    PgException e = failures.toException();
    assertThat(e.getMessage())
        .isEqualTo(
            "where1 failed: Connection refused\n\t"
                + REFUSED_HINT
                + "\nwhere2 failed: FATAL:  the database system is starting up"
                + "\nwhere3 failed: session is read-only");
    assertThat(e.hint()).isNull();
  }

  @Test
  void hostsOfAListAreKeptInTheConnectionSettings() {
    ConnectionConfig cfg =
        ConnectionConfig.builder()
            .hosts(
                List.of(new HostSpec("a", null, 1), new HostSpec("b", "10.0.0.2", 2)),
                TargetSessionAttrs.READ_WRITE,
                true)
            .user("u")
            .build();
    assertThat(cfg.host()).isEqualTo("a");
    assertThat(cfg.port()).isEqualTo(1);
    assertThat(cfg.toBuilder().build().hosts()).hasSize(2);
    assertThat(cfg.toBuilder().build().targetSessionAttrs())
        .isEqualTo(TargetSessionAttrs.READ_WRITE);
    assertThat(cfg.toBuilder().build().loadBalanceHosts()).isTrue();
    assertThat(cfg.toBuilder().port(5).build().hosts()).containsExactly(new HostSpec("a", null, 5));
    assertThat(cfg.forHost(cfg.hosts().get(1)).hosts())
        .containsExactly(new HostSpec("b", "10.0.0.2", 2));
    assertThat(cfg.forHost(cfg.hosts().get(1)).isUnixSocket()).isFalse();
  }
}
