// SPDX-License-Identifier: Apache-2.0
/**
 * The restore side of an archive: one WAL file for a recovering server's {@code restore_command}
 * ({@link io.jwalreceiver.archive.restore.WalRestore}), and a whole base backup into an empty data
 * directory ({@link io.jwalreceiver.archive.restore.BackupRestore}).
 */
@NullMarked
package io.jwalreceiver.archive.restore;

import org.jspecify.annotations.NullMarked;
