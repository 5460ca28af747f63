// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A real S3 API server on loopback for tests: S3Proxy (the jar-with-dependencies from Maven
 * Central, copied into {@code target/s3proxy} by the build and named by the system property {@code
 * s3proxy.jar}) run as its own process with its filesystem backend, AWS signature v2/v4
 * authentication and fixed test credentials. A bucket is a directory of the backend, so {@link
 * #newBucket} needs no request. One server serves a whole test JVM ({@link #shared}); it is stopped
 * when the JVM exits.
 */
public final class S3Server implements AutoCloseable {

  /** The access key id the server accepts. */
  public static final String ACCESS_KEY = "jwalreceiver-test";

  /** The secret key the server accepts. */
  public static final String SECRET_KEY = "jwalreceiver-test-secret";

  /** The region clients sign for (S3Proxy accepts any). */
  public static final String REGION = "us-east-1";

  private static @Nullable S3Server shared;

  private final Path data;
  private final int port;
  private final Path log;
  private @Nullable Process process;

  private S3Server(Path root, int port) {
    this.data = root.resolve("data");
    this.port = port;
    this.log = root.resolve("s3proxy.log");
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
    S3Server server = new S3Server(root, Ports.unused());
    Files.createDirectories(server.data);
    server.startProcess();
    return server;
  }

  private void startProcess() throws IOException {
    Path conf = data.resolveSibling("s3proxy.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "s3proxy.endpoint=http://" + PostgresServer.HOST + ":" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + ACCESS_KEY,
            "s3proxy.credential=" + SECRET_KEY,
            "jclouds.provider=filesystem",
            "jclouds.filesystem.basedir=" + data,
            ""),
        StandardCharsets.UTF_8);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-jar");
    command.add(jar().toString());
    command.add("--properties");
    command.add(conf.toString());
    Process started =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    process = started;
    Waits.await(
        Duration.ofSeconds(60),
        () -> {
          if (!started.isAlive()) {
            throw new IllegalStateException("S3Proxy exited at start; its log: " + log);
          }
          return listening();
        },
        () -> "S3Proxy listening on port " + port + " (log: " + log + ")");
  }

  private static Path jar() {
    String property = System.getProperty("s3proxy.jar");
    if (property == null || property.isEmpty() || !Files.isRegularFile(Path.of(property))) {
      throw new IllegalStateException(
          "no S3Proxy jar (system property s3proxy.jar = "
              + property
              + "): run the tests through Maven, which copies it into target/s3proxy");
    }
    return Path.of(property);
  }

  private boolean listening() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The endpoint URL, {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return URI.create("http://" + PostgresServer.HOST + ":" + port);
  }

  /** The port the server listens on. */
  public int port() {
    return port;
  }

  /** Creates an empty bucket with a fresh name and returns the name. */
  public String newBucket() {
    String name = "b" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    try {
      Files.createDirectories(data.resolve(name.toLowerCase(Locale.ROOT)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return name;
  }

  /** The backend directory of a bucket (objects are files under it, keys as relative paths). */
  public Path bucketDirectory(String bucket) {
    return data.resolve(bucket);
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
    return Map.of(
        "AWS_ENDPOINT_URL", endpoint.toString(),
        "AWS_REGION", REGION,
        "AWS_ACCESS_KEY_ID", ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
  }

  /** Stops the server process (the backend directory stays); {@link #restart} starts it again. */
  public synchronized void stop() {
    Process p = process;
    if (p != null) {
      p.destroy();
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  /** Starts the stopped server again on the same port and backend. */
  public synchronized void restart() throws IOException {
    stop();
    startProcess();
  }

  @Override
  public void close() {
    stop();
  }
}
