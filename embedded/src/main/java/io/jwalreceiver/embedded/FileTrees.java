// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Removal of directory trees that servers wrote (without following symbolic links). */
public final class FileTrees {

  private FileTrees() {}

  /**
   * Deletes a tree without following symbolic links; a missing tree is not an error.
   *
   * @param root the file or directory to delete
   * @throws IOException if something cannot be deleted
   */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * Deletes a tree, ignoring failures (leftovers in a temporary directory are harmless).
   *
   * @param root the file or directory to delete
   */
  public static void deleteQuietly(Path root) {
    try {
      deleteTree(root);
    } catch (IOException e) {
      // Best effort.
    }
  }
}
