// SPDX-License-Identifier: Apache-2.0
/**
 * The base-backup stream as events: the decoder that turns both server shapes (PostgreSQL 15+
 * CopyData sub-messages, and one CopyOut per tablespace before 15) into {@link
 * io.jwalreceiver.basebackup.stream.BackupListener} calls, and the per-stage timers the sinks
 * report into. It sits below the sinks and the orchestrator, which both use it.
 */
@NullMarked
package io.jwalreceiver.basebackup.stream;

import org.jspecify.annotations.NullMarked;
