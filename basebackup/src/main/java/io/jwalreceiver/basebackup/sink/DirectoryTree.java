// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Recursive removal of a directory tree, the one copy used by the backup's clean-up, the WAL packer
 * and the benchmarks' scratch directories. Symbolic links are never followed: a link (a tablespace
 * link, for instance) is removed, not what it points to.
 */
public final class DirectoryTree {

  private DirectoryTree() {}

  /**
   * Deletes everything below {@code root}, and {@code root} itself unless {@code keepRoot}.
   *
   * @param root the directory (or a single file) to remove; it must exist
   * @param keepRoot true to leave {@code root} in place, empty
   * @throws IOException at the first file or directory that cannot be removed (what was removed
   *     before it stays removed)
   */
  public static void delete(Path root, boolean keepRoot) throws IOException {
    // Deepest first: reverse order puts every entry before the directory that holds it.
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
        if (!keepRoot || !p.equals(root)) {
          Files.delete(p);
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause(); // a directory that could not be listed
    }
  }
}
