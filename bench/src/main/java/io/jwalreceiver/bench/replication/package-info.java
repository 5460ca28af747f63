// SPDX-License-Identifier: Apache-2.0
/** JMH comparison of our replication stream with pgjdbc's on the same input. */
@NullMarked
package io.jwalreceiver.bench.replication;

import org.jspecify.annotations.NullMarked;
