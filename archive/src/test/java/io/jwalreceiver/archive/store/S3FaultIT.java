// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import static io.jwalreceiver.testkit.HttpFaultProxy.internalError;
import static io.jwalreceiver.testkit.HttpFaultProxy.request;
import static io.jwalreceiver.testkit.HttpFaultProxy.slowDown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.testkit.HttpFaultProxy;
import io.jwalreceiver.testkit.HttpFaultProxy.CutRequest;
import io.jwalreceiver.testkit.HttpFaultProxy.CutResponse;
import io.jwalreceiver.testkit.HttpFaultProxy.FlipRequestByte;
import io.jwalreceiver.testkit.HttpFaultProxy.Stall;
import io.jwalreceiver.testkit.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link S3Store} under faults between it and a real S3 server ({@link HttpFaultProxy} in front of
 * S3Proxy): answers 500/503, connections cut in the request or the response, a body byte flipped on
 * the way, a stalled server, a stopped one. Transient faults are retried to success with identical
 * content; persistent ones end in one-line IOExceptions naming the object and the answer, soon; no
 * object is ever visible with partial or damaged content.
 */
class S3FaultIT {

  private static final int PART = 5 << 20;
  private static final Duration BOUND = Duration.ofSeconds(20);

  /**
   * How the store refuses a damaged body: the SDK signs the payload over plain HTTP, so the
   * signature check (403) comes before Content-MD5's (400 BadDigest, over HTTPS).
   */
  private static final String DAMAGE_REFUSED =
      ".*HTTP (403 SignatureDoesNotMatch|400 BadDigest|400 XAmzContentSHA256Mismatch).*";

  private static HttpFaultProxy proxy;

  @TempDir Path tmp;

  private String bucket;
  private S3Store store;

  @BeforeAll
  static void startProxy() {
    proxy = HttpFaultProxy.to(S3Server.shared());
  }

  @AfterAll
  static void stopProxy() {
    proxy.close();
  }

  @BeforeEach
  void openStore() {
    bucket = S3Server.shared().newBucket();
    store = storeAt(proxy.endpoint(), S3Store.Timeouts.DEFAULT);
  }

  @AfterEach
  void closeStore() {
    proxy.clear();
    store.close();
  }

  private S3Store storeAt(java.net.URI endpoint, S3Store.Timeouts timeouts) {
    StoreLocation location = StoreLocation.parse("s3://" + bucket + "/pfx");
    return new S3Store(
        location, S3Settings.resolve(location, S3Server.environment(endpoint)), PART, timeouts);
  }

  @Test
  void transientFaultsOnEveryOperationAreRetriedToIdenticalContent() throws Exception {
    byte[] segment = random(6 << 20, 1);
    Path file = tmp.resolve("segment");
    Files.write(file, segment);
    byte[] streamed = random(3 * PART + 4321, 2);
    // Two faults for each call (the SDK makes 3 attempts): every kind on some call.
    proxy
        .inject(request("PUT", "wal/file"), 1, slowDown())
        .inject(request("PUT", "wal/file"), 1, new CutRequest(1 << 20))
        .inject(request("PUT", "wal/bytes"), 1, internalError())
        .inject(request("PUT", "wal/bytes"), 1, new CutResponse(0))
        .inject(request("POST", "base.tar?uploads"), 2, slowDown())
        .inject(request("PUT", "partNumber=2"), 1, new CutRequest(3 << 20))
        .inject(request("PUT", "partNumber=2"), 1, new CutResponse(10))
        .inject(request("PUT", "partNumber=4"), 1, internalError())
        .inject(request("POST", "base.tar?uploadId"), 1, new CutResponse(0))
        .inject(request("POST", "base.tar?uploadId"), 1, slowDown())
        .inject(request("GET", "list-type=2"), 2, internalError())
        .inject(request("HEAD", "wal/file"), 1, slowDown())
        .inject(request("HEAD", "wal/file"), 1, new CutRequest(0))
        .inject(request("GET", "base.tar"), 1, new CutResponse(0))
        .inject(request("GET", "base.tar"), 1, internalError())
        .inject(request("GET", "wal/file"), 1, new CutResponse(1 << 20))
        .inject(request("GET", "wal/file"), 1, new CutResponse(3 << 20))
        .inject(request("DELETE", "wal/bytes"), 1, internalError())
        .inject(request("DELETE", "wal/bytes"), 1, new CutResponse(0));

    StoredObject put = store.put("wal/file", file);
    assertThat(put.size()).isEqualTo(segment.length);
    store.put("wal/bytes", new byte[] {1, 2, 3});
    try (ObjectWriter writer = store.create("basebackups/1/base.tar")) {
      write(writer, streamed);
      writer.commit();
    }
    assertThat(store.list(""))
        .extracting(StoredObject::key)
        .containsExactly("basebackups/1/base.tar", "wal/bytes", "wal/file");
    assertThat(store.stat("wal/file").orElseThrow().sha256()).isEqualTo(put.sha256());
    assertThat(readAll("basebackups/1/base.tar")).isEqualTo(streamed);
    // Cut twice in the body: the reader resumes from where it was.
    assertThat(readAll("wal/file")).isEqualTo(segment);
    store.delete(List.of("wal/bytes"));
    assertThat(store.list("wal/")).extracting(StoredObject::key).containsExactly("wal/file");

    assertThat(proxy.injected()).hasSize(21);
    assertThat(bucketFiles()).isEqualTo(2);
  }

  @Test
  void aSeededRandomScheduleOfFaultsIsRetriedToIdenticalContent() throws Exception {
    proxy.randomly(
        12,
        0.3,
        2,
        request(null, ""),
        List.of(slowDown(), internalError(), new CutRequest(100_000), new CutResponse(0)));
    byte[] streamed = random(2 * PART + 1, 3);
    for (int i = 0; i < 4; i++) {
      store.put("wal/" + i, random(300_000 + i, i));
      try (ObjectWriter writer = store.create("basebackups/" + i + "/base.tar")) {
        write(writer, streamed);
        writer.commit();
      }
    }
    for (int i = 0; i < 4; i++) {
      assertThat(readAll("wal/" + i)).isEqualTo(random(300_000 + i, i));
      assertThat(readAll("basebackups/" + i + "/base.tar")).isEqualTo(streamed);
    }
    assertThat(store.list("")).hasSize(8);
    assertThat(proxy.injected()).hasSizeGreaterThan(5);
  }

  static Stream<Object[]> persistentFaults() {
    return Stream.of(
        new Object[] {slowDown(), "HTTP 503 SlowDown"},
        new Object[] {internalError(), "HTTP 500 InternalError"},
        new Object[] {new CutRequest(1000), "Unable to execute HTTP request"});
  }

  @ParameterizedTest
  @MethodSource("persistentFaults")
  void persistentFaultsEndInAMessageNamingTheObjectAndTheAnswerSoon(
      HttpFaultProxy.Fault fault, String answer) throws Exception {
    store.put("wal/there", new byte[] {7});
    proxy.inject(request(null, ""), Integer.MAX_VALUE, fault);
    String object = "s3://" + bucket + "/pfx/";
    assertFailsSoon(() -> store.put("wal/a", new byte[5000]), object + "wal/a", answer);
    Path file = tmp.resolve("f");
    Files.write(file, new byte[10_000]);
    assertFailsSoon(() -> store.put("wal/b", file), object + "wal/b", answer);
    assertFailsSoon(() -> store.stat("wal/there"), object + "wal/there", answer);
    assertFailsSoon(() -> store.open("wal/there").close(), object + "wal/there", answer);
    assertFailsSoon(() -> store.list("wal/"), object + "wal/", answer);
    // (A cut request without a body reaches the store whole: removing an existing object would
    // succeed there, only the answer would be lost.)
    assertFailsSoon(() -> store.delete(List.of("wal/absent")), object + "wal/absent", answer);
    assertFailsSoon(
        () -> {
          try (ObjectWriter writer = store.create("basebackups/2/base.tar")) {
            write(writer, random(PART + 1, 4));
            writer.commit();
          }
        },
        object + "basebackups/2/base.tar",
        answer);
    proxy.clear();
    assertThat(readAll("wal/there")).containsExactly(7);
    assertThat(store.list("")).extracting(StoredObject::key).containsExactly("wal/there");
  }

  @Test
  void aStreamedObjectCutAndClosedWithoutCommitLeavesNothing() throws Exception {
    proxy.inject(request("PUT", "partNumber=2"), Integer.MAX_VALUE, new CutRequest(2 << 20));
    ObjectWriter writer = store.create("basebackups/3/base.tar");
    assertThatThrownBy(
            () -> {
              write(writer, random(3 * PART, 5));
              writer.commit();
            })
        .isInstanceOf(IOException.class)
        .hasMessageContaining(
            "upload part 2 of \"s3://" + bucket + "/pfx/basebackups/3/base.tar\"");
    // The upload exists until the close (S3Proxy lists multipart uploads: this check can fail).
    assertThat(store.client().listMultipartUploads(r -> r.bucket(bucket)).uploads()).hasSize(1);
    // A broken writer stays broken: its bytes may be partly consumed.
    assertThatThrownBy(() -> writer.write(ByteBuffer.wrap(new byte[10])))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("failed earlier");
    assertThatThrownBy(writer::commit)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("failed earlier");
    writer.close();
    proxy.clear();
    assertThat(store.stat("basebackups/3/base.tar")).isEmpty();
    assertThat(store.list("")).isEmpty();
    assertThat(store.client().listMultipartUploads(r -> r.bucket(bucket)).uploads()).isEmpty();
    assertThat(bucketFiles()).isZero();
  }

  @Test
  void aBodyDamagedOnTheWayIsNeverStored() throws Exception {
    byte[] content = random(200_000, 6);
    proxy.inject(request("PUT", "wal/damaged"), 1, new FlipRequestByte(150_000));
    refusedOrRetried(() -> store.put("wal/damaged", content), "wal/damaged", content);

    byte[] streamed = random(PART + 10, 7);
    proxy.inject(request("PUT", "partNumber=1"), 1, new FlipRequestByte(4 << 20));
    refusedOrRetried(
        () -> {
          try (ObjectWriter writer = store.create("basebackups/4/base.tar")) {
            write(writer, streamed);
            writer.commit();
          }
        },
        "basebackups/4/base.tar",
        streamed);
    assertThat(proxy.injected()).hasSize(2);
  }

  /**
   * A damaged upload either is refused by the store (the SDK does not retry a 4xx), and nothing is
   * stored, or (when the store answers before the whole body is sent, so that the client sees a
   * broken connection) retried by the SDK to an identical object; never stored damaged.
   */
  private void refusedOrRetried(Call call, String key, byte[] content) throws IOException {
    try {
      call.run();
    } catch (Exception e) {
      assertThat(e)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("s3://" + bucket + "/pfx/" + key)
          .hasMessageMatching(DAMAGE_REFUSED);
      assertThat(store.stat(key)).isEmpty();
      assertThat(store.list("")).extracting(StoredObject::key).doesNotContain(key);
      return;
    }
    assertThat(readAll(key)).isEqualTo(content);
  }

  @Test
  void aReaderResumesAfterEveryCutAndNeverSplicesTwoVersions() throws Exception {
    byte[] content = random(1 << 20, 9);
    store.put("wal/r", content);
    // Every answer cut after 300,000 bytes: each resumption makes progress, so the read succeeds.
    proxy.inject(request("GET", "wal/r"), Integer.MAX_VALUE, new CutResponse(300_000));
    assertThat(readAll("wal/r")).isEqualTo(content);
    assertThat(proxy.injected()).hasSizeGreaterThanOrEqualTo(3);

    // Replaced while being read: the resumption asks for the same ETag and is refused.
    proxy.clear();
    proxy.inject(request("GET", "wal/r"), 1, new CutResponse(300_000));
    try (InputStream in = store.open("wal/r")) {
      // Replaced before reading: the first answer has less than 300,000 bytes to give, so a
      // resumption comes after the replacement.
      store.put("wal/r", random(1 << 20, 10));
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("s3://" + bucket + "/pfx/wal/r")
          .hasMessageMatching(".*(HTTP 412 PreconditionFailed|replaced while it was read).*");
    }
  }

  @Test
  void aStalledStoreEndsInAnErrorWithinTheTimeouts() throws Exception {
    store.close();
    store =
        storeAt(
            proxy.endpoint(),
            new S3Store.Timeouts(
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1), 8 << 20));
    store.put("wal/there", new byte[] {1});
    proxy.inject(request(null, ""), Integer.MAX_VALUE, new Stall());
    // An answer that never comes: the socket timeout.
    assertFailsSoon(() -> store.stat("wal/there"), "wal/there", "");
    // A body the store stops reading: the upload attempt timeout.
    assertFailsSoon(() -> store.put("wal/big", random(16 << 20, 8)), "wal/big", "");
    proxy.clear();
    assertThat(store.list("")).extracting(StoredObject::key).containsExactly("wal/there");
  }

  @Test
  void aStoppedStoreEndsInAClearErrorSoonAndARestartedOneWorksAgain() throws Exception {
    try (S3Server own = S3Server.start(tmp.resolve("s3"))) {
      bucket = own.newBucket();
      try (S3Store direct = storeAt(own.endpoint(), S3Store.Timeouts.DEFAULT)) {
        direct.put("wal/1", new byte[] {1});
        own.stop();
        assertFailsSoon(() -> direct.put("wal/2", new byte[] {2}), "wal/2", "Connection refused");
        assertFailsSoon(() -> direct.stat("wal/1"), "wal/1", "Connection refused");
        own.restart();
        direct.put("wal/2", new byte[] {2});
        assertThat(direct.list("")).extracting(StoredObject::key).containsExactly("wal/1", "wal/2");
        try (InputStream in = direct.open("wal/2")) {
          assertThat(in.readAllBytes()).containsExactly(2);
        }
      }
    }
  }

  /** A store call that throws. */
  @FunctionalInterface
  interface Call {
    void run() throws Exception;
  }

  private static void assertFailsSoon(Call call, String object, String answer) {
    long start = System.nanoTime();
    assertThatThrownBy(call::run)
        .isInstanceOf(IOException.class)
        .hasMessageContaining(object)
        .hasMessageContaining(answer)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThan(BOUND);
  }

  private byte[] readAll(String key) throws IOException {
    try (InputStream in = store.open(key)) {
      return in.readAllBytes();
    }
  }

  private long bucketFiles() throws IOException {
    try (Stream<Path> files = Files.walk(S3Server.shared().bucketDirectory(bucket))) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  private static void write(ObjectWriter writer, byte[] content) throws IOException {
    for (int off = 0; off < content.length; off += 100_000) {
      writer.write(ByteBuffer.wrap(content, off, Math.min(100_000, content.length - off)));
    }
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
