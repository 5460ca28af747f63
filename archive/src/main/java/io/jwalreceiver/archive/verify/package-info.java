// SPDX-License-Identifier: Apache-2.0
/**
 * {@code archive verify} and {@code archive cleanup}: whether an archive's base backups can be
 * restored and rolled forward to its newest WAL (a continuous chain of readable segments across
 * timeline switches), and which backups and WAL retention may remove. The chain and retention rules
 * are pure functions of a listing ({@link io.jwalreceiver.archive.verify.WalListing}, {@link
 * io.jwalreceiver.archive.verify.WalChain}, {@link io.jwalreceiver.archive.verify.Retention}); the
 * classes that read a store apply them.
 */
@NullMarked
package io.jwalreceiver.archive.verify;

import org.jspecify.annotations.NullMarked;
