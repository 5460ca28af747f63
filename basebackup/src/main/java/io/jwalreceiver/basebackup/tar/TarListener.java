// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import java.nio.ByteBuffer;

/**
 * Receives the members of a tar stream from {@link TarReader}, in archive order:
 *
 * <pre>
 * ( entryStart  entryData*  entryEnd )*  end?
 * </pre>
 *
 * <p>Extension members ({@code x}, {@code g}, {@code L}, {@code K}) are never reported: their
 * effect is already in the next member's {@link TarHeader}. Any {@link RuntimeException} a callback
 * throws propagates out of {@link TarReader#feed} and leaves the reader failed.
 */
public interface TarListener {

  /**
   * A member begins; its {@link TarHeader#size()} bytes of data follow as {@link #entryData} calls
   * (none when the size is 0).
   */
  void entryStart(TarHeader header);

  /**
   * The next bytes of the current member's data, never padding and never empty.
   *
   * @param data a borrowed, read-only view into the chunk given to {@link TarReader#feed}: valid
   *     only until this call returns, so copy what must be kept. The listener may advance its
   *     position.
   */
  void entryData(ByteBuffer data);

  /**
   * The current member's data is complete. This is called as soon as the last data byte has
   * arrived, before the padding that follows it.
   */
  void entryEnd(TarHeader header);

  /**
   * The archive ended: at the two zero blocks, or at {@link TarReader#finish()} for a stream that
   * stopped cleanly between members without them (PostgreSQL 13 and 14). Called at most once. The
   * default does nothing.
   */
  default void end() {}
}
