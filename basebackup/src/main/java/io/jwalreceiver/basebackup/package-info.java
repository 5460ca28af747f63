// SPDX-License-Identifier: Apache-2.0
/**
 * Base backups as pg_basebackup takes them: {@link io.jwalreceiver.basebackup.BaseBackup} runs one
 * {@link io.jwalreceiver.basebackup.BaseBackupRequest} (built from pg_basebackup's defaults) into a
 * {@link io.jwalreceiver.basebackup.Destination}, streaming WAL alongside, and reports through
 * {@link io.jwalreceiver.basebackup.BackupProgress}. The orchestrator sits on top of the sinks, the
 * tar, manifest and compression code, and the stream decoder.
 */
@NullMarked
package io.jwalreceiver.basebackup;

import org.jspecify.annotations.NullMarked;
