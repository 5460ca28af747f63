// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.upload.WalUploader.Pass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The uploader against a local directory store: what goes up, in which order, what stays. */
class WalUploaderTest {

  private static final UploadOptions FAST =
      new UploadOptions(false, Duration.ofMillis(50), Duration.ofMillis(20), Duration.ofMillis(80));

  @TempDir Path tmp;
  Path spool;
  TestStore store;
  final List<String> warnings = new CopyOnWriteArrayList<>();
  final List<String> uploadedNames = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    spool = Files.createDirectory(tmp.resolve("spool"));
    store = new TestStore(tmp.resolve("store"));
  }

  private WalUploader uploader(UploadOptions options) {
    WalUploader uploader =
        new WalUploader(
            spool,
            store,
            ArchiveLayout.STORE,
            options,
            new WalUploader.Listener() {
              @Override
              public void uploaded(String fileName, String location) {
                uploadedNames.add(fileName);
              }

              @Override
              public void warning(String message) {
                warnings.add(message);
              }
            },
            InstantSource.system());
    uploader.allowRemovals(true);
    return uploader;
  }

  private void write(String name, int seed) throws IOException {
    byte[] content = new byte[1000 + seed];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 31 + seed);
    }
    Files.write(spool.resolve(name), content);
  }

  private List<String> local() throws IOException {
    try (Stream<Path> files = Files.list(spool)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private Path object(String name) {
    return tmp.resolve("store/wal").resolve(name);
  }

  @Test
  void uploadsCompletedFilesInOrderAndKeepsWhatReceivewalNeeds() throws IOException {
    write("00000002.history", 1);
    write("000000010000000000000001", 2);
    write("000000010000000000000002", 3);
    write("000000010000000000000003.partial", 4);
    write("000000020000000000000003", 5);
    write("000000020000000000000004.partial", 6);
    write("00000002.history.tmp", 7);
    Files.createDirectory(spool.resolve(".jwalreceiver"));
    // What a first run would have copied: kept, even if the file were reupload-able.
    byte[] first = Files.readAllBytes(spool.resolve("000000010000000000000001"));

    WalUploader uploader = uploader(FAST);
    assertThat(uploader.pass()).isEqualTo(Pass.DONE);

    assertThat(store.puts)
        .containsExactly(
            "wal/000000010000000000000001",
            "wal/000000010000000000000002",
            "wal/000000010000000000000003.partial",
            "wal/00000002.history",
            "wal/000000020000000000000003");
    assertThat(object("000000010000000000000001")).hasBinaryContent(first);
    assertThat(object("000000020000000000000004.partial")).doesNotExist();
    assertThat(object("00000002.history.tmp")).doesNotExist();
    assertThat(local())
        .containsExactly(
            ".jwalreceiver",
            "00000002.history",
            "00000002.history.tmp",
            "000000020000000000000003",
            "000000020000000000000004.partial");
    assertThat(uploader.uploadedFiles()).isEqualTo(5);
    assertThat(uploader.pendingFiles()).isZero();
    assertThat(warnings).isEmpty();

    // The next completed segment: uploaded; the one before it may go now.
    Files.move(
        spool.resolve("000000020000000000000004.partial"),
        spool.resolve("000000020000000000000004"));
    assertThat(uploader.pass()).isEqualTo(Pass.DONE);
    assertThat(store.puts).hasSize(6).last().isEqualTo("wal/000000020000000000000004");
    assertThat(local()).doesNotContain("000000020000000000000003").contains("00000002.history");
  }

  @Test
  void keepLocalKeepsEveryFile() throws IOException {
    write("000000010000000000000001", 1);
    write("000000010000000000000002", 2);
    List<String> before = local();
    assertThat(uploader(FAST.withKeepLocal(true)).pass()).isEqualTo(Pass.DONE);
    assertThat(store.puts).hasSize(2);
    assertThat(local()).isEqualTo(before);
  }

  @Test
  void nothingIsRemovedWhileRemovalsAreHeldBack() throws IOException {
    write("000000010000000000000001", 1);
    write("000000010000000000000002", 2);
    WalUploader uploader = uploader(FAST);
    uploader.allowRemovals(false);
    assertThat(uploader.pass()).isEqualTo(Pass.DONE);
    assertThat(local()).hasSize(2);
    uploader.allowRemovals(true);
    assertThat(uploader.pass()).isEqualTo(Pass.DONE);
    assertThat(local()).containsExactly("000000010000000000000002");
    assertThat(store.puts).hasSize(2);
  }

  @Test
  void aFailedUploadHoldsBackTheLaterOnes() throws IOException {
    write("000000010000000000000001", 1);
    write("000000010000000000000002", 2);
    write("000000010000000000000003", 3);
    store.refused.add("wal/000000010000000000000002");
    WalUploader uploader = uploader(FAST);

    assertThat(uploader.pass()).isEqualTo(Pass.FAILED);
    assertThat(store.puts).containsExactly("wal/000000010000000000000001");
    assertThat(object("000000010000000000000003")).doesNotExist();
    assertThat(uploader.failures()).isEqualTo(1);
    assertThat(uploader.pendingFiles()).isEqualTo(2);
    assertThat(uploader.oldestPending()).isNotNull();
    assertThat(local()).containsExactly("000000010000000000000002", "000000010000000000000003");

    store.refused.clear();
    assertThat(uploader.pass()).isEqualTo(Pass.DONE);
    assertThat(store.puts)
        .containsExactly(
            "wal/000000010000000000000001",
            "wal/000000010000000000000002",
            "wal/000000010000000000000003");
    assertThat(uploader.pendingFiles()).isZero();
    assertThat(uploader.oldestPending()).isNull();
  }

  @Test
  void aRestartUploadsNothingTwice() throws IOException {
    write("000000010000000000000001", 1);
    write("000000010000000000000002", 2);
    assertThat(uploader(FAST.withKeepLocal(true)).pass()).isEqualTo(Pass.DONE);
    write("000000010000000000000003", 3);

    WalUploader second = uploader(FAST.withKeepLocal(true));
    assertThat(second.pass()).isEqualTo(Pass.DONE);
    assertThat(store.puts)
        .containsExactly(
            "wal/000000010000000000000001",
            "wal/000000010000000000000002",
            "wal/000000010000000000000003");
    // Found in the store at start: not uploaded again, and removable like uploaded ones.
    assertThat(second.uploadedFiles()).isEqualTo(1);
    assertThat(uploadedNames)
        .containsExactly(
            "000000010000000000000001", "000000010000000000000002", "000000010000000000000003");
    assertThat(uploader(FAST).pass()).isEqualTo(Pass.DONE);
    assertThat(local()).containsExactly("000000010000000000000003");
    assertThat(store.puts).hasSize(3);
  }

  @Test
  void anObjectWithOtherContentIsNeverReplaced() throws IOException {
    write("000000010000000000000001", 1);
    write("000000010000000000000002", 2);
    Files.createDirectories(object("x").getParent());
    Files.write(object("000000010000000000000001"), new byte[] {1, 2, 3});
    WalUploader uploader = uploader(FAST);

    assertThat(uploader.pass()).isEqualTo(Pass.FAILED);
    assertThat(uploader.pass()).isEqualTo(Pass.FAILED);
    assertThat(store.puts).isEmpty();
    assertThat(object("000000010000000000000001")).hasBinaryContent(new byte[] {1, 2, 3});
    assertThat(local()).hasSize(2);

    // Once someone removed it, the upload goes on.
    Files.delete(object("000000010000000000000001"));
    assertThat(uploader.pass()).isEqualTo(Pass.DONE);
    assertThat(store.puts).hasSize(2);
  }

  @Test
  void theThreadRetriesWithAWarningAndDrainsOnClose() throws Exception {
    write("000000010000000000000001", 1);
    store.refuseAll = true;
    WalUploader uploader = uploader(FAST);
    uploader.start();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (warnings.size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(warnings).hasSizeGreaterThanOrEqualTo(3);
    assertThat(warnings.get(0)).startsWith("could not list \"").endsWith("; retrying in 1 s");
    store.refuseAll = false;
    write("000000010000000000000002", 2);
    uploader.wake();
    assertThat(uploader.close(Duration.ofSeconds(5))).isTrue();
    assertThat(uploadedNames)
        .containsExactly("000000010000000000000001", "000000010000000000000002");
    assertThat(uploader.failures()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void closeScansOnceMoreAndDoesNotWaitForTheNextScan() throws Exception {
    write("000000010000000000000001", 1);
    WalUploader uploader =
        uploader(
            new UploadOptions(
                false, Duration.ofSeconds(30), Duration.ofMillis(20), Duration.ofMillis(80)));
    uploader.start();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (uploadedNames.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    // Completed after the last scan, and nobody woke the uploader: the stop must find it.
    write("000000010000000000000002", 2);
    long start = System.nanoTime();
    assertThat(uploader.close(Duration.ofSeconds(20))).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(uploadedNames)
        .containsExactly("000000010000000000000001", "000000010000000000000002");
  }

  @Test
  void closeGivesUpAfterTheBoundedWait() throws Exception {
    write("000000010000000000000001", 1);
    store.refused.add("wal/000000010000000000000001");
    WalUploader uploader = uploader(FAST);
    uploader.start();
    long start = System.nanoTime();
    assertThat(uploader.close(Duration.ofMillis(300))).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(warnings).isNotEmpty();
    assertThat(warnings.get(0))
        .startsWith("could not upload \"000000010000000000000001\": could not store \"")
        .contains("HTTP 503");
  }
}
