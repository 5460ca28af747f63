// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.basebackup.sink.TablespaceMapping;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The request builder: pg_basebackup's defaults in one place, and a faithful {@code toBuilder}. */
class BaseBackupRequestTest {

  private static final Destination DIR = new Destination.Directory(Path.of("/backup"));

  @Test
  void defaultsArePgBasebackups() {
    BaseBackupRequest r = BaseBackupRequest.builder().destination(DIR).build();
    assertThat(r)
        .isEqualTo(
            new BaseBackupRequest(
                DIR,
                BaseBackupRequest.Format.PLAIN,
                BaseBackupRequest.WalMethod.STREAM,
                /* slotName= */ null,
                /* createSlot= */ false,
                /* temporarySlot= */ true,
                /* writeRecoveryConf= */ false,
                /* fastCheckpoint= */ false,
                "pg_basebackup base backup",
                /* estimateSize= */ true,
                /* maxRateKb= */ 0,
                /* tablespaceMappings= */ List.of(),
                /* walDir= */ null,
                /* sync= */ true,
                /* keepOnFailure= */ false,
                /* manifest= */ "yes",
                /* manifestChecksums= */ null,
                /* verifyChecksums= */ true,
                Duration.ofSeconds(10),
                /* recoveryConninfo= */ null,
                BackupCompression.NONE,
                /* incrementalManifest= */ null,
                /* waitForArchive= */ true));
  }

  @Test
  void toBuilderKeepsEveryField() {
    BaseBackupRequest r =
        BaseBackupRequest.builder()
            .destination(new Destination.Directory(Path.of("/b")))
            .format(BaseBackupRequest.Format.TAR)
            .walMethod(BaseBackupRequest.WalMethod.FETCH)
            .slotName("s")
            .createSlot(true)
            .temporarySlot(false)
            .writeRecoveryConf(true)
            .fastCheckpoint(true)
            .label("l")
            .estimateSize(false)
            .maxRateKb(64)
            .tablespaceMappings(List.of(TablespaceMapping.parse("/a=/b")))
            .walDir(Path.of("/w"))
            .sync(false)
            .keepOnFailure(true)
            .manifest("force-encode")
            .manifestChecksums("SHA256")
            .verifyChecksums(false)
            .statusInterval(Duration.ofSeconds(3))
            .recoveryConninfo(Map.of("user", "u"))
            .compression(BackupCompression.parse("gzip"))
            .incrementalManifest(Path.of("/m"))
            .waitForArchive(false)
            .build();
    assertThat(r.toBuilder().build()).isEqualTo(r);
    assertThat(r.toBuilder().label("other").build().label()).isEqualTo("other");
  }

  @Test
  void destinationIsRequired() {
    assertThatThrownBy(() -> BaseBackupRequest.builder().build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("destination");
  }

  @Test
  void walIsStreamedOnlyIntoADirectory() {
    List<Destination> elsewhere =
        List.of(
            new Destination.Stdout(new ByteArrayOutputStream()),
            new Destination.Server("blackhole", null),
            new Destination.Discard());
    for (Destination d : elsewhere) {
      assertThatThrownBy(() -> BaseBackupRequest.builder().destination(d).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("WAL can only be streamed into a directory");
      assertThat(
              BaseBackupRequest.builder()
                  .destination(d)
                  .walMethod(BaseBackupRequest.WalMethod.NONE)
                  .build()
                  .destination())
          .isEqualTo(d);
    }
  }
}
