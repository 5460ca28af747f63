// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one recursive delete: depth first, the root kept on request, links removed not followed. */
class DirectoryTreeTest {

  @TempDir Path tmp;

  /** A tree with a nested file, an empty directory and a link to a directory outside it. */
  private Path tree(Path outside) throws IOException {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(root.resolve("a/b"));
    Files.writeString(root.resolve("a/b/file"), "x");
    Files.createDirectories(root.resolve("empty"));
    Files.createSymbolicLink(root.resolve("link"), outside);
    return root;
  }

  @Test
  void deletesTheWholeTreeButNotWhatALinkPointsTo() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("kept"), "y");
    Path root = tree(outside);

    DirectoryTree.delete(root, false);

    assertThat(root).doesNotExist();
    assertThat(outside.resolve("kept")).hasContent("y");
  }

  @Test
  void keepRootEmptiesTheDirectory() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Path root = tree(outside);

    DirectoryTree.delete(root, true);

    assertThat(root).isEmptyDirectory();
    assertThat(outside).exists();
  }
}
