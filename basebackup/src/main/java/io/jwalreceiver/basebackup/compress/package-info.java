// SPDX-License-Identifier: Apache-2.0
/**
 * Archive compression for base backups: the decompressor for server-compressed archives (gzip, LZ4,
 * zstd) and the parallel encoders for client-side compression.
 */
@NullMarked
package io.jwalreceiver.basebackup.compress;

import org.jspecify.annotations.NullMarked;
