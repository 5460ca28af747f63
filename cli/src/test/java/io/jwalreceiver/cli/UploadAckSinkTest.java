// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import io.jwalreceiver.archive.upload.UploadOptions;
import io.jwalreceiver.archive.upload.WalUploader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where {@code --ack-after-upload} holds the flush position: the end of the newest upload. */
class UploadAckSinkTest {

  @TempDir Path tmp;

  @Test
  void theLimitIsTheEndOfTheNewestUploadedSegment() throws Exception {
    Path spool = Files.createDirectory(tmp.resolve("spool"));
    try (ObjectStore store =
        Stores.open(StoreLocation.parse(tmp.resolve("store").toString()), Map.of())) {
      WalUploader uploader =
          new WalUploader(
              spool,
              store,
              ArchiveLayout.STORE,
              UploadOptions.DEFAULTS.withKeepLocal(true),
              new WalUploader.Listener() {},
              InstantSource.system());
      WalSegmentSize size = new WalSegmentSize(16 << 20);
      assertThat(UploadAckSink.uploadedEnd(uploader, size)).isZero();

      Files.write(spool.resolve("0000000100000001000000FE"), new byte[10]);
      Files.write(spool.resolve("0000000100000001000000FF"), new byte[10]);
      Files.write(spool.resolve("000000010000000200000000.partial"), new byte[10]);
      uploader.start();
      assertThat(uploader.close(Duration.ofSeconds(10))).isTrue();
      // The last 16 MiB segment of log id 1 ends where log id 2 begins.
      assertThat(UploadAckSink.uploadedEnd(uploader, size)).isEqualTo(0x2_0000_0000L);
      assertThat(UploadAckSink.uploadedEnd(uploader, new WalSegmentSize(1 << 20)))
          .isEqualTo(0x1_0000_0000L + 0x100L * (1 << 20));
    }
  }
}
