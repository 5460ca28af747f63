// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertions on the library's one exception type. */
public final class PgAssertions {

  private PgAssertions() {}

  /**
   * Asserts that {@code call} throws a {@link PgException} with SQLSTATE {@code state}.
   *
   * @param call the code under test
   * @param state the expected SQLSTATE
   * @return the throwable's assertion, for {@code hasMessage} and the like
   */
  public static AbstractThrowableAssert<?, ? extends Throwable> assertPgException(
      ThrowingCallable call, SqlState state) {
    return assertThatThrownBy(call)
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.sqlState()).isEqualTo(state));
  }
}
