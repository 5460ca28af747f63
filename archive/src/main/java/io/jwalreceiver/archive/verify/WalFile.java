// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SegmentName.ParsedWalFileName;

/**
 * A segment object of an archive's WAL: a completed segment or a {@code .partial}, plain or
 * compressed.
 *
 * @param key the object's key
 * @param parsed what its name says
 * @param size the object's size in bytes (compressed size for a compressed file)
 */
public record WalFile(String key, ParsedWalFileName parsed, long size) {

  /** The segment the file holds. */
  public SegmentName segment() {
    return parsed.segment();
  }

  /** Whether this is a {@code .partial} file. */
  public boolean partial() {
    return parsed.partial();
  }
}
