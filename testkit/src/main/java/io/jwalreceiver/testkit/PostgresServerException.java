// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

/** A test server could not be set up, started, stopped or queried. */
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
   * @param cause the underlying failure
   */
  public PostgresServerException(String message, Throwable cause) {
    super(message, cause);
  }
}
