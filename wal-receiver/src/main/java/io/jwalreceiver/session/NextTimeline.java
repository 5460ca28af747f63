// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.TimelineId;

/**
 * The server's answer at the end of a historic timeline: the timeline that follows and where it
 * begins (protocol-notes §4.2).
 */
public record NextTimeline(TimelineId timeline, Lsn startPosition) {}
