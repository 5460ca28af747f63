// SPDX-License-Identifier: Apache-2.0
/**
 * Where a base backup's archives go: extracted into a data directory ({@link
 * io.jwalreceiver.basebackup.sink.DirectoryBackupSink}), stored as tar files ({@link
 * io.jwalreceiver.basebackup.sink.TarFileBackupSink}), written to standard output ({@link
 * io.jwalreceiver.basebackup.sink.StdoutTarSink}) or dropped ({@link
 * io.jwalreceiver.basebackup.sink.DiscardingSink}); with the output directory's safety rules,
 * background fsync, the manifest written last and the inline check against it.
 */
@NullMarked
package io.jwalreceiver.basebackup.sink;

import org.jspecify.annotations.NullMarked;
