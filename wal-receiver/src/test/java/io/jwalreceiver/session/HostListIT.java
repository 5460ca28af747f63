// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.Ports;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * libpq's host lists against real servers: a primary and its streaming standby of each selected
 * version, tried in turn, chosen by target_session_attrs, load-balanced, with per-host .pgpass;
 * failures worded as pg_receivewal words them (compared with the installed pg_receivewal when there
 * is one).
 */
@Tag("postgres")
class HostListIT {

  private static final String PG_RECEIVEWAL = "/usr/lib/postgresql/15/bin/pg_receivewal";

  /** A primary and its standby. */
  private record Pair(PostgresServer primary, PostgresServer standby) {}

  private static final Map<Integer, Pair> PAIRS = new HashMap<>();

  private static synchronized Pair pair(int major) {
    return PAIRS.computeIfAbsent(
        major,
        m -> {
          PostgresServer primary = PostgresServer.start(m);
          return new Pair(primary, primary.createStandby());
        });
  }

  @AfterAll
  static synchronized void stopServers() {
    for (Pair p : PAIRS.values()) {
      p.standby().close();
      p.primary().close();
    }
    PAIRS.clear();
  }

  private static ConnectionConfig resolve(String conninfo) {
    return resolve(conninfo, Map.of());
  }

  private static ConnectionConfig resolve(String conninfo, Map<String, String> env) {
    return ConnInfo.resolve(
        // The superuser: trusted for replication and SQL alike (the check connection on 13).
        conninfo + " user=" + PostgresServer.SUPERUSER + " sslmode=disable connect_timeout=20",
        null,
        null,
        null,
        env,
        "nobody",
        null,
        "hostlist-it",
        p -> false);
  }

  private static String hosts(int... ports) {
    StringBuilder hosts = new StringBuilder();
    StringBuilder list = new StringBuilder();
    for (int p : ports) {
      hosts.append(hosts.length() == 0 ? "" : ",").append(PostgresServer.HOST);
      list.append(list.length() == 0 ? "" : ",").append(p);
    }
    return "host=" + hosts + " port=" + list;
  }

  private static int connectedPort(ConnectionConfig cfg) {
    try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
      assertThat(c.server().host()).isEqualTo(PostgresServer.HOST);
      assertThat(c.server().address()).isEqualTo(PostgresServer.HOST);
      assertThat(c.config().hosts()).isEqualTo(cfg.hosts());
      c.identifySystem(); // usable
      return c.server().port();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void skipsAHostThatIsDown(int major) throws IOException {
    Pair p = pair(major);
    int down = Ports.unused();
    assertThat(connectedPort(resolve(hosts(down, p.primary().port()))))
        .isEqualTo(p.primary().port());
    // The URI form too.
    String uri =
        "postgresql://"
            + PostgresServer.HOST
            + ":"
            + down
            + ",["
            + "::1]:"
            + down
            + ","
            + PostgresServer.HOST
            + ":"
            + p.standby().port()
            + "/replication?user="
            + PostgresServer.REPL_TRUST
            + "&sslmode=disable";
    ConnectionConfig cfg =
        ConnInfo.resolve(uri, null, null, null, Map.of(), "nobody", null, "it", q -> false);
    assertThat(connectedPort(cfg)).isEqualTo(p.standby().port());
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void connectTimeoutAppliesToEachHost(int major) throws IOException {
    Pair p = pair(major);
    // Accepts TCP connections (in the kernel's backlog) and never answers.
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ConnectionConfig cfg =
          resolve(hosts(silent.getLocalPort(), p.primary().port())).toBuilder()
              .connectTimeout(Duration.ofSeconds(2))
              .build();
      long started = System.nanoTime();
      assertThat(connectedPort(cfg)).isEqualTo(p.primary().port());
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void choosesByTargetSessionAttrs(int major) {
    Pair p = pair(major);
    int primary = p.primary().port();
    int standby = p.standby().port();
    for (int[] order : List.of(new int[] {primary, standby}, new int[] {standby, primary})) {
      String list = hosts(order);
      assertThat(connectedPort(resolve(list))).as("any").isEqualTo(order[0]);
      Map<String, Integer> chosen =
          Map.of(
              "read-write", primary,
              "primary", primary,
              "read-only", standby,
              "standby", standby,
              "prefer-standby", standby);
      chosen.forEach(
          (attrs, port) ->
              assertThat(connectedPort(resolve(list + " target_session_attrs=" + attrs)))
                  .as(attrs)
                  .isEqualTo(port));
      assertThat(connectedPort(resolve(list, Map.of("PGTARGETSESSIONATTRS", "read-write"))))
          .as("PGTARGETSESSIONATTRS")
          .isEqualTo(primary);
    }
    // prefer-standby's second pass: no standby listed, so the first server after all.
    assertThat(
            connectedPort(
                resolve(hosts(primary, primary) + " target_session_attrs=prefer-standby")))
        .isEqualTo(primary);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void reportsEveryRejectedHostAsLibpq(int major) throws IOException {
    Pair p = pair(major);
    int primary = p.primary().port();
    int standby = p.standby().port();
    String at = "connection to server at \"" + PostgresServer.HOST + "\", port ";
    assertRejected(
        hosts(standby, standby) + " target_session_attrs=read-write",
        at
            + standby
            + " failed: session is read-only\n"
            + at
            + standby
            + " failed: session is read-only");
    assertRejected(
        hosts(primary, primary) + " target_session_attrs=read-only",
        at
            + primary
            + " failed: session is not read-only\n"
            + at
            + primary
            + " failed: session is not read-only");
    assertRejected(
        hosts(standby, standby) + " target_session_attrs=primary",
        at
            + standby
            + " failed: server is in hot standby mode\n"
            + at
            + standby
            + " failed: server is in hot standby mode");
    if (major < 14) {
      // No in_hot_standby report: asked over a plain SQL session, which needs a password for
      // this role (trusted for replication only).
      ConnectionConfig noPassword =
          resolve(hosts(standby) + " target_session_attrs=primary").toBuilder()
              .user(PostgresServer.REPL_TRUST)
              .build();
      assertThatThrownBy(() -> ReplicationConnection.open(noPassword).close())
          .hasMessage(
              at
                  + standby
                  + " failed: fe_sendauth: no password supplied\n"
                  + "\"SELECT pg_is_in_recovery()\" failed");
    }
    assertRejected(
        hosts(primary, primary) + " target_session_attrs=standby",
        at
            + primary
            + " failed: server is not in hot standby mode\n"
            + at
            + primary
            + " failed: server is not in hot standby mode");
  }

  private static void assertRejected(String conninfo, String expected) throws IOException {
    ConnectionConfig cfg = resolve(conninfo);
    assertThatThrownBy(() -> ReplicationConnection.open(cfg).close())
        .isInstanceOf(PgException.class)
        .hasMessage(expected);
    if (Files.isExecutable(Path.of(PG_RECEIVEWAL))) {
      // The oracle: pg_receivewal fails before it writes anything.
      Path target = Files.createTempDirectory("hostlist-it");
      Tools.Result r =
          Tools.run(
              Duration.ofSeconds(60),
              PG_RECEIVEWAL,
              "-D",
              target.toString(),
              "-w",
              "-d",
              conninfo + " user=" + PostgresServer.SUPERUSER + " sslmode=disable");
      if (!expected.contains("hot standby") || !r.stderr().contains("pg_is_in_recovery")) {
        // (A 13 server reports no in_hot_standby: libpq then fails its SQL on the walsender,
        // where jwalreceiver asks over a plain connection instead.)
        assertThat(r.stderr()).isEqualTo("pg_receivewal: error: " + expected + "\n");
      }
      Files.delete(target);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void loadBalancingReachesEveryHost(int major) {
    Pair p = pair(major);
    ConnectionConfig cfg =
        resolve(hosts(p.primary().port(), p.standby().port()) + " load_balance_hosts=random");
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      seen.add(connectedPort(cfg));
    }
    // Each order has probability 1/2: both are missed in 40 tries with probability 2^-39.
    assertThat(seen).containsExactlyInAnyOrder(p.primary().port(), p.standby().port());
    // Without it, always the first.
    ConnectionConfig ordered = resolve(hosts(p.primary().port(), p.standby().port()));
    for (int i = 0; i < 5; i++) {
      assertThat(connectedPort(ordered)).isEqualTo(p.primary().port());
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void looksUpEachHostsOwnPassword(int major, @TempDir Path dir) throws IOException {
    Pair p = pair(major);
    int down = Ports.unused();
    Path pgpass = dir.resolve("pgpass");
    // The down host's line would be wrong, the live host's is right: each host is looked up.
    Files.writeString(
        pgpass,
        PostgresServer.HOST
            + ":"
            + down
            + ":*:"
            + PostgresServer.REPL_PASSWORD
            + ":wrong\n"
            + PostgresServer.HOST
            + ":"
            + p.primary().port()
            + ":*:"
            + PostgresServer.REPL_PASSWORD
            + ":"
            + PostgresServer.PASSWORD
            + "\n");
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
    ConnectionConfig cfg =
        ConnInfo.resolve(
            hosts(down, p.primary().port())
                + " user="
                + PostgresServer.REPL_PASSWORD
                + " sslmode=disable passfile="
                + pgpass,
            null,
            null,
            null,
            Map.of(),
            "nobody",
            null,
            "it",
            q -> false);
    try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
      assertThat(c.server().port()).isEqualTo(p.primary().port());
    }
  }
}
