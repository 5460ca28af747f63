// SPDX-License-Identifier: Apache-2.0
/**
 * The command line: one picocli command class per subcommand, the option mixins they share, and the
 * only code that reads the environment, prints, or exits ({@link io.jwalreceiver.cli.Main}).
 */
@NullMarked
package io.jwalreceiver.cli;

import org.jspecify.annotations.NullMarked;
