// SPDX-License-Identifier: Apache-2.0
/** JMH benchmarks of the wire codec: framing and decoding backend messages. */
@NullMarked
package io.jwalreceiver.bench.protocol;

import org.jspecify.annotations.NullMarked;
