// SPDX-License-Identifier: Apache-2.0
/**
 * {@code receivewal --target}: the upload of completed WAL files from receivewal's spool directory
 * to an object store ({@link io.jwalreceiver.archive.upload.WalUploader}), in order, idempotently,
 * and the rules that decide what is uploaded and what may be removed locally ({@link
 * io.jwalreceiver.archive.upload.UploadPlan}).
 */
@NullMarked
package io.jwalreceiver.archive.upload;

import org.jspecify.annotations.NullMarked;
