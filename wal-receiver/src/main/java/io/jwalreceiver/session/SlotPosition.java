// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import org.jspecify.annotations.Nullable;

/**
 * The answer to READ_REPLICATION_SLOT for an existing physical slot.
 *
 * @param slotType {@code physical}
 * @param restartLsn where the slot's WAL reservation starts, or null when none is reserved yet
 * @param restartTimeline the timeline of {@code restartLsn} in the server's history, or null
 */
public record SlotPosition(
    String slotType, @Nullable Lsn restartLsn, @Nullable TimelineId restartTimeline) {}
