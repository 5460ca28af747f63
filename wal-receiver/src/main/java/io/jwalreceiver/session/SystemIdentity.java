// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;
import org.jspecify.annotations.Nullable;

/**
 * The answer to IDENTIFY_SYSTEM.
 *
 * @param systemId the cluster's system identifier (decimal, unsigned 64-bit)
 * @param timeline the current timeline
 * @param xlogPosition the current WAL flush position
 * @param database the database of a logical connection, null for physical ones
 */
public record SystemIdentity(
    String systemId, TimelineId timeline, Lsn xlogPosition, @Nullable String database) {}
