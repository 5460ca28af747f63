// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;

/**
 * Process exit codes. The PostgreSQL tools exit 1 on every failure, and scripts that swap the
 * binary rely on "non-zero"; we keep 1 for errors and usage mistakes alike.
 *
 * <table>
 *   <caption>Exit codes</caption>
 *   <tr><th>code</th><th>meaning</th></tr>
 *   <tr><td>0</td><td>success (also a stop by SIGINT/SIGTERM for the daemon)</td></tr>
 *   <tr><td>1</td><td>any error: bad usage, connection, server, local I/O</td></tr>
 * </table>
 */
public final class ExitCodes {

  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 1;

  private ExitCodes() {}

  /** The exit code for a failure. */
  static int forException(PgException e) {
    return ERROR;
  }
}
