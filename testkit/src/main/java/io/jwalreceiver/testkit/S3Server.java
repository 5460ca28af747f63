// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.S3Proxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A real S3 API server on loopback for tests: the embedded {@link S3Proxy} runtime (the S3Proxy
 * jar-with-dependencies from Maven Central, named by the system property {@code s3proxy.jar} that
 * the build sets, else from the Maven local repository) with its filesystem backend, AWS signature
 * v2/v4 authentication and fixed test credentials. A bucket is a directory of the backend, so
 * {@link #newBucket} needs no request. One server serves a whole test JVM ({@link #shared}); it is
 * stopped when the JVM exits.
 */
public final class S3Server implements AutoCloseable {

  /** The access key id the server accepts. */
  public static final String ACCESS_KEY = S3Proxy.ACCESS_KEY;

  /** The secret key the server accepts. */
  public static final String SECRET_KEY = S3Proxy.SECRET_KEY;

  /** The region clients sign for (S3Proxy accepts any). */
  public static final String REGION = S3Proxy.REGION;

  private static @Nullable S3Server shared;

  private final S3Proxy proxy;

  private S3Server(S3Proxy proxy) {
    this.proxy = proxy;
  }

  /** The server of this JVM, started on first use. */
  public static synchronized S3Server shared() {
    S3Server server = shared;
    if (server == null) {
      try {
        server = start(Files.createTempDirectory("s3proxy"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      S3Server started = server;
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "s3proxy-stop"));
      shared = server;
    }
    return server;
  }

  /** Starts a server of its own over a backend directory under {@code root}. */
  public static S3Server start(Path root) throws IOException {
    return new S3Server(S3Proxy.start(root));
  }

  /** The endpoint URL, {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return proxy.endpoint();
  }

  /** The port the server listens on. */
  public int port() {
    return proxy.port();
  }

  /** Creates an empty bucket with a fresh name and returns the name. */
  public String newBucket() {
    String name = "b" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    try {
      Files.createDirectories(proxy.dataDirectory().resolve(name.toLowerCase(Locale.ROOT)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return name;
  }

  /** The backend directory of a bucket (objects are files under it, keys as relative paths). */
  public Path bucketDirectory(String bucket) {
    return proxy.dataDirectory().resolve(bucket);
  }

  /**
   * The standard AWS environment that points a client (ours, the AWS CLI) at this server: endpoint,
   * region and credentials.
   */
  public Map<String, String> environment() {
    return environment(endpoint());
  }

  /** The same environment with another endpoint (a proxy in front of this server). */
  public static Map<String, String> environment(URI endpoint) {
    return S3Proxy.environment(endpoint);
  }

  /** Stops the server process (the backend directory stays); {@link #restart} starts it again. */
  public void stop() {
    proxy.stop();
  }

  /** Starts the stopped server again on the same port and backend. */
  public void restart() throws IOException {
    proxy.restart();
  }

  @Override
  public void close() {
    stop();
  }
}
