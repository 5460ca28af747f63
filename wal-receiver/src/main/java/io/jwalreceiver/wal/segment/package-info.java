// SPDX-License-Identifier: Apache-2.0
/** WAL segment files: their names and the sink that writes them durably. */
@NullMarked
package io.jwalreceiver.wal.segment;

import org.jspecify.annotations.NullMarked;
