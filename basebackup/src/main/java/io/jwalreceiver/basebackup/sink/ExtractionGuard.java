// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Keeps what the server's archives name inside the directories they are extracted into: no path we
 * create or write may pass through, or end in, a symbolic link — except the ones we made ourselves
 * before the stream began ({@code pg_wal} pointing to {@code --waldir}). A link member the archive
 * itself carries ({@code pg_tblspc/<oid>}) is created, never followed.
 *
 * <p>The file system under the target changes only through this process, one member at a time, so
 * checking the components before each open is not racy: directories found real once stay real (a
 * link member may not replace anything that exists), and are not checked again.
 *
 * <p>pg_basebackup follows such links (a link to an absolute path, then a file of the same name, is
 * written outside the target); we refuse them, and with them nothing a real server sends: its only
 * links are tablespaces, whose files come in their own archive.
 */
final class ExtractionGuard {

  private final Set<Path> trustedLinks;

  /** Real directories (or trusted links) already checked. */
  private final Set<Path> checked = new HashSet<>();

  /**
   * @param trustedLinks symbolic links this run created itself and may write through
   */
  ExtractionGuard(Set<Path> trustedLinks) {
    this.trustedLinks = Set.copyOf(trustedLinks);
  }

  /**
   * Checks every component of {@code path} below {@code root}, the last one excepted: none may be a
   * symbolic link we did not create.
   *
   * @param member the archive member's name, for the message
   * @throws PgException 08P01 naming the member and the link
   */
  void checkParents(Path root, Path path, String member) {
    Path parent = path.getParent();
    if (parent == null || !parent.startsWith(root) || checked.contains(parent)) {
      return;
    }
    Path at = root;
    for (Path part : root.relativize(parent)) {
      at = at.resolve(part);
      if (checked.contains(at)) {
        continue;
      }
      BasicFileAttributes a = attributes(at);
      if (a == null) {
        // Missing: whatever is created from here down is ours.
        return;
      }
      if (a.isSymbolicLink() && !trustedLinks.contains(at)) {
        throw new PgException(
            SqlState.PROTOCOL_VIOLATION,
            "refusing to extract archive member \""
                + member
                + "\" through symbolic link \""
                + at
                + "\"");
      }
      if (!a.isDirectory() && !a.isSymbolicLink()) {
        // A file in the way: the open or mkdir that follows fails with the system's reason.
        return;
      }
      checked.add(at);
    }
  }

  /**
   * Checks that nothing at {@code path} is a symbolic link we did not create (a member of the same
   * name as a link member before it would otherwise write or chmod through it).
   */
  void checkNotLink(Path path, String member) {
    if (trustedLinks.contains(path)) {
      return;
    }
    BasicFileAttributes a = attributes(path);
    if (a != null && a.isSymbolicLink()) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "refusing to extract archive member \""
              + member
              + "\" over symbolic link \""
              + path
              + "\"");
    }
  }

  /** Both checks: for a path about to be created or written. */
  void check(Path root, Path path, String member) {
    if (path.equals(root)) {
      // The directory we extract into: prepared by us, or given by the user.
      return;
    }
    checkParents(root, path, member);
    checkNotLink(path, member);
  }

  /** Whether {@code path} is a link we created and may write through. */
  boolean trusted(Path path) {
    return trustedLinks.contains(path);
  }

  /** A directory just created or found real: its subtree needs no more checks of it. */
  void directoryIsReal(Path dir) {
    checked.add(dir);
  }

  /** The symbolic link's own attributes, or null when nothing is there. */
  private static @Nullable BasicFileAttributes attributes(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * pg_basebackup's test of a relative link target: not empty, and no {@code ..} component (after
   * {@code .} components are dropped) may climb above the link's directory.
   */
  static boolean isSafeRelative(String target) {
    if (target.isEmpty() || target.startsWith("/")) {
      return false;
    }
    int depth = 0;
    for (String part : target.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (--depth < 0) {
          return false;
        }
      } else {
        depth++;
      }
    }
    return true;
  }
}
