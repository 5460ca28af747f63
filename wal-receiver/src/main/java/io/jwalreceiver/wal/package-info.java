// SPDX-License-Identifier: Apache-2.0
/** WAL streaming: the receive loop, the sink interface, and where to resume. */
@NullMarked
package io.jwalreceiver.wal;

import org.jspecify.annotations.NullMarked;
