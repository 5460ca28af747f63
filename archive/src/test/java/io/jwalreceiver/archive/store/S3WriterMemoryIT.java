// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.testkit.S3Server;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The streamed writer's memory is bounded: a 200 MiB object streamed through {@link
 * ObjectStore#create} with the default part size (16 MiB) by a JVM whose heap is 48 MiB ({@link
 * StreamLargeObject}, run with this test's class path) is stored whole and byte-identical.
 */
class S3WriterMemoryIT {

  private static final int MIB = 200;

  @Test
  void aLargeObjectStreamsThroughASmallHeap() throws Exception {
    S3Server server = S3Server.shared();
    String bucket = server.newBucket();
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx48m",
                "-cp",
                System.getProperty("java.class.path"),
                StreamLargeObject.class.getName(),
                server.endpoint().toString(),
                bucket,
                String.valueOf(MIB),
                S3Server.ACCESS_KEY,
                S3Server.SECRET_KEY)
            .redirectErrorStream(true)
            .start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as(output).isZero();
    String[] result = output.strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
    System.out.println(
        "streamed "
            + MIB
            + " MiB with -Xmx48m: peak heap "
            + (Long.parseLong(result[2]) >> 20)
            + " MiB, "
            + result[3]
            + " ms");

    StoreLocation location = StoreLocation.parse("s3://" + bucket + "/big");
    try (S3Store store =
        new S3Store(location, S3Settings.resolve(location, server.environment()))) {
      assertThat(store.list("")).extracting(StoredObject::key).isEqualTo(List.of("object"));
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      long size = 0;
      try (InputStream in = store.open("object")) {
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) {
          sha256.update(buffer, 0, n);
          size += n;
        }
      }
      assertThat(size).isEqualTo((long) MIB << 20).isEqualTo(Long.parseLong(result[1]));
      assertThat(HexFormat.of().formatHex(sha256.digest())).isEqualTo(result[0]);
    }
  }
}
