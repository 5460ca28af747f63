// SPDX-License-Identifier: Apache-2.0
/** Real PostgreSQL servers (13–18) for integration tests, and the tools tests need around them. */
package io.jwalreceiver.testkit;
