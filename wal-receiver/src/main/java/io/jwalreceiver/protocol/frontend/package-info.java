// SPDX-License-Identifier: Apache-2.0
/** Frontend (client to server) messages, each with its own encoding. */
@NullMarked
package io.jwalreceiver.protocol.frontend;

import org.jspecify.annotations.NullMarked;
