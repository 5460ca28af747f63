// SPDX-License-Identifier: Apache-2.0
/**
 * Framing of the PostgreSQL wire protocol over a transport: one reusable frame reader and writer,
 * no sockets.
 */
@NullMarked
package io.jwalreceiver.protocol;

import org.jspecify.annotations.NullMarked;
