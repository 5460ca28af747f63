// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;

/**
 * What a finished backup reports.
 *
 * @param start the start WAL position
 * @param startTimeline the timeline at the start
 * @param end the end WAL position
 * @param endTimeline the timeline at the end
 * @param tablespaces how many archives (tablespaces plus the data directory) were received
 * @param bytes archive bytes received
 * @param serverVersion the server's {@code server_version}
 */
public record BackupResult(
    Lsn start,
    TimelineId startTimeline,
    Lsn end,
    TimelineId endTimeline,
    int tablespaces,
    long bytes,
    String serverVersion) {}
