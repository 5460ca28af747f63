// SPDX-License-Identifier: Apache-2.0
/**
 * Compression shared by the WAL writer and the base-backup archives: the {@code -Z}/{@code
 * --compress} specification ({@link io.jwalreceiver.compress.Compression}) and the streaming
 * encoder that writes one compressed file ({@link io.jwalreceiver.compress.SegmentEncoder}). It sits
 * below {@code wal.segment} and {@code basebackup}, so neither imports the other for it.
 */
package io.jwalreceiver.compress;
