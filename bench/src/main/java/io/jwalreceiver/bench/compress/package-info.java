// SPDX-License-Identifier: Apache-2.0
/** JMH benchmarks of the WAL segment and archive compressors. */
@NullMarked
package io.jwalreceiver.bench.compress;

import org.jspecify.annotations.NullMarked;
