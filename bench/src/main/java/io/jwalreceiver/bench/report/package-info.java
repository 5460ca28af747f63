// SPDX-License-Identifier: Apache-2.0
/** The side-by-side benchmark report: results, tables and charts. */
@NullMarked
package io.jwalreceiver.bench.report;

import org.jspecify.annotations.NullMarked;
