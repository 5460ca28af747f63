// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.embedded;

import org.jspecify.annotations.Nullable;

/**
 * An embedded server (a test server or one of the demo's) could not be set up, started, stopped or
 * queried, or its binaries could not be found.
 */
public final class PostgresServerException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, with whatever server output explains it
   */
  public PostgresServerException(String message) {
    super(message);
  }

  /**
   * Creates the exception.
   *
   * @param message what failed
   * @param cause the underlying failure, if any
   */
  public PostgresServerException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
