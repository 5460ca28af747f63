// SPDX-License-Identifier: Apache-2.0
/**
 * Compression shared by the WAL writer and the base-backup archives: the {@code -Z}/{@code
 * --compress} specification ({@link io.jwalreceiver.compress.Compression}) and the streaming
 * encoder that writes one compressed file ({@link io.jwalreceiver.compress.SegmentEncoder}). It
 * sits below {@code wal.segment} and {@code basebackup}, so neither imports the other for it.
 */
@NullMarked
package io.jwalreceiver.compress;

import org.jspecify.annotations.NullMarked;
