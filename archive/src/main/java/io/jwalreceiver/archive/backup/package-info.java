// SPDX-License-Identifier: Apache-2.0
/**
 * Base backups straight into an object store ({@code basebackup -t s3://…}): each archive streamed
 * into its object as it is received, the manifest written last.
 */
@NullMarked
package io.jwalreceiver.archive.backup;

import org.jspecify.annotations.NullMarked;
