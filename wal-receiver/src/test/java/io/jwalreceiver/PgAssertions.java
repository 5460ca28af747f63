// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Supplier;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;

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

  /**
   * Asserts what {@code call} gives: a value printing as {@code expected}, or, when {@code
   * expected} is null, an {@code error} whose message mentions {@code mentioned}.
   *
   * @param call the code under test
   * @param expected the value's text, or null when the call must fail
   * @param error the failure's type
   * @param mentioned what the failure's message contains
   */
  public static void assertPrintsOrFails(
      Supplier<?> call,
      @Nullable String expected,
      Class<? extends Throwable> error,
      String mentioned) {
    if (expected == null) {
      assertThatThrownBy(call::get).isInstanceOf(error).hasMessageContaining(mentioned);
    } else {
      assertThat(call.get()).hasToString(expected);
    }
  }
}
