// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConnectionConfigTest {

  @Test
  void builderStartsFromThePhysicalReplicationDefaults() {
    ConnectionConfig cfg = ConnectionConfig.builder().host("db").user("repl").build();
    assertThat(cfg.port()).isEqualTo(5432);
    assertThat(cfg.database()).isEqualTo("replication");
    assertThat(cfg.replication()).isEqualTo("true");
    assertThat(cfg.sslMode()).isEqualTo(SslMode.PREFER);
    assertThat(cfg.channelBinding()).isEqualTo(ChannelBinding.PREFER);
    assertThat(cfg.connectTimeout()).isEqualTo(Duration.ZERO);
    assertThat(cfg.tls()).isEqualTo(TlsOptions.DEFAULTS);
    assertThat(cfg.effectiveApplicationName()).isEqualTo("jwalreceiver");
    assertThat(cfg.password()).isNull();
    assertThat(cfg.explicitDatabase()).isNull();
    assertThat(ConnectionConfig.of("db", 5432, "repl")).isEqualTo(cfg);
  }

  @Test
  void toBuilderKeepsEveryValueAndChangesOnlyWhatIsSet() {
    ConnectionConfig cfg =
        ConnectionConfig.builder()
            .host("db")
            .port(5433)
            .user("repl")
            .database("app")
            .applicationName("app1")
            .fallbackApplicationName("tool")
            .password("pw")
            .passFile(Path.of("/p"))
            .sslMode(SslMode.VERIFY_FULL)
            .sslRootCert(Path.of("/ca"))
            .channelBinding(ChannelBinding.REQUIRE)
            .connectTimeout(Duration.ofSeconds(3))
            .replication(null)
            .hostAddr("10.0.0.1")
            .requireAuth("scram-sha-256")
            .gssEncMode("disable")
            .explicitDatabase("app")
            .build();
    assertThat(cfg.toBuilder().build()).isEqualTo(cfg);
    ConnectionConfig other = cfg.toBuilder().port(6000).build();
    assertThat(other.port()).isEqualTo(6000);
    assertThat(other.toBuilder().port(5433).build()).isEqualTo(cfg);
    assertThat(
            cfg.toBuilder()
                .fallbackApplicationName("pg_basebackup")
                .build()
                .fallbackApplicationName())
        .isEqualTo("pg_basebackup");
  }

  @Test
  void buildRefusesAMissingHostOrUserAndABadPort() {
    assertThatThrownBy(() -> ConnectionConfig.builder().user("u").build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("host");
    assertThatThrownBy(() -> ConnectionConfig.builder().host("h").build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("user");
    assertThatThrownBy(() -> ConnectionConfig.builder().host("h").user("u").port(0).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringNeverShowsThePassword() {
    assertThat(ConnectionConfig.builder().host("h").user("u").password("secret").build().toString())
        .doesNotContain("secret")
        .contains("password=set");
  }
}
