// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The one error type of jwalreceiver. It carries a {@link SqlState}: the server's, when the server
 * reported the error (then {@link #serverError()} has every field), or a client-side code (08001,
 * 08006, 08P01, 58030, 53100 …) for failures detected here.
 */
public class PgException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final SqlState sqlState;
  private final transient @Nullable ServerError serverError;
  private final @Nullable String detail;
  private final @Nullable String hint;
  private final String prefix;

  /** A client-side failure. */
  public PgException(SqlState sqlState, String message) {
    this(sqlState, message, null, null, null);
  }

  /** A client-side failure with a cause. */
  public PgException(SqlState sqlState, String message, @Nullable Throwable cause) {
    this(sqlState, message, null, null, cause);
  }

  /** A client-side failure with detail and hint lines (either may be null). */
  public PgException(
      SqlState sqlState,
      String message,
      @Nullable String detail,
      @Nullable String hint,
      @Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.sqlState = Objects.requireNonNull(sqlState, "sqlState");
    this.serverError = null;
    this.detail = detail;
    this.hint = hint;
    this.prefix = "";
  }

  /** An error the server reported. */
  public PgException(ServerError serverError) {
    this("", serverError);
  }

  /**
   * An error the server reported, rendered after a context prefix such as {@code connection to
   * server at "h", port p failed: }.
   */
  public PgException(String prefix, ServerError serverError) {
    super(prefix + serverError.severity() + ":  " + serverError.message());
    this.sqlState = serverError.sqlState();
    this.serverError = serverError;
    this.detail = serverError.detail();
    this.hint = serverError.hint();
    this.prefix = prefix;
  }

  /** The SQLSTATE. */
  public SqlState sqlState() {
    return sqlState;
  }

  /** The server's error fields, or null for a client-side failure. */
  public @Nullable ServerError serverError() {
    return serverError;
  }

  /** The detail line, or null. */
  public @Nullable String detail() {
    return detail;
  }

  /** The hint line, or null. */
  public @Nullable String hint() {
    return hint;
  }

  /** True when the server reported this error. */
  public boolean fromServer() {
    return serverError != null;
  }

  /**
   * The message as the PostgreSQL tools print it: the server's text rendered like libpq ({@code
   * ERROR: message} plus DETAIL/HINT lines), or the client-side message alone.
   */
  public String render() {
    ServerError server = serverError;
    return server != null ? prefix + server.render() : String.valueOf(getMessage());
  }
}
