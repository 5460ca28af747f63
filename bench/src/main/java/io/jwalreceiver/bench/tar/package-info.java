// SPDX-License-Identifier: Apache-2.0
/** JMH benchmarks of the streaming tar reader. */
@NullMarked
package io.jwalreceiver.bench.tar;

import org.jspecify.annotations.NullMarked;
