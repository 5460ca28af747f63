// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal.segment;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;

/**
 * Opens every file and directory channel {@link SegmentFileSink} uses. The production value is
 * {@code FileChannel::open}; tests substitute channels whose {@code force} blocks or whose writes
 * fail, which is the only way to check the durability invariant and the error paths without a real
 * crash or a full disk.
 */
@FunctionalInterface
interface FileChannelFactory {

  /** The real file system. */
  FileChannelFactory DEFAULT = FileChannel::open;

  /** Same contract as {@link FileChannel#open(Path, Set, FileAttribute[])}. */
  FileChannel open(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
      throws IOException;
}
