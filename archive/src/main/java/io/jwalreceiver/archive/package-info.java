// SPDX-License-Identifier: Apache-2.0
/**
 * The archive beyond one machine: where WAL and base backups live in a store ({@link
 * io.jwalreceiver.archive.ArchiveLayout}), and the commands' library side that uploads to, restores
 * from, verifies and trims it.
 */
@NullMarked
package io.jwalreceiver.archive;

import org.jspecify.annotations.NullMarked;
