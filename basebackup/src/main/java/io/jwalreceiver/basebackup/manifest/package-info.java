// SPDX-License-Identifier: Apache-2.0
/**
 * Backup manifests: {@link io.jwalreceiver.basebackup.manifest.ManifestParser} reads and checks one
 * as pg_verifybackup does, {@link io.jwalreceiver.basebackup.manifest.BackupVerifier} checks a
 * backup on disk against it, and the checksum algorithms both use.
 */
@NullMarked
package io.jwalreceiver.basebackup.manifest;

import org.jspecify.annotations.NullMarked;
