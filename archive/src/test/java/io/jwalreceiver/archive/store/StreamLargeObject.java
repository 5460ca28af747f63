// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streams a large object into an S3 store through {@link ObjectStore#create} with the default part
 * size and prints {@code <sha256> <bytes> <peak heap bytes> <millis>}: the program {@link
 * S3WriterMemoryIT} runs in a JVM with a small heap.
 *
 * <p>Arguments: endpoint, bucket, size in MiB, access key, secret key, and optionally {@code
 * fixed}: the same 128 KiB chunk again and again, no SHA-256 (printed as {@code -}), to time the
 * upload alone.
 */
public final class StreamLargeObject {

  private StreamLargeObject() {}

  /**
   * Runs the upload.
   *
   * @param args endpoint, bucket, MiB, access key, secret key
   * @throws Exception on any failure (a non-zero exit)
   */
  public static void main(String[] args) throws Exception {
    URI endpoint = URI.create(args[0]);
    String bucket = args[1];
    long size = Long.parseLong(args[2]) << 20;
    StoreLocation location = StoreLocation.parse("s3://" + bucket + "/big");
    S3Settings settings =
        S3Settings.resolve(
            location,
            Map.of(
                "AWS_ENDPOINT_URL",
                endpoint.toString(),
                "AWS_REGION",
                "us-east-1",
                "AWS_ACCESS_KEY_ID",
                args[3],
                "AWS_SECRET_ACCESS_KEY",
                args[4]));
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    SplittableRandom random = new SplittableRandom(size);
    byte[] chunk = new byte[128 << 10];
    boolean fixed = args.length > 5 && args[5].equals("fixed");
    if (fixed) {
      random.nextBytes(chunk);
    }
    // The heap in use, sampled (java.management is not among the module's reads).
    AtomicLong peak = new AtomicLong();
    Thread sampler =
        new Thread(
            () -> {
              Runtime runtime = Runtime.getRuntime();
              while (true) {
                peak.accumulateAndGet(runtime.totalMemory() - runtime.freeMemory(), Math::max);
                try {
                  Thread.sleep(5);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    sampler.setDaemon(true);
    sampler.start();
    long start = System.nanoTime();
    try (S3Store store = new S3Store(location, settings);
        ObjectWriter writer = store.create("object")) {
      for (long left = size; left > 0; left -= chunk.length) {
        for (int i = 0; !fixed && i < chunk.length; i += 8) {
          long r = random.nextLong();
          for (int j = 0; j < 8; j++) {
            chunk[i + j] = (byte) (r >>> (8 * j));
          }
        }
        int n = (int) Math.min(chunk.length, left);
        if (!fixed) {
          sha256.update(chunk, 0, n);
        }
        writer.write(ByteBuffer.wrap(chunk, 0, n));
      }
      writer.commit();
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.println(
        (fixed ? "-" : HexFormat.of().formatHex(sha256.digest()))
            + " "
            + size
            + " "
            + peak.get()
            + " "
            + millis);
  }
}
