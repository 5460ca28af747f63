// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import io.jwalreceiver.testkit.PgVersions;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How a fault scenario is declared: a test on real servers ({@code postgres}), one run a version
 * ({@code PostgreSQL N}), none when no version applies.
 */
final class FaultTest {

  private FaultTest() {}

  /** A scenario on each version {@link FaultKit#loopVersions()} selects. */
  @Target(ElementType.METHOD)
  @Retention(RetentionPolicy.RUNTIME)
  @Tag("postgres")
  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(FaultKit.LOOP_VERSIONS)
  @interface OnLoopVersions {}

  /** A scenario on each {@link PgVersions#selected() selected} version (13–18 by default). */
  @Target(ElementType.METHOD)
  @Retention(RetentionPolicy.RUNTIME)
  @Tag("postgres")
  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.SELECTED)
  @interface OnSelected {}

  /** A scenario on PostgreSQL 15 only, when it is selected ({@link PgVersions#only15()}). */
  @Target(ElementType.METHOD)
  @Retention(RetentionPolicy.RUNTIME)
  @Tag("postgres")
  @ParameterizedTest(name = "PostgreSQL {0}", allowZeroInvocations = true)
  @MethodSource(PgVersions.ONLY_15)
  @interface On15 {}
}
