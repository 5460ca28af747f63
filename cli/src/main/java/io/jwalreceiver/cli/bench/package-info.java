// SPDX-License-Identifier: Apache-2.0
/**
 * The measurements behind {@code jwalreceiver bench}: WAL streaming and base backup throughput (the
 * base backup bench drives {@link io.jwalreceiver.basebackup.BaseBackup} itself), with their
 * reports and progress line.
 */
@NullMarked
package io.jwalreceiver.cli.bench;

import org.jspecify.annotations.NullMarked;
