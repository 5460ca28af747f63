// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * An object being written as a stream, with a size not known in advance (a tar of a base backup).
 * Nothing is visible under the key before {@link #commit}; {@link #close} without a commit discards
 * what was written (an S3 multipart upload is aborted, a local temporary file removed). Memory is
 * bounded by the store's part size, whatever the object's size.
 */
public interface ObjectWriter extends WritableByteChannel {

  /** Makes the object visible under its key, complete. The writer is closed afterwards. */
  void commit() throws IOException;

  /** How many bytes were written so far. */
  long written();

  /** Discards the object unless it was committed. Never throws for an abort that fails. */
  @Override
  void close();
}
