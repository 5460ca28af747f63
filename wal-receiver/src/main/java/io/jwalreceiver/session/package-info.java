// SPDX-License-Identifier: Apache-2.0
/**
 * The session: connection settings (conninfo, environment, service and password files), socket and
 * TLS opening, authentication, and the replication connection with its typed commands and COPY
 * streams.
 */
@NullMarked
package io.jwalreceiver.session;

import org.jspecify.annotations.NullMarked;
