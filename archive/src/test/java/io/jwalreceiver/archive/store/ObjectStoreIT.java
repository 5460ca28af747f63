// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.testkit.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both stores against the real things: an S3 bucket on a real S3 API server (S3Proxy on loopback)
 * and a local directory. Every operation of {@link ObjectStore}, the streamed writer across several
 * parts, and that nothing is visible under a key before the commit.
 */
class ObjectStoreIT {

  private static final int PART = 5 << 20;

  @TempDir Path tmp;

  static Stream<String> kinds() {
    return Stream.of("s3", "directory");
  }

  private ObjectStore open(String kind) {
    if (kind.equals("s3")) {
      S3Server server = S3Server.shared();
      StoreLocation location = StoreLocation.parse("s3://" + server.newBucket() + "/some/prefix");
      return new S3Store(location, S3Settings.resolve(location, server.environment()), PART);
    }
    return Stores.open(StoreLocation.parse(tmp.resolve("store").toString()), java.util.Map.of());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void storesListsReadsAndRemovesObjects(String kind) throws Exception {
    try (ObjectStore store = open(kind)) {
      Path file = tmp.resolve("segment");
      byte[] content = random(1 << 20, 1);
      Files.write(file, content);
      StoredObject put = store.put("wal/000000010000000000000001", file);
      assertThat(put.size()).isEqualTo(content.length);
      assertThat(put.sha256()).isEqualTo(sha256(content));
      store.put("wal/00000002.history", "1\t0/3000000\tno recovery target\n".getBytes());

      assertThat(store.list("wal/"))
          .extracting(StoredObject::key)
          .containsExactly("wal/000000010000000000000001", "wal/00000002.history");
      assertThat(store.list("wal/0000000100")).hasSize(1);
      assertThat(store.list("basebackups/")).isEmpty();
      StoredObject stat = store.stat("wal/000000010000000000000001").orElseThrow();
      assertThat(stat.size()).isEqualTo(content.length);
      if (kind.equals("s3")) {
        assertThat(stat.sha256()).isEqualTo(sha256(content));
      }
      try (InputStream in = store.open("wal/000000010000000000000001")) {
        assertThat(in.readAllBytes()).isEqualTo(content);
      }
      assertThat(store.stat("wal/missing")).isEmpty();
      assertThatThrownBy(() -> store.open("wal/missing"))
          .isInstanceOf(NoSuchFileException.class)
          .hasMessageContaining("wal/missing");

      store.delete(List.of("wal/000000010000000000000001", "wal/never-there"));
      assertThat(store.list(""))
          .extracting(StoredObject::key)
          .containsExactly("wal/00000002.history");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aStreamedObjectAppearsWholeOnlyAtCommit(String kind) throws Exception {
    try (ObjectStore store = open(kind)) {
      byte[] content = random(2 * PART + 12345, 2);
      try (ObjectWriter writer = store.create("basebackups/x/base.tar")) {
        for (int off = 0; off < content.length; off += 100_000) {
          writer.write(ByteBuffer.wrap(content, off, Math.min(100_000, content.length - off)));
        }
        assertThat(store.stat("basebackups/x/base.tar")).isEmpty();
        assertThat(writer.written()).isEqualTo(content.length);
        writer.commit();
      }
      try (InputStream in = store.open("basebackups/x/base.tar")) {
        assertThat(in.readAllBytes()).isEqualTo(content);
      }
      // Small objects (below one part) are one PUT.
      try (ObjectWriter writer = store.create("basebackups/x/backup_manifest")) {
        writer.write(ByteBuffer.wrap(new byte[] {'{', '}'}));
        writer.commit();
      }
      assertThat(store.stat("basebackups/x/backup_manifest").orElseThrow().size()).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aStreamedObjectClosedWithoutCommitLeavesNothing(String kind) throws Exception {
    try (ObjectStore store = open(kind)) {
      try (ObjectWriter writer = store.create("basebackups/y/base.tar")) {
        writer.write(ByteBuffer.wrap(random(PART + 10, 3)));
      }
      assertThat(store.list("")).isEmpty();
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aKeyThatLeavesTheStoreIsRefused(String kind) throws Exception {
    if (!kind.equals("directory")) {
      return;
    }
    try (ObjectStore store = open(kind)) {
      assertThatThrownBy(() -> store.put("../outside", new byte[1]))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid object key");
      assertThat(Files.exists(tmp.resolve("outside"))).isFalse();
    }
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] content) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
  }
}
