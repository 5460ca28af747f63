// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An S3 bucket under a prefix, through the AWS SDK for Java v2 (synchronous client, Apache
 * HttpClient 5). Uploads carry {@code Content-MD5}, so the store refuses bytes damaged on the way;
 * objects stored with {@link #put} keep their SHA-256 as user metadata ({@code x-amz-meta-sha256}).
 * SDK failures become {@link IOException}s whose message names the object and the store's answer;
 * the SDK's standard retry mode first retries throttling, 5xx answers and broken connections (3
 * attempts in all, with jittered backoff).
 *
 * <p>No call waits without bound: connecting times out after 5 s, waiting for bytes of an answer
 * after 30 s of silence, and an upload attempt (whose writes a stalled store can block) after 30 s
 * plus its size at 128 KiB/s. A reader that loses its connection mid-object resumes where it was (a
 * ranged GET of the same ETag), up to 3 times in a row.
 */
public final class S3Store implements ObjectStore {

  /** The default part size of streamed objects: memory per writer, 10,000 parts = 156 GiB. */
  public static final int DEFAULT_PART_SIZE = 16 << 20;

  static final String SHA256_METADATA = "sha256";

  private final StoreLocation location;
  private final S3Client s3;
  private final String bucket;
  private final int partSize;
  private final Timeouts timeouts;

  /**
   * How long calls may wait.
   *
   * @param connect to connect
   * @param socket of silence while waiting for bytes of an answer
   * @param attempt the base time of one attempt of an upload
   * @param bytesPerSecond the slowest upload rate tolerated: an upload attempt may last {@code
   *     attempt} plus its size at this rate
   */
  record Timeouts(Duration connect, Duration socket, Duration attempt, long bytesPerSecond) {

    /** The timeouts of stores in production. */
    static final Timeouts DEFAULT =
        new Timeouts(
            Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(30), 128 << 10);

    /** The time one attempt of an upload of {@code size} bytes may take. */
    Duration attemptFor(long size) {
      return attempt.plusMillis(size * 1000 / bytesPerSecond);
    }
  }

  /** A store with the default part size. */
  public S3Store(StoreLocation location, S3Settings settings) {
    this(location, settings, DEFAULT_PART_SIZE);
  }

  /**
   * A store.
   *
   * @param partSize the part size of streamed objects (at least 5 MiB, S3's minimum)
   */
  public S3Store(StoreLocation location, S3Settings settings, int partSize) {
    this(location, settings, partSize, Timeouts.DEFAULT);
  }

  /** A store with other timeouts (tests of stalled stores). */
  S3Store(StoreLocation location, S3Settings settings, int partSize, Timeouts timeouts) {
    if (partSize < 5 << 20) {
      throw new IllegalArgumentException("part size below S3's minimum of 5 MiB: " + partSize);
    }
    this.location = location;
    this.bucket = Objects.requireNonNull(location.bucket(), "not an s3:// location");
    this.partSize = partSize;
    this.timeouts = timeouts;
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClientBuilder(
                Apache5HttpClient.builder()
                    .connectionTimeout(timeouts.connect())
                    .socketTimeout(timeouts.socket()))
            .region(Region.of(settings.region()))
            .credentialsProvider(settings.credentials())
            .forcePathStyle(settings.pathStyle())
            // Content-MD5 is sent explicitly; no trailing checksums in aws-chunked bodies, which
            // not every S3-compatible store accepts.
            .requestChecksumCalculation(
                software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(
                software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED)
            .overrideConfiguration(
                o ->
                    o.retryStrategy(RetryMode.STANDARD)
                        // Calls without a body; uploads set their own (uploadTimeout).
                        .apiCallAttemptTimeout(timeouts.attemptFor(0).multipliedBy(2)));
    URI endpoint = settings.endpoint();
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    this.s3 = builder.build();
  }

  @Override
  public StoreLocation location() {
    return location;
  }

  @Override
  public StoredObject put(String key, Path file) throws IOException {
    return put(key, Files.size(file), Digests.of(file), RequestBody.fromFile(file));
  }

  @Override
  public StoredObject put(String key, byte[] content) throws IOException {
    return put(
        key, content.length, Digests.of(content, content.length), RequestBody.fromBytes(content));
  }

  private StoredObject put(String key, long size, Digests digests, RequestBody body)
      throws IOException {
    call(
        "store",
        key,
        () ->
            s3.putObject(
                r ->
                    r.bucket(bucket)
                        .key(location.prefix() + key)
                        .contentLength(size)
                        .contentMD5(digests.md5Base64())
                        .metadata(Map.of(SHA256_METADATA, digests.sha256Hex()))
                        .overrideConfiguration(uploadTimeout(size)),
                body));
    return new StoredObject(key, size, digests.sha256Hex(), Instant.now());
  }

  @Override
  public ObjectWriter create(String key) {
    return new S3ObjectWriter(this, key, partSize);
  }

  /** The per-request configuration of an upload of {@code size} bytes: its attempt timeout. */
  AwsRequestOverrideConfiguration uploadTimeout(long size) {
    return AwsRequestOverrideConfiguration.builder()
        .apiCallAttemptTimeout(timeouts.attemptFor(size))
        .build();
  }

  @Override
  public InputStream open(String key) throws IOException {
    return new S3ObjectReader(this, key, get(key, 0, null));
  }

  /**
   * Starts reading an object from a position.
   *
   * @param eTag the ETag the object must still have, or null
   */
  ResponseInputStream<GetObjectResponse> get(String key, long position, @Nullable String eTag)
      throws IOException {
    try {
      return s3.getObject(
          r -> {
            r.bucket(bucket).key(location.prefix() + key);
            if (position > 0) {
              r.range("bytes=" + position + "-");
            }
            if (eTag != null) {
              r.ifMatch(eTag);
            }
          });
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(describe(key));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new NoSuchFileException(describe(key));
      }
      throw failure("read", key, e);
    } catch (SdkException e) {
      throw failure("read", key, e);
    }
  }

  @Override
  public Optional<StoredObject> stat(String key) throws IOException {
    HeadObjectResponse head;
    try {
      head = s3.headObject(r -> r.bucket(bucket).key(location.prefix() + key));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure("look up", key, e);
    } catch (SdkException e) {
      throw failure("look up", key, e);
    }
    return Optional.of(
        new StoredObject(
            key,
            head.contentLength(),
            head.metadata().get(SHA256_METADATA),
            Objects.requireNonNullElse(head.lastModified(), Instant.EPOCH)));
  }

  @Override
  public List<StoredObject> list(String keyPrefix) throws IOException {
    List<StoredObject> objects = new ArrayList<>();
    String full = location.prefix() + keyPrefix;
    call(
        "list",
        keyPrefix,
        () -> {
          for (S3Object o :
              s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(full)).contents()) {
            objects.add(
                new StoredObject(
                    o.key().substring(location.prefix().length()),
                    o.size(),
                    null,
                    Objects.requireNonNullElse(o.lastModified(), Instant.EPOCH)));
          }
          return objects;
        });
    return objects;
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    // One request per key: DeleteObjects requires a body checksum that not every S3-compatible
    // store accepts in the SDK's current form.
    for (String key : keys) {
      call(
          "remove", key, () -> s3.deleteObject(r -> r.bucket(bucket).key(location.prefix() + key)));
    }
  }

  @Override
  public void close() {
    s3.close();
  }

  S3Client client() {
    return s3;
  }

  String bucket() {
    return bucket;
  }

  /** Runs one SDK call; its failure becomes an IOException naming the object. */
  <T> T call(String what, String key, SdkCall<T> call) throws IOException {
    try {
      return call.run();
    } catch (SdkException e) {
      throw failure(what, key, e);
    }
  }

  /** One SDK call. */
  @FunctionalInterface
  interface SdkCall<T> {
    T run();
  }

  IOException failure(String what, String key, SdkException e) {
    String answer;
    if (e instanceof S3Exception s3e && s3e.awsErrorDetails() != null) {
      // HEAD answers have no body, hence no error code: the status line's reason stands in.
      AwsErrorDetails details = s3e.awsErrorDetails();
      String code = details.errorCode();
      String reason =
          details.sdkHttpResponse() == null
              ? null
              : details.sdkHttpResponse().statusText().orElse(null);
      String message = details.errorMessage();
      answer =
          "HTTP "
              + s3e.statusCode()
              + (code != null ? " " + code : reason != null ? " " + reason : "")
              + (message == null || message.equals(code) || message.equals(reason)
                  ? ""
                  : ": " + message);
    } else {
      answer = String.valueOf(e.getMessage());
    }
    return new IOException(
        "could not " + what + " \"" + describe(key) + "\": " + answer.replace('\n', ' '), e);
  }
}
