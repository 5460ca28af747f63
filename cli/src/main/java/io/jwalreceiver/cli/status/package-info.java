// SPDX-License-Identifier: Apache-2.0
/** What {@code jwalreceiver status} reports: standbys and slots on a server, an archive's state. */
@NullMarked
package io.jwalreceiver.cli.status;

import org.jspecify.annotations.NullMarked;
