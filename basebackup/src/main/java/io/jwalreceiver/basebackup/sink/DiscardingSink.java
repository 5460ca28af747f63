// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import java.nio.ByteBuffer;

/**
 * For {@code -t server:DIR} and {@code -t blackhole}: the server keeps (or drops) the archives and
 * the manifest and sends only their markers and progress, so there is nothing to write here. {@code
 * bench basebackup --sink discard} drops what did cross the network with it.
 */
public final class DiscardingSink implements BackupSink {

  /** A sink that keeps nothing. */
  public DiscardingSink() {}

  @Override
  public void archiveStart(String name, String tablespacePath, boolean terminated) {}

  @Override
  public void archiveData(ByteBuffer data) {
    data.position(data.limit());
  }

  @Override
  public void archiveEnd() {}

  @Override
  public void finish() {}

  @Override
  public void abort() {}
}
