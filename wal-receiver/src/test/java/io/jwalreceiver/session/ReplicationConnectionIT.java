// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.VersionedCases;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The native connection against real servers of every selected version. */
@Tag("postgres")
class ReplicationConnectionIT {

  private static ConnectionConfig tcp(PostgresServer server, String user) {
    return ServerConnections.tcp(server, user).build();
  }

  private static void assertUsable(ReplicationConnection c, int major) {
    assertThat(c.serverMajorVersion()).isEqualTo(major);
    assertThat(c.identifySystem().timeline()).isEqualTo(TimelineId.FIRST);
  }

  /** Role (one pg_hba.conf method each) and the password it is given, none for trust. */
  static Stream<Object[]> logins() {
    return VersionedCases.onEachSelected(
        new Object[][] {
          {PostgresServer.REPL_TRUST, null},
          {PostgresServer.REPL_PASSWORD, PostgresServer.PASSWORD},
          {PostgresServer.REPL_MD5, PostgresServer.PASSWORD},
          {PostgresServer.REPL_SCRAM, PostgresServer.PASSWORD},
        });
  }

  @ParameterizedTest(name = "PostgreSQL {0}: {1}")
  @MethodSource("logins")
  void authenticatesWithEachMethod(int major, String user, String password) {
    PostgresServer server = PostgresServer.shared(major);
    try (ReplicationConnection c =
        ReplicationConnection.open(
            ServerConnections.tcp(server, user).password(password).build())) {
      assertUsable(c, major);
      assertThat(c.isTls()).isFalse();
      assertThat(c.isChannelBound()).isFalse();
    }
  }

  /** Settings that reach the TLS server's SCRAM role over TLS, bound to the channel. */
  static Stream<Object[]> tlsSettings() {
    Function<PostgresServer, ConnectionConfig> verifyFullRequiringBinding =
        server ->
            ServerConnections.verifyFull(server, server.host(), PostgresServer.REPL_TLS)
                .channelBinding(ChannelBinding.REQUIRE)
                .build();
    Function<PostgresServer, ConnectionConfig> defaults =
        server -> ServerConnections.withPassword(server, PostgresServer.REPL_SCRAM).build();
    return VersionedCases.onEachSelected(
        new Object[][] {
          {"verify-full, channel_binding=require", verifyFullRequiringBinding},
          // sslmode=prefer: TLS when the server offers it.
          {"the default sslmode and channel_binding", defaults},
        });
  }

  @ParameterizedTest(name = "PostgreSQL {0}: {1}")
  @MethodSource("tlsSettings")
  void bindsScramToTheTlsChannel(
      int major, String settings, Function<PostgresServer, ConnectionConfig> config) {
    try (ReplicationConnection c =
        ReplicationConnection.open(config.apply(PostgresServer.sharedTls(major)))) {
      assertUsable(c, major);
      assertThat(c.isTls()).isTrue();
      assertThat(c.isChannelBound()).isTrue();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void refusesChannelBindingRequireWithoutTls(int major) {
    PostgresServer server = PostgresServer.shared(major);
    ConnectionConfig cfg =
        ServerConnections.tcp(server, PostgresServer.REPL_SCRAM)
            .password(PostgresServer.PASSWORD)
            .channelBinding(ChannelBinding.REQUIRE)
            .build();
    assertThat(ServerConnections.refusal(cfg))
        .hasMessage(
            ServerConnections.failedAt(server) + "channel binding required, but SSL not in use");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void connectsOverTheUnixSocket(int major) {
    PostgresServer server = PostgresServer.shared(major);
    ConnectionConfig cfg =
        ConnectionConfig.of(server.socketDir().toString(), server.port(), PostgresServer.SUPERUSER);
    try (ReplicationConnection c = ReplicationConnection.open(cfg)) {
      assertUsable(c, major);
      assertThat(c.isTls()).isFalse();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void identifiesTheSystem(int major) {
    PostgresServer server = PostgresServer.shared(major);
    String systemId = server.queryString("SELECT system_identifier::text FROM pg_control_system()");
    try (ReplicationConnection c =
        ReplicationConnection.open(tcp(server, PostgresServer.REPL_TRUST))) {
      var id = c.identifySystem();
      assertThat(id.systemId()).isEqualTo(systemId);
      assertThat(id.timeline()).isEqualTo(TimelineId.FIRST);
      assertThat(id.xlogPosition().isInvalid()).isFalse();
      assertThat(id.database()).isNull();
      assertThat(c.walSegmentSize()).isEqualTo(new WalSegmentSize(16 * 1024 * 1024));
      assertThat(c.parameters()).containsKey("server_version");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void createsReadsAndDropsSlots(int major) {
    PostgresServer server = PostgresServer.shared(major);
    String reserved = "it_reserved_" + major;
    String lazy = "it_lazy_" + major;
    try (ReplicationConnection c =
        ReplicationConnection.open(tcp(server, PostgresServer.REPL_TRUST))) {
      CreatedSlot created = c.createPhysicalSlot(reserved, false, true);
      assertThat(c.lastCommand())
          .isEqualTo(
              "CREATE_REPLICATION_SLOT \""
                  + reserved
                  + "\" PHYSICAL"
                  + (major >= 15 ? " (RESERVE_WAL)" : " RESERVE_WAL"));
      assertThat(created.slotName()).isEqualTo(reserved);
      assertThat(created.consistentPoint()).isNotNull();
      assertThat(created.snapshotName()).isNull();
      assertThat(created.outputPlugin()).isNull();
      CreatedSlot lazyCreated = c.createPhysicalSlot(lazy, false, false);
      assertThat(lazyCreated.slotName()).isEqualTo(lazy);
      // Without RESERVE_WAL the server reports 0/0: nothing is reserved yet.
      assertThat(lazyCreated.consistentPoint()).isEqualTo(Lsn.parse("0/0"));
      assertThat(
              server.queryString(
                  "SELECT restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = '"
                      + reserved
                      + "'"))
          .isEqualTo("t");
      assertThat(
              server.queryString(
                  "SELECT restart_lsn IS NULL FROM pg_replication_slots WHERE slot_name = '"
                      + lazy
                      + "'"))
          .isEqualTo("t");
      if (major >= 15) {
        Optional<SlotPosition> pos = c.readReplicationSlot(reserved);
        assertThat(pos).isPresent();
        assertThat(pos.get().slotType()).isEqualTo("physical");
        assertThat(pos.get().restartLsn())
            .isEqualTo(
                Lsn.parse(
                    server.queryString(
                        "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '"
                            + reserved
                            + "'")));
        assertThat(pos.get().restartTimeline()).isEqualTo(TimelineId.FIRST);
        assertThat(c.readReplicationSlot(lazy).get().restartLsn()).isNull();
        assertThat(c.readReplicationSlot("it_missing")).isEmpty();
      } else {
        assertThatThrownBy(() -> c.readReplicationSlot(reserved))
            .isInstanceOf(PgException.class)
            .hasMessageContaining("READ_REPLICATION_SLOT is not supported");
      }
      assertThatThrownBy(() -> c.createPhysicalSlot(reserved, false, true))
          .isInstanceOf(PgException.class)
          .satisfies(
              e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.DUPLICATE_OBJECT))
          .hasMessageContaining("already exists");
      c.dropSlot(reserved, false);
      c.dropSlot(lazy, true);
      assertThat(c.lastCommand()).isEqualTo("DROP_REPLICATION_SLOT \"" + lazy + "\" WAIT");
      assertThatThrownBy(() -> c.dropSlot(reserved, false))
          .isInstanceOf(PgException.class)
          .satisfies(
              e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.UNDEFINED_OBJECT))
          .hasMessageContaining("does not exist");
      // The connection is still usable after errors.
      assertUsable(c, major);
    }
    assertThat(
            server.queryString(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'it\\_%\\_"
                    + major
                    + "'"))
        .isEqualTo("0");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void dropsTemporarySlotsWithTheSession(int major) {
    PostgresServer server = PostgresServer.shared(major);
    String slot = "it_temp_" + major;
    try (ReplicationConnection c =
        ReplicationConnection.open(tcp(server, PostgresServer.REPL_TRUST))) {
      c.createPhysicalSlot(slot, true, true);
      assertThat(
              server.queryString(
                  "SELECT temporary FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
          .isEqualTo("t");
    }
    // The walsender drops it when the session ends; that takes a moment.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String count;
    do {
      count =
          server.queryString(
              "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    } while (!"0".equals(count) && System.nanoTime() < deadline);
    assertThat(count).isEqualTo("0");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void fetchesTheHistoryOfTheNewTimelineAfterPromotion(int major) {
    try (PostgresServer primary = PostgresServer.start(major);
        PostgresServer standby = primary.createStandby()) {
      standby.promote();
      try (ReplicationConnection c =
          ReplicationConnection.open(tcp(standby, PostgresServer.REPL_TRUST))) {
        TimelineId two = new TimelineId(2);
        assertThat(c.identifySystem().timeline()).isEqualTo(two);
        TimelineHistoryFile history = c.timelineHistory(two);
        assertThat(history.fileName()).isEqualTo("00000002.history");
        String text = new String(history.content(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("1\t");
        assertThat(history.entries()).hasSize(1);
        assertThat(history.entries().get(0).parent()).isEqualTo(TimelineId.FIRST);
        assertThat(history.entries().get(0).switchPoint().isInvalid()).isFalse();
      }
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void deliversNoticesAndKeepsServerErrorFields(int major) {
    PostgresServer server = PostgresServer.shared(major);
    List<String> notices = new ArrayList<>();
    try (ReplicationConnection c =
        ReplicationConnection.open(
            tcp(server, PostgresServer.REPL_TRUST), n -> notices.add(n.render()))) {
      PgException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              PgException.class, () -> c.query("SELECT 1"));
      assertThat(e.fromServer()).isTrue();
      assertThat(e.serverError().severity()).isEqualTo("ERROR");
      assertThat(e.render()).startsWith("ERROR:  ");
      assertUsable(c, major);
    }
  }
}
