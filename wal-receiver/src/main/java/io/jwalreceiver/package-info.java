// SPDX-License-Identifier: Apache-2.0
/** Vocabulary shared by every layer: WAL positions, timelines, segment sizes and the error type. */
@NullMarked
package io.jwalreceiver;

import org.jspecify.annotations.NullMarked;
