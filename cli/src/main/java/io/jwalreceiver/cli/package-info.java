// SPDX-License-Identifier: Apache-2.0
/**
 * The command line: one picocli command class per subcommand, the option mixins they share, and the
 * only code that reads the environment, prints, or exits ({@link io.jwalreceiver.cli.Main}). Not
 * yet {@code @NullMarked}: picocli fills most fields by reflection and many options are nullable by
 * design; NullAway reports ~100 places to annotate (issue #11, left for a later change).
 */
package io.jwalreceiver.cli;
