// SPDX-License-Identifier: Apache-2.0
/** Fixtures the benchmarks share: synthetic WAL, replayed transports, scratch directories. */
@NullMarked
package io.jwalreceiver.bench.support;

import org.jspecify.annotations.NullMarked;
