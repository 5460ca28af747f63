// SPDX-License-Identifier: Apache-2.0
/**
 * Build-time generators of the release's files from the command line's picocli model: the man
 * pages' AsciiDoc ({@link io.jwalreceiver.dist.ManPages}) and the bash/zsh completion scripts
 * ({@link io.jwalreceiver.dist.Completions}). The dist module's package phase runs them and stages
 * what they write.
 */
@NullMarked
package io.jwalreceiver.dist;

import org.jspecify.annotations.NullMarked;
