// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import java.io.OutputStream;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where a base backup goes: a directory on this machine ({@code -D DIR}), the caller's standard
 * output ({@code -F tar -D -}), the server itself ({@code -t server:DIR}, {@code -t blackhole}), or
 * nowhere after crossing the network ({@code bench basebackup --sink discard}).
 */
public sealed interface Destination {

  /**
   * {@code -D DIR}: the data directory (plain) or the archives (tar) are written here.
   *
   * @param path new or empty; what the backup creates is removed on failure (unless {@code -n})
   */
  record Directory(Path path) implements Destination {}

  /**
   * {@code -F tar -D -}: the single tar archive (with the manifest injected) is written to {@code
   * out}; only one tablespace, no streamed WAL.
   *
   * @param out the caller's standard output, not closed
   */
  record Stdout(OutputStream out) implements Destination {}

  /**
   * {@code -t TARGET[:DETAIL]} (15+): the server keeps the backup ({@code server}) or drops it
   * ({@code blackhole}); only markers and progress cross the network.
   *
   * @param target {@code server}, {@code blackhole} or an extension's target
   * @param detail the part after the first colon (the server directory for {@code server}), or null
   */
  record Server(String target, @Nullable String detail) implements Destination {}

  /**
   * The archives and manifest are received and dropped on this side (the bench's discard sink: the
   * bytes cross the network, unlike {@code -t blackhole}); no streamed WAL.
   */
  record Discard() implements Destination {}
}
