// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.replication;

import java.time.Instant;

/**
 * PostgreSQL's wire timestamp: microseconds since 2000-01-01 00:00:00 UTC.
 *
 * @param micros microseconds since the PostgreSQL epoch
 */
public record PgTimestamp(long micros) {

  /** Seconds from the Unix epoch to 2000-01-01 00:00:00 UTC. */
  public static final long EPOCH_OFFSET_SECONDS = 946_684_800L;

  /** The wire value for an instant. */
  public static long toMicros(Instant t) {
    return Math.addExact(
        Math.multiplyExact(t.getEpochSecond() - EPOCH_OFFSET_SECONDS, 1_000_000L),
        t.getNano() / 1_000);
  }

  /** From an instant, truncated to microseconds. */
  public static PgTimestamp of(Instant t) {
    return new PgTimestamp(toMicros(t));
  }

  /** The instant this timestamp names. */
  public Instant toInstant() {
    long seconds = Math.floorDiv(micros, 1_000_000L);
    long micro = Math.floorMod(micros, 1_000_000L);
    return Instant.ofEpochSecond(seconds + EPOCH_OFFSET_SECONDS, micro * 1_000);
  }
}
