// SPDX-License-Identifier: Apache-2.0
/**
 * {@code jwalreceiver check}: the preflight of a server before archiving or a backup, one check
 * group a class, run by {@link io.jwalreceiver.cli.check.Preflight} into a {@link
 * io.jwalreceiver.cli.check.CheckReport}.
 */
@NullMarked
package io.jwalreceiver.cli.check;

import org.jspecify.annotations.NullMarked;
