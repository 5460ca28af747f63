// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.session.ConnInfo;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** What the {@code jwalreceiver basebackup} integration tests share. */
final class BackupTestSupport {

  static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
  static final Path PG15_BIN = Path.of("/usr/lib/postgresql/15/bin");

  private BackupTestSupport() {}

  /**
   * Servers a test class starts for itself (one per version, default options), because it changes
   * them in ways the shared servers must not see; {@link #close()} from {@code @AfterAll}.
   */
  static final class OwnServers implements AutoCloseable, AfterAllCallback {
    private final Map<Integer, PostgresServer> servers =
        new java.util.concurrent.ConcurrentHashMap<>();

    PostgresServer get(int major) {
      return servers.computeIfAbsent(major, PostgresServer::start);
    }

    @Override
    public void close() {
      servers.values().forEach(PostgresServer::close);
      servers.clear();
    }

    /** As a registered extension, stops the servers after the test class. */
    @Override
    public void afterAll(ExtensionContext context) {
      close();
    }
  }

  /** A replication user (trust) connecting over TCP, as the upstream tests' environment. */
  static Map<String, String> env(PostgresServer server) {
    return env(server.host(), server.port());
  }

  static Map<String, String> env(String host, int port) {
    return env(host, port, PostgresServer.REPL_TRUST);
  }

  /** {@code user} (trust, no password) connecting over TCP without TLS. */
  static Map<String, String> env(PostgresServer server, String user) {
    return env(server.host(), server.port(), user);
  }

  private static Map<String, String> env(String host, int port, String user) {
    Map<String, String> env = new HashMap<>();
    env.put("PGHOST", host);
    env.put("PGPORT", Integer.toString(port));
    env.put("PGUSER", user);
    env.put("PGSSLMODE", "disable");
    env.put("PGCONNECT_TIMEOUT", "20");
    return env;
  }

  /**
   * The connection {@link #env(PostgresServer)} describes (libpq's rules over the same variables),
   * for a test that opens a replication connection of its own beside the command line's.
   */
  static ConnectionConfig replicationConfig(PostgresServer server) {
    return ConnInfo.resolve(null, null, null, null, env(server), "nobody", null, null, p -> false);
  }

  /** {@code dir/name} as a string, for a {@code -D} argument. */
  static String s(Path dir, String name) {
    return dir.resolve(name).toString();
  }

  /** {@code jwalreceiver basebackup --no-sync -c fast <args>} (upstream's {@code bb}). */
  static CliRun bb(Map<String, String> env, String... args) {
    List<String> all = new ArrayList<>(List.of("basebackup", "--no-sync", "-c", "fast"));
    all.addAll(Arrays.asList(args));
    return run(env, all.toArray(String[]::new));
  }

  /** One CLI run that must end by itself within {@link #RUN_TIMEOUT}. */
  static CliRun run(Map<String, String> env, String... args) {
    long t0 = System.nanoTime();
    CliRun r =
        assertTimeoutPreemptively(
            RUN_TIMEOUT,
            () -> CliRun.of(env, args),
            () -> "did not end: " + String.join(" ", args));
    // In the test log: what ran, how long it took, and what it said.
    System.out.printf(
        "[%d ms, exit %d] jwalreceiver %s%n%s",
        (System.nanoTime() - t0) / 1_000_000,
        r.exitCode(),
        String.join(" ", args),
        r.err().indent(4));
    return r;
  }

  /**
   * The percentage of the last {@code -P} line ({@code 123/456 kB (27%), 1/1 tablespace}) in {@code
   * err}.
   */
  static int lastProgressPercent(String err) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\\d+/\\d+ kB \\((\\d+)%\\), \\d+/\\d+ tablespaces?")
            .matcher(err);
    int pct = -1;
    while (m.find()) {
      pct = Integer.parseInt(m.group(1));
    }
    assertThat(pct).as("a progress line in:\n" + err).isNotNegative();
    return pct;
  }

  /** One CLI run whose standard output is binary ({@code -D -}). */
  record BinaryRun(int exitCode, byte[] out, String err) {}

  static BinaryRun runBinary(Map<String, String> env, String... args) {
    return assertTimeoutPreemptively(
        RUN_TIMEOUT,
        () -> {
          java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
          java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
          int code;
          try (java.io.PrintStream o = new java.io.PrintStream(out, false);
              java.io.PrintStream e = new java.io.PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e, env);
          }
          String errText = err.toString(StandardCharsets.UTF_8);
          System.out.printf(
              "[exit %d, %d bytes on stdout] jwalreceiver %s%n%s",
              code, out.size(), String.join(" ", args), errText.indent(4));
          return new BinaryRun(code, out.toByteArray(), errText);
        },
        () -> "did not end: " + String.join(" ", args));
  }

  static void assertOk(CliRun r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("error:").doesNotContain("Exception");
  }

  /** Exit 1 and a first stderr line {@code jwalreceiver: error: …message…}, no stack trace. */
  static void assertFails(CliRun r, String message) {
    assertThat(r.exitCode()).as(r.err()).isNotZero();
    assertThat(r.firstErrorLine())
        .as(r.err())
        .startsWith("jwalreceiver: error: ")
        .contains(message);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  /**
   * A directory for a tablespace: created by this JVM, then given to the server user (as root;
   * otherwise it is ours already).
   */
  static Path serverOwnedDir(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PostgresServer.handOver(dir);
    return dir;
  }

  /**
   * {@code root} and every path under it that {@code which} selects (links not followed) has the
   * mode {@code dirMode} (a directory) or {@code fileMode} (anything else), as {@code ls} shows it.
   */
  static void assertModes(Path root, Predicate<Path> which, String dirMode, String fileMode) {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all.filter(which)::iterator) {
        String mode =
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        assertThat(mode)
            .as(root.relativize(p).toString())
            .isEqualTo(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? dirMode : fileMode);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every path under {@code root}, relative, directories with a trailing slash. */
  static NavigableSet<String> listing(Path root) {
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(p -> !p.equals(root))
          .forEach(
              p -> {
                String rel = root.relativize(p).toString();
                names.add(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? rel + "/" : rel);
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  static List<String> names(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean hasWalSegment(Path walDir) {
    return names(walDir).stream().anyMatch(n -> n.matches("[0-9A-F]{24}"));
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Extracts a tar file with the tar program (an oracle we did not write). */
  static void untar(Path tarFile, Path into) {
    Tools.Result r = Tools.run(List.of("tar", "-xf", tarFile.toString(), "-C", into.toString()));
    assertThat(r.exitCode()).as(r.all()).isZero();
  }
}
