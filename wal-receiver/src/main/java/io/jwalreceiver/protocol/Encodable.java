// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol;

/**
 * A message that writes itself, type byte and length placeholder included, into a {@link
 * MessageWriter}: the frontend records implement it. It lets the writer frame messages without
 * knowing their family, so {@code protocol} does not depend on {@code protocol.frontend}, which
 * depends on it.
 */
public interface Encodable {

  /** Writes the message, including its type byte and length, into the writer. */
  void encode(MessageWriter w);
}
