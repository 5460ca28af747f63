// SPDX-License-Identifier: Apache-2.0
/** WAL streaming: the receive loop, the sink interface, and where to resume. */
package io.jwalreceiver.wal;
