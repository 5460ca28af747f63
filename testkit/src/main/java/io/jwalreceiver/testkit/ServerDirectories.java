// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import io.jwalreceiver.embedded.FileTrees;
import io.jwalreceiver.embedded.PgCtl;
import io.jwalreceiver.embedded.ServerUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Where the test servers of this JVM live: one base directory {@code
 * ${java.io.tmpdir}/jwalreceiver-it-<pid>/} (mode 0755) with a directory per server and the test
 * CA's certificate, removed with every server by a shutdown hook; debris of JVMs killed without
 * their hook is cleaned up on first use.
 */
final class ServerDirectories {

  private static final String BASE_PREFIX = "jwalreceiver-it-";
  private static final ReentrantLock BASE_LOCK = new ReentrantLock();
  private static final AtomicInteger SERVER_COUNTER = new AtomicInteger();
  private static @Nullable Path baseDir;

  private ServerDirectories() {}

  /** The base directory, created (and the shutdown hook installed) on first use. */
  static Path baseDir() {
    BASE_LOCK.lock();
    try {
      Path dir = baseDir;
      if (dir == null) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        cleanStaleBaseDirs(tmp);
        dir = tmp.resolve(BASE_PREFIX + ProcessHandle.current().pid());
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
          FileTrees.deleteTree(dir);
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(ServerDirectories::stopAll, "jwalreceiver-testkit-shutdown"));
        baseDir = dir;
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the test base directory", e);
    } finally {
      BASE_LOCK.unlock();
    }
  }

  /**
   * A new directory for one server, owned by the server user (mode 0700).
   *
   * @param role {@code primary}, {@code standby}, {@code restored}: part of the name
   */
  static Path newServerDir(int major, String role) {
    Path dir =
        baseDir().resolve("pg" + major + "-" + SERVER_COUNTER.incrementAndGet() + "-" + role);
    return ServerUser.get().createPrivateDir(dir);
  }

  /** The PEM file of the test CA (written once, readable by everyone). */
  static Path caCertificateFile() {
    Path file = baseDir().resolve("ca.crt");
    BASE_LOCK.lock();
    try {
      if (!Files.exists(file)) {
        Path tmp = baseDir().resolve("ca.crt.tmp");
        Files.writeString(tmp, TestCertificates.ca().certificate());
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      BASE_LOCK.unlock();
    }
  }

  /** The shutdown hook: never leave a postgres process behind, then remove the base directory. */
  private static void stopAll() {
    ServerProcess.stopAll();
    Path dir = baseDir;
    if (dir != null) {
      FileTrees.deleteQuietly(dir);
    }
  }

  /**
   * Removes base directories of JVMs that died without their shutdown hook (kill -9), killing any
   * postmaster still running from them.
   */
  private static void cleanStaleBaseDirs(Path tmp) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, BASE_PREFIX + "*")) {
      for (Path dir : dirs) {
        long pid;
        try {
          pid = Long.parseLong(dir.getFileName().toString().substring(BASE_PREFIX.length()));
        } catch (NumberFormatException e) {
          continue;
        }
        if (pid == ProcessHandle.current().pid()
            || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        try (Stream<Path> pidFiles =
            Files.find(dir, 3, (p, a) -> p.getFileName().toString().equals("postmaster.pid"))) {
          pidFiles.forEach(ServerDirectories::killStalePostmaster);
        }
        FileTrees.deleteQuietly(dir);
      }
    } catch (IOException | RuntimeException e) {
      // Best effort only.
    }
  }

  private static void killStalePostmaster(Path pidFile) {
    try {
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      ProcessHandle.of(pid)
          .filter(h -> h.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
          .ifPresent(PgCtl::kill);
    } catch (IOException | RuntimeException e) {
      // Unreadable: nothing to kill.
    }
  }

  /** Copies a (stopped) server's data directory, without its {@code postmaster.pid/opts}. */
  static void copyDataDir(Path from, Path to) {
    // Files.walk lists each directory before its contents and does not follow links.
    try (Stream<Path> entries = Files.walk(from)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String name = entry.getFileName().toString();
        if (from.equals(entry.getParent())
            && (name.equals("postmaster.pid") || name.equals("postmaster.opts"))) {
          continue;
        }
        Files.copy(
            entry,
            to.resolve(from.relativize(entry).toString()),
            StandardCopyOption.COPY_ATTRIBUTES,
            LinkOption.NOFOLLOW_LINKS);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    } catch (UncheckedIOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e.getCause());
    }
  }

  /** The major version in a data directory's {@code PG_VERSION}. */
  static int dataDirMajor(Path dataDir) {
    try {
      String version = Files.readString(dataDir.resolve("PG_VERSION")).trim();
      return Integer.parseInt(version.split("\\.")[0]);
    } catch (IOException | NumberFormatException e) {
      throw new IllegalArgumentException(dataDir + " is not a PostgreSQL data directory", e);
    }
  }
}
