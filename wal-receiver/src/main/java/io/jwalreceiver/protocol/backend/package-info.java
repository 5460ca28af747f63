// SPDX-License-Identifier: Apache-2.0
/** Backend (server to client) messages: the sealed family and its one decoder. */
@NullMarked
package io.jwalreceiver.protocol.backend;

import org.jspecify.annotations.NullMarked;
