// SPDX-License-Identifier: Apache-2.0
/**
 * The replication sub-protocol inside COPY BOTH: XLogData, keepalives and standby status updates.
 */
@NullMarked
package io.jwalreceiver.protocol.replication;

import org.jspecify.annotations.NullMarked;
