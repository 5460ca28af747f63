// SPDX-License-Identifier: Apache-2.0
/** JMH benchmarks of the WAL receive loop and the segment-file sink. */
@NullMarked
package io.jwalreceiver.bench.wal;

import org.jspecify.annotations.NullMarked;
