// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An S3 API server on loopback: S3Proxy (the jar-with-dependencies {@code org.gaul:s3proxy:}{@value
 * #VERSION} from Maven Central) run as a subprocess with {@code java} from {@code java.home}, its
 * filesystem backend under a directory, AWS signature v2/v4 authentication and fixed credentials
 * ({@link #ACCESS_KEY}, {@link #SECRET_KEY}). A bucket is a directory of the backend. The runtime
 * under the testkit's {@code S3Server} and {@code jwalreceiver demo --s3}.
 */
public final class S3Proxy implements AutoCloseable {

  /**
   * The S3Proxy version; the build's {@code s3proxy.version} property must agree (a test checks).
   */
  public static final String VERSION = "4.1.0";

  /** The artifact with classifier, as {@code mvn dependency:get -Dartifact=…} takes it. */
  public static final String ARTIFACT =
      "org.gaul:s3proxy:" + VERSION + ":jar:jar-with-dependencies";

  /** The access key id the server accepts. */
  public static final String ACCESS_KEY = "jwalreceiver-test";

  /** The secret key the server accepts. */
  public static final String SECRET_KEY = "jwalreceiver-test-secret";

  /** The region clients sign for (S3Proxy accepts any). */
  public static final String REGION = "us-east-1";

  /** The loopback address it listens on. */
  public static final String HOST = "127.0.0.1";

  private static final Duration START_WAIT = Duration.ofSeconds(60);

  private final Path jar;
  private final Path data;
  private final Path log;
  private final int port;
  private @Nullable Process process;

  private S3Proxy(Path jar, Path root, int port) {
    this.jar = jar;
    this.data = root.resolve("data");
    this.log = root.resolve("s3proxy.log");
    this.port = port;
  }

  /**
   * The S3Proxy jar: the system property {@code s3proxy.jar} when it names a file, else the
   * jar-with-dependencies in the Maven local repository ({@code -Dmaven.repo.local} or {@code
   * ~/.m2/repository}).
   *
   * @return the jar
   * @throws PostgresServerException when neither exists; the one-line message says what was looked
   *     for and how to get it
   */
  public static Path findJar() {
    String property = System.getProperty("s3proxy.jar");
    if (property != null && !property.isBlank() && Files.isRegularFile(Path.of(property.trim()))) {
      return Path.of(property.trim());
    }
    Path inRepository = repositoryJar(PgBinaries.mavenRepository());
    if (Files.isRegularFile(inRepository)) {
      return inRepository;
    }
    throw new PostgresServerException(
        "no S3Proxy "
            + VERSION
            + " jar ("
            + (property == null || property.isBlank() ? "" : "-Ds3proxy.jar=" + property + ", ")
            + inRepository
            + "); get it with: mvn dependency:get -Dartifact="
            + ARTIFACT);
  }

  /** Where the jar lies in a Maven repository. */
  static Path repositoryJar(Path repository) {
    return repository.resolve(
        Path.of(
            "org",
            "gaul",
            "s3proxy",
            VERSION,
            "s3proxy-" + VERSION + "-jar-with-dependencies.jar"));
  }

  /**
   * Starts a server on a free loopback port over a backend under {@code root} ({@code root/data};
   * its log is {@code root/s3proxy.log}) and waits until it listens.
   *
   * @param root a directory for the backend, configuration and log (created if missing)
   * @return the running server
   * @throws PostgresServerException when the jar is missing or the server does not come up
   */
  public static S3Proxy start(Path root) {
    Path jar = findJar();
    S3Proxy server = new S3Proxy(jar, root, PgCtl.freePort(HOST));
    try {
      Files.createDirectories(server.data);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + server.data, e);
    }
    server.startProcess();
    return server;
  }

  private synchronized void startProcess() {
    Path conf = data.resolveSibling("s3proxy.conf");
    Process started;
    try {
      Files.writeString(
          conf,
          String.join(
              "\n",
              "s3proxy.endpoint=" + endpoint(),
              "s3proxy.authorization=aws-v2-or-v4",
              "s3proxy.identity=" + ACCESS_KEY,
              "s3proxy.credential=" + SECRET_KEY,
              "jclouds.provider=filesystem",
              "jclouds.filesystem.basedir=" + data,
              ""),
          StandardCharsets.UTF_8);
      List<String> command =
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx256m",
              "-jar",
              jar.toString(),
              "--properties",
              conf.toString());
      started =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start S3Proxy", e);
    }
    process = started;
    try {
      Poll.until(
          START_WAIT,
          () -> {
            if (!started.isAlive()) {
              throw new IllegalStateException("S3Proxy exited");
            }
            return listening();
          });
    } catch (Poll.TimedOut e) {
      stop();
      throw new PostgresServerException(
          "S3Proxy did not listen on port "
              + port
              + " within "
              + START_WAIT.toSeconds()
              + " s (exited: "
              + !started.isAlive()
              + "; log: "
              + log
              + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop();
      throw new PostgresServerException("interrupted while starting S3Proxy", e);
    }
  }

  private boolean listening() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The endpoint URL.
   *
   * @return {@code http://127.0.0.1:PORT}
   */
  public URI endpoint() {
    return URI.create("http://" + HOST + ":" + port);
  }

  /**
   * The port it listens on.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The backend directory: a bucket is a directory under it, objects files under that.
   *
   * @return the directory
   */
  public Path dataDirectory() {
    return data;
  }

  /**
   * The server's output.
   *
   * @return the log file
   */
  public Path logFile() {
    return log;
  }

  /**
   * The standard AWS environment that points a client at an endpoint with this server's region and
   * credentials.
   *
   * @param endpoint the endpoint (this server's, or a proxy's in front of it)
   * @return {@code AWS_ENDPOINT_URL}, {@code AWS_REGION}, {@code AWS_ACCESS_KEY_ID}, {@code
   *     AWS_SECRET_ACCESS_KEY}
   */
  public static Map<String, String> environment(URI endpoint) {
    return Map.of(
        "AWS_ENDPOINT_URL", endpoint.toString(),
        "AWS_REGION", REGION,
        "AWS_ACCESS_KEY_ID", ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
  }

  /** Stops the process (the backend stays); {@link #restart} starts it again. */
  public synchronized void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    process = null;
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Starts the stopped server again on the same port and backend. */
  public synchronized void restart() {
    stop();
    startProcess();
  }

  @Override
  public void close() {
    stop();
  }
}
