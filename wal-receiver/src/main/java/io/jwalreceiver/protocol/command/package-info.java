// SPDX-License-Identifier: Apache-2.0
/** Replication commands: their text, and typed results such as timeline history files. */
@NullMarked
package io.jwalreceiver.protocol.command;

import org.jspecify.annotations.NullMarked;
