// SPDX-License-Identifier: Apache-2.0
/**
 * The tar format as PostgreSQL's BASE_BACKUP produces it (protocol-notes §5.4): {@link
 * io.jwalreceiver.basebackup.tar.TarHeader} parses and encodes one ustar block, {@link
 * io.jwalreceiver.basebackup.tar.TarReader} is a push parser over chunks cut anywhere that hands
 * file data on as borrowed views, and {@link io.jwalreceiver.basebackup.tar.TarWriter} writes
 * archives in the server's own byte format.
 *
 * <pre>
 * ┌ header 512 ┬ data (size) ┬ pad ┐┌ header 512 ┬ … ┐ … ┌ zero 512 ┬ zero 512 ┐
 *                                                        (PostgreSQL 15+ only)
 * </pre>
 */
@NullMarked
package io.jwalreceiver.basebackup.tar;

import org.jspecify.annotations.NullMarked;
