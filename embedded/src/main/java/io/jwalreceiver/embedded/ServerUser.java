// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The operating-system user the PostgreSQL processes run as.
 *
 * <p>PostgreSQL refuses to run as root. When this JVM is root (as on CI), every server command runs
 * as an unprivileged user: {@code postgres} if it exists, otherwise a system user {@code
 * jwalreceiver-pg} created on first use. Otherwise commands run as the current user and nothing
 * changes hands.
 *
 * <p>Used by the testkit's servers and the command line's {@code demo} alike.
 */
public final class ServerUser {

  /** Name of the system user created when there is no {@code postgres} user. */
  static final String CREATED_USER = "jwalreceiver-pg";

  private static final Duration ID_TIMEOUT = Duration.ofSeconds(30);
  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");

  private static volatile @Nullable ServerUser current;

  private final boolean root;
  private final String name;
  private final int uid;
  private final int gid;

  private ServerUser(boolean root, String name, int uid, int gid) {
    this.root = root;
    this.name = name;
    this.uid = uid;
    this.gid = gid;
  }

  /**
   * The user for this JVM, resolved (and if need be created) once.
   *
   * @return the server user
   */
  public static ServerUser get() {
    ServerUser user = current;
    if (user == null) {
      synchronized (ServerUser.class) {
        user = current;
        if (user == null) {
          user = resolve();
          current = user;
        }
      }
    }
    return user;
  }

  /**
   * Whether this JVM runs as root, so commands switch user.
   *
   * @return true when root
   */
  public boolean switchesUser() {
    return root;
  }

  /**
   * The user name the servers run as.
   *
   * @return the OS user name
   */
  public String name() {
    return name;
  }

  /**
   * Wraps a command so it runs as the server user.
   *
   * @param command program and arguments
   * @return the command itself when not root, otherwise the same under {@code setpriv} (or {@code
   *     runuser} where setpriv is missing)
   */
  public List<String> wrap(List<String> command) {
    if (!root) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setpriv"))
        || Files.isExecutable(Path.of("/bin/setpriv"))) {
      wrapped.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
    } else {
      wrapped.addAll(List.of("runuser", "-u", name, "--"));
    }
    wrapped.addAll(command);
    return wrapped;
  }

  /**
   * Creates a directory (and missing parents) that only the server user can use: owned by it, mode
   * 0700.
   *
   * @param dir the directory
   * @return {@code dir}
   */
  public Path createPrivateDir(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PRIVATE_DIR);
      chown(dir);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /**
   * Writes a file the server reads, owned by the server user.
   *
   * @param file the file
   * @param content its text
   * @param privateFile whether mode 0600 (keys) rather than 0644
   */
  public void writeFile(Path file, String content, boolean privateFile) {
    try {
      Files.writeString(file, content);
      Files.setPosixFilePermissions(
          file, privateFile ? PRIVATE_FILE : PosixFilePermissions.fromString("rw-r--r--"));
      chown(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Gives a directory tree to the server user so a server can start from it: recursive ownership
   * (without following symbolic links), mode 0700 on the top directory, 0600 on {@code server.key}.
   *
   * @param dir the tree, e.g. a data directory written by this JVM
   */
  public void handOver(Path dir) {
    try {
      if (root) {
        makeAncestorsTraversable(dir.toAbsolutePath().getParent());
        try (Stream<Path> paths = Files.walk(dir)) {
          for (Path p : (Iterable<Path>) paths::iterator) {
            chown(p);
          }
        }
      }
      Files.setPosixFilePermissions(dir, PRIVATE_DIR);
      Path key = dir.resolve("server.key");
      if (Files.isRegularFile(key, LinkOption.NOFOLLOW_LINKS)) {
        Files.setPosixFilePermissions(key, PRIVATE_FILE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hand over " + dir, e);
    }
  }

  /**
   * Adds search permission for others ({@code o+x}, never read) to every ancestor that lacks it, so
   * the server user can reach a directory created under, say, a JUnit {@code @TempDir} (0700, owned
   * by root).
   */
  private static void makeAncestorsTraversable(@Nullable Path start) throws IOException {
    for (Path dir = start; dir != null && dir.getParent() != null; dir = dir.getParent()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
      if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        perms.add(PosixFilePermission.OTHERS_EXECUTE);
        Files.setPosixFilePermissions(dir, perms);
      }
    }
  }

  /**
   * Runs a command as the server user.
   *
   * @param command program and arguments
   * @param workDir the working directory (must be accessible to the server user)
   * @param timeout how long to wait before killing it
   * @return the result, successful or not
   */
  public Commands.Result run(List<String> command, Path workDir, Duration timeout) {
    return Commands.run(wrap(command), workDir, timeout);
  }

  /** Makes the server user own one path (not following links); no-op when not root. */
  void chown(Path path) throws IOException {
    if (!root) {
      return;
    }
    UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    UserPrincipal owner = lookup.lookupPrincipalByName(Integer.toString(uid));
    GroupPrincipal group = lookup.lookupPrincipalByGroupName(Integer.toString(gid));
    PosixFileAttributeView view =
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    view.setOwner(owner);
    view.setGroup(group);
  }

  private static ServerUser resolve() {
    if (!isRoot()) {
      return new ServerUser(false, System.getProperty("user.name"), -1, -1);
    }
    String name = "postgres";
    if (!exists(name)) {
      name = CREATED_USER;
      if (!exists(name)) {
        create(name);
      }
    }
    return new ServerUser(true, name, id(name, "-u"), id(name, "-g"));
  }

  /** Reads the effective uid from {@code /proc/self/status} ({@code Uid: real effective ...}). */
  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          String[] fields = line.substring(4).trim().split("\\s+");
          return "0".equals(fields[1]);
        }
      }
    } catch (IOException e) {
      // Not Linux-like: fall back to the user name.
    }
    return "root".equals(System.getProperty("user.name"));
  }

  private static boolean exists(String user) {
    return Commands.run(List.of("id", "-u", user), Path.of("/"), ID_TIMEOUT).ok();
  }

  private static int id(String user, String flag) {
    String out = Commands.run(List.of("id", flag, user), Path.of("/"), ID_TIMEOUT).check().output();
    return Integer.parseInt(out.trim());
  }

  /**
   * Creates the system user. Another JVM may be doing the same: a lock file serialises the JVMs on
   * this machine, and a failure is accepted when the user exists afterwards.
   */
  private static void create(String user) {
    Path lock = Path.of(System.getProperty("java.io.tmpdir"), "jwalreceiver-useradd.lock");
    try (FileChannel channel =
        FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock held = channel.lock();
      try {
        if (exists(user)) {
          return;
        }
        Commands.Result result =
            Commands.run(
                List.of(
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    "--user-group",
                    user),
                Path.of("/"),
                ID_TIMEOUT);
        if (!result.ok() && !exists(user)) {
          result.check();
        }
      } finally {
        held.release();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create user " + user, e);
    }
  }
}
